"""The Russian translation is complete and current, and the app shows it.

* every message in ``nimeet_ru.ts`` has a finished translation (plural ones all three Russian forms) that keeps the
  source's placeholders;
* the .ts matches the code (lupdate run into a temporary copy) and the .qm is compiled from it;
* an independent scan of the code finds every marked string in the .ts too: pyside6-lupdate silently drops or
  mis-files some call shapes (``translate(..., n)`` with a variable ``n``, a ``tr = translate`` alias);
* the language setting, the system's languages, and Russian plural forms at run time.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication

from nimeet_desktop.ui import i18n, validation
from nimeet_desktop.ui.control_bar import ControlBar
from tests.support.parsing import parse

REPO = Path(__file__).resolve().parents[2]
TS = REPO / "nimeet_desktop" / "translations" / "nimeet_ru.ts"
RUSSIAN_PLURAL_FORMS = 3  # one (1, 21), few (2-4, 22), many (5-20, 11)
PLACEHOLDER = re.compile(r"\{[a-z_]+\}|%n")


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("update_translations", REPO / "scripts" / "update_translations.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def messages() -> Iterator[tuple[str, ET.Element]]:
    for context in ET.parse(TS).getroot().iter("context"):  # noqa: S314 - our own file
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            yield name, message


def test_every_message_has_a_finished_russian_translation() -> None:
    problems: list[str] = []
    count = 0
    for context, message in messages():
        count += 1
        source = message.findtext("source") or ""
        where = f"{context}: {source!r}"
        translation = message.find("translation")
        assert translation is not None, where
        kind = translation.get("type")
        if kind in ("unfinished", "vanished", "obsolete"):
            problems.append(f"{where} is {kind}")
            continue
        if message.get("numerus") == "yes":
            forms = [form.text or "" for form in translation.iter("numerusform")]
            if len(forms) != RUSSIAN_PLURAL_FORMS or not all(form.strip() for form in forms):
                problems.append(f"{where} needs {RUSSIAN_PLURAL_FORMS} plural forms, has {forms}")
        else:
            forms = [translation.text or ""]
            if not forms[0].strip():
                problems.append(f"{where} has no translation")
        for form in forms:
            if sorted(PLACEHOLDER.findall(form)) != sorted(PLACEHOLDER.findall(source)):
                problems.append(f"{where}: {form!r} does not keep the placeholders")
    assert count > 100, "the .ts lost its messages"
    assert not problems, "\n".join(problems)


def test_the_ts_and_the_qm_are_up_to_date_with_the_code() -> None:
    stale = _script().stale("ru")
    assert not stale, "\n".join(stale) + "\nrun: .venv/bin/python scripts/update_translations.py"


# ---- an independent scan of the code ----------------------------------------------------------------------------


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def marked_strings(path: Path) -> tuple[set[tuple[str, str, bool]], list[str]]:
    """(context, source, plural) of every ``self.tr``, ``QCoreApplication.translate`` and ``QT_TRANSLATE_NOOP`` in
    ``path``, and the calls lupdate would miss or misread."""
    tree = parse(path.read_text(encoding="utf-8"))
    found: set[tuple[str, str, bool]] = set()
    bad: list[str] = []

    def visit(node: ast.AST, cls: str | None, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, ast.FunctionDef) else function
            visit(child, child.name if isinstance(child, ast.ClassDef) else cls, inner)
        if not isinstance(node, ast.Call) or function == "_tr":
            return  # messages._tr translates table entries, each marked with QT_TRANSLATE_NOOP where it is written
        func, args, where = node.func, node.args, f"{path.relative_to(REPO)}:{node.lineno}"
        if isinstance(func, ast.Name) and func.id == "tr":
            bad.append(f"{where}: a bare tr(...) alias (lupdate reads its first argument as the text)")
        elif isinstance(func, ast.Attribute) and func.attr == "tr" and isinstance(func.value, ast.Name):
            text = _literal(args[0]) if args else None
            if text is None or cls is None:
                bad.append(f"{where}: self.tr needs a literal text inside a class")
            else:
                found.add((cls, text, len(args) >= 3))
        elif (
            isinstance(func, ast.Attribute)
            and func.attr == "translate"
            and getattr(func.value, "id", "") == ("QCoreApplication")
        ):
            context, text = (_literal(args[0]), _literal(args[1])) if len(args) >= 2 else (None, None)
            if context is None or text is None:
                bad.append(f"{where}: QCoreApplication.translate needs a literal context and text")
            elif len(args) >= 4:
                bad.append(f"{where}: a plural through translate(): lupdate records no plural forms, use self.tr")
            else:
                found.add((context, text, False))
        elif isinstance(func, ast.Name) and func.id == "QT_TRANSLATE_NOOP":
            context, text = _literal(args[0]), _literal(args[1])
            if context is None or text is None:
                bad.append(f"{where}: QT_TRANSLATE_NOOP needs a literal context and text")
            else:
                found.add((context, text, False))

    visit(tree, None, None)
    return found, bad


def test_every_string_the_code_marks_is_in_the_ts_as_it_is_meant() -> None:
    in_ts = {(context, m.findtext("source") or "", m.get("numerus") == "yes") for context, m in messages()}
    problems: list[str] = []
    for path in _script().sources():
        found, bad = marked_strings(path)
        problems += bad
        problems += [f"{path.name}: {item} is not in the .ts" for item in sorted(found - in_ts)]
    assert not problems, "\n".join(problems)


# Arguments that reach the screen: a literal or an f-string there is a string nobody can translate.
VISIBLE = {"setText", "setToolTip", "setPlaceholderText", "setWindowTitle", "setAccessibleName", "addRow"}
VISIBLE |= {"addAction", "show_message", "QLabel", "QPushButton", "title", "Field", "set_error", "show_error"}
ALLOWED = {"NIMeet", ""}  # the product's name is not translated


def test_no_visible_text_bypasses_the_translation_layer() -> None:
    problems: list[str] = []
    for path in _script().sources():
        for node in ast.walk(parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name not in VISIBLE:
                continue
            for arg in node.args:
                text = _literal(arg)
                if isinstance(arg, ast.JoinedStr) or (text is not None and text not in ALLOWED and " " in text):
                    problems.append(f"{path.relative_to(REPO)}:{node.lineno}: {name}({ast.unparse(arg)})")
    assert not problems, "untranslatable visible text:\n" + "\n".join(problems)


# ---- at run time ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "system", "expected"),
    [
        ("system", ["ru-RU", "en-US"], "ru"),
        ("system", ["de-DE", "ru"], "ru"),
        ("system", ["de-DE", "fr"], "en"),
        ("system", ["en-GB", "ru-RU"], "en"),
        ("en", ["ru-RU"], "en"),
        ("ru", ["en-US"], "ru"),
        ("klingon", ["ru_RU"], "ru"),  # an unknown setting (a hand-edited file) follows the system
    ],
)
def test_the_language_follows_the_setting_then_the_system(setting: str, system: list[str], expected: str) -> None:
    assert i18n.resolve_language(setting, system) == expected


@pytest.mark.usefixtures("russian")
def test_russian_is_shown_with_its_plural_forms() -> None:
    bar = ControlBar()
    said = {}
    for count in (1, 2, 5, 11, 21, 22, 25):
        bar.set_count(count)
        said[count] = bar.count.toolTip()
    assert said == {
        1: "1 участник в звонке",
        2: "2 участника в звонке",
        5: "5 участников в звонке",
        11: "11 участников в звонке",
        21: "21 участник в звонке",
        22: "22 участника в звонке",
        25: "25 участников в звонке",
    }
    assert bar.leave_button.toolTip() == "Покинуть звонок (Ctrl+Shift+H)"  # the key stays Latin
    assert validation.password_error("short") == "Минимум 8 символов"
    assert QCoreApplication.translate("ServerView", "Choose a server") == "Выберите сервер"


def test_english_is_back_after_uninstall(qapp: QApplication) -> None:
    i18n.install(qapp, "ru")
    i18n.uninstall(qapp)
    assert QCoreApplication.translate("ServerView", "Choose a server") == "Choose a server"


ENGLISH_TS = REPO / "nimeet_desktop" / "translations" / "nimeet_en.ts"


def test_every_english_count_has_its_singular_and_plural() -> None:
    """English is the source language, but a source string cannot say both "1 meeting" and "5 meetings": its
    catalogue holds every message with a count (and nothing else), each with both forms and no "(s)" left."""
    counted = {
        (context, message.findtext("source")) for context, message in messages() if message.get("numerus") == "yes"
    }
    found: set[tuple[str, str | None]] = set()
    problems: list[str] = []
    for context in ET.parse(ENGLISH_TS).getroot().iter("context"):  # noqa: S314 - our own file
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            source = message.findtext("source")
            found.add((name, source))
            translation = message.find("translation")
            assert translation is not None
            forms = [form.text or "" for form in translation.iter("numerusform")]
            if translation.get("type") or len(forms) != 2 or any("(s)" in form or not form for form in forms):
                problems.append(f"{name}: {source!r} has {forms} ({translation.get('type') or 'finished'})")
    assert problems == []
    assert found == counted


def test_english_says_one_and_many(qapp: QApplication) -> None:
    assert i18n.install(qapp, "en") == "en"
    try:
        bar = ControlBar()
        said = {}
        for count in (1, 2, 5):
            bar.set_count(count)
            said[count] = bar.count.toolTip()
        assert said == {
            1: "1 participant in the call",
            2: "2 participants in the call",
            5: "5 participants in the call",
        }
        assert validation.password_error("short") == "At least 8 characters"
        assert QCoreApplication.translate("HistoryView", "%n person(s)", "", 1) == "1 person"
        assert QCoreApplication.translate("HistoryView", "%n person(s)", "", 3) == "3 people"
        assert QCoreApplication.translate("ServerView", "Choose a server") == "Choose a server"
    finally:
        i18n.uninstall(qapp)
