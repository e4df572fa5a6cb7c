"""The UI's language: English (the source strings) or Russian, chosen by the ``language`` setting or the system's.

Installed before any widget is built: Qt looks translations up when a string is set, so a widget made before the
translator exists stays English. Switching language while the app runs (``switch``, from the settings window)
therefore rebuilds what shows words: the settings window at once, the screens once no call runs
(``MainWindow.set_language``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

logger = logging.getLogger(__name__)

SOURCE_LANGUAGE = "en"  # the strings in the code; its catalogue holds only the English plural forms
LANGUAGES = ("en", "ru")  # what the ``language`` setting may name besides "system"
SYSTEM = "system"
CATALOG = "nimeet"  # nimeet_<language>.qm


def translations_dir() -> Path:
    """``nimeet_desktop/translations``: the .ts sources and the compiled .qm files, shipped in the package."""
    return Path(__file__).resolve().parent.parent / "translations"


def resolve_language(setting: str, ui_languages: Sequence[str]) -> str:
    """The language to show: the setting when it names one we have, else the first of the system's preferred UI
    languages (``QLocale.uiLanguages()``, e.g. ``["ru-RU", "ru", "en-US"]``) that we have, else English."""
    if setting in LANGUAGES:
        return setting
    if setting != SYSTEM:
        logger.warning("unknown language setting %r: following the system", setting)
    for name in ui_languages:
        language = name.replace("_", "-").split("-")[0].lower()
        if language in LANGUAGES:
            return language
    return SOURCE_LANGUAGE


def install(app: QCoreApplication, setting: str) -> str:
    """Load the app's translation (and Qt's own, for standard dialog buttons) for ``setting``; returns the language
    used. A missing catalogue is logged and the UI stays English: never a reason not to start."""
    language = resolve_language(setting, QLocale.system().uiLanguages())
    # Numbers and dates follow the chosen language too (a Russian UI writes "1,5", not "1.5").
    QLocale.setDefault(QLocale(language) if language != SOURCE_LANGUAGE else QLocale.system())
    ours = QTranslator(app)  # parented: lives as long as the application
    if ours.load(f"{CATALOG}_{language}", str(translations_dir())):
        app.installTranslator(ours)
    elif language == SOURCE_LANGUAGE:
        # The code's own strings then, counts as "5 meeting(s)": understood, if not pretty.
        logger.warning("no English plural forms in %s", translations_dir())
    else:
        logger.warning("no %s translation in %s: the UI stays English", language, translations_dir())
        return SOURCE_LANGUAGE
    if language == SOURCE_LANGUAGE:
        return language  # Qt's own strings are English already
    qt = QTranslator(app)
    if qt.load(f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(qt)
    else:
        logger.info("Qt's own %s translation is not installed: standard buttons stay English", language)
    return language


def uninstall(app: QCoreApplication) -> None:
    """Back to the English source strings (tests switch languages within one application)."""
    for translator in app.findChildren(QTranslator):
        app.removeTranslator(translator)
        translator.deleteLater()
    QLocale.setDefault(QLocale.system())


def switch(app: QCoreApplication, setting: str) -> str:
    """Another language while the app runs: the old translators out, the new ones in; returns the language used.
    Only what is built (or whose words are set again) from now on speaks it."""
    uninstall(app)
    return install(app, setting)
