"""ui/untrusted.py: someone else's text is capped, isolated, escaped in tooltips, and every label is plain text.

The guard of the rule itself: no module of the UI makes a QLabel (or lets QFormLayout make one) except through
``untrusted.plain``, and every label of a freshly built window is plain text. The replay of the attack with hostile
names on every screen is tests/security/test_app_hostile_names.py.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget
from pytestqt.qtbot import QtBot

import nimeet_desktop.ui
from nimeet_desktop.media.provider import SyntheticMediaProvider
from nimeet_desktop.net.credentials import CredentialStore
from nimeet_desktop.settings import Settings, SettingsStore
from nimeet_desktop.ui.context import AppContext
from nimeet_desktop.ui.main_window import MainWindow
from nimeet_desktop.ui.toast import ToastHost
from nimeet_desktop.ui.untrusted import (
    ELIDED_PROPERTY,
    ELLIPSIS,
    MESSAGE_CHARS,
    NAME_CHARS,
    REPLACEMENT,
    SENTENCE_NAME_CHARS,
    ElidedLabel,
    cap,
    clip,
    isolate,
    tooltip,
)
from tests.support.memory_keyring import MemoryKeyring
from tests.support.parsing import parse

UI_DIR = Path(nimeet_desktop.ui.__file__).parent
IMG = '<img src="file:///dev/zero">'


# ---- the text -----------------------------------------------------------------------------------------------


def test_cap_cuts_to_the_limit_with_an_ellipsis() -> None:
    assert cap("abc", 3) == "abc"
    assert cap("abcd", 3) == "ab" + ELLIPSIS
    assert len(cap("W" * 10_000, NAME_CHARS)) == NAME_CHARS


def test_clip_keeps_what_was_typed_but_breaks_no_line() -> None:
    assert clip(IMG) == IMG  # markup is text: shown as it is, by plain labels
    assert clip("a\u200bb\u202ec") == "a\u200bb\u202ec"  # zero-width and bidi marks are part of a name
    assert clip("line\nbreak\x1b[31m\u2028x") == f"line{REPLACEMENT}break{REPLACEMENT}[31m{REPLACEMENT}x"
    assert clip("W" * 10_000) == "W" * (NAME_CHARS - 1) + ELLIPSIS


def test_isolate_keeps_a_right_to_left_override_inside_the_name() -> None:
    # FSI ... PDI: the override inside ends at the PDI, so " joined" after it keeps its order.
    assert isolate("\u202eevil") == "\u2068\u202eevil\u2069"
    assert isolate("W" * 10_000) == "\u2068" + clip("W" * 10_000, SENTENCE_NAME_CHARS) + "\u2069"


def test_a_tooltip_shows_markup_as_text() -> None:
    tip = tooltip(IMG)
    assert "<img" not in tip and "&lt;img" in tip
    assert tip.startswith("<qt>")  # marked rich, so that Qt reads the escapes as characters


# ---- the labels ---------------------------------------------------------------------------------------------


def test_an_elided_label_is_plain_capped_and_fits_its_width(qtbot: QtBot) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    row = QHBoxLayout(host)
    label = ElidedLabel()
    row.addWidget(label)
    label.setText(IMG + "W" * 10_000)
    host.resize(200, 40)
    host.show()
    qtbot.waitExposed(host)
    assert label.textFormat() == Qt.TextFormat.PlainText
    assert label.property(ELIDED_PROPERTY) is True  # tests/ui/layout_checks.py: eliding is on purpose
    assert label.full_text == clip(IMG + "W" * 10_000)
    shown = label.text()
    assert shown.endswith(ELLIPSIS) and shown.startswith('<img src="')
    assert label.fontMetrics().horizontalAdvance(shown) <= label.contentsRect().width()
    assert "&lt;img" in label.toolTip(), "the whole name, escaped, in the tooltip"
    # A long name asks for a bounded width, and can shrink to an ellipsis: it never widens a window.
    assert label.sizeHint().width() <= 480
    assert label.minimumSizeHint().width() < 40
    label.setText("Standup")
    assert label.text() == "Standup" and label.toolTip() == ""


def test_a_toast_is_plain_and_capped(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.resize(800, 600)
    host = ToastHost(parent)
    host.show_message(IMG + " joined" + "W" * 10_000)
    (label,) = host.findChildren(QLabel)
    assert label.textFormat() == Qt.TextFormat.PlainText
    assert len(label.text()) == MESSAGE_CHARS and label.text().startswith(IMG)


# ---- the rule, for every label there is ---------------------------------------------------------------------


def _ui_modules() -> Iterator[Path]:
    yield from sorted(p for p in UI_DIR.rglob("*.py") if p.name != "untrusted.py")


def test_no_label_is_made_outside_untrusted() -> None:
    """``QLabel(...)`` is AutoText: every label goes through untrusted.plain / plain_label / ElidedLabel. Nor may
    ``QFormLayout.addRow`` be given a text: it makes an AutoText label of it."""
    offences: list[str] = []
    for path in _ui_modules():
        for node in ast.walk(parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            where = f"{path.relative_to(UI_DIR)}:{node.lineno}"
            if isinstance(node.func, ast.Name) and node.func.id == "QLabel":
                offences.append(f"{where}: QLabel(...) (use untrusted.plain_label)")
            if isinstance(node.func, ast.Attribute) and node.func.attr in ("addRow", "insertRow") and node.args:
                first = node.args[0]
                is_text = isinstance(first, ast.Constant | ast.JoinedStr) or (
                    isinstance(first, ast.Call) and isinstance(first.func, ast.Attribute) and first.func.attr == "tr"
                )
                if is_text:
                    offences.append(f"{where}: {node.func.attr}(text, ...) makes an AutoText label")
    assert not offences, "\n".join(offences)


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> MainWindow:
    settings = Settings(server_url="http://127.0.0.1:9", start_local_server=False)
    context = AppContext(
        SettingsStore(tmp_path), settings, CredentialStore(backend=MemoryKeyring()), SyntheticMediaProvider(160, 120)
    )
    built = MainWindow(context)
    qtbot.addWidget(built)
    return built


def test_every_label_of_every_screen_is_plain_text(window: MainWindow) -> None:
    """Hidden ones included: an error line or a toast shown later keeps the format it was made with."""
    labels = window.findChildren(QLabel)
    assert len(labels) > 20, "the window's screens were not all built"
    rich = [
        f"{type(w).__name__} {w.objectName()!r} {w.text()[:30]!r}"
        for w in labels
        if w.textFormat() != Qt.TextFormat.PlainText
    ]
    assert not rich, "labels that would render markup:\n" + "\n".join(rich)
    assert QCoreApplication.instance() is not None
