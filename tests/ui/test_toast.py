"""Toasts over the window: their whole text readable, however long."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from nimeet_desktop.ui.toast import ToastHost, ToastKind
from tests.ui.layout_checks import clipped_widgets

MESSAGES = [
    (ToastKind.INFO, "ada joined"),
    (ToastKind.ERROR, "Could not share the screen"),
    (ToastKind.ERROR, "The microphone could not be opened: it is in use by another application, or it was unplugged."),
]


@pytest.mark.usefixtures("ui_loop")  # the app's theme: the toast's padding is part of it
@pytest.mark.parametrize("width", [960, 420])
def test_no_toast_text_is_cut_off(qtbot: QtBot, width: int) -> None:
    """Regression: a wrapped toast was laid out at a guessed size and lost its second line."""
    window = QWidget()
    qtbot.addWidget(window)
    window.resize(width, 640)
    host = ToastHost(window)
    window.show()
    qtbot.waitExposed(window)
    for kind, message in MESSAGES:
        host.show_message(message, kind)
    qtbot.wait(50)
    assert host.visible_messages() == [message for _kind, message in MESSAGES]
    assert clipped_widgets(host) == []
