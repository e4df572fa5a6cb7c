"""The "Choose a server" screen: where everyone with a wrong or absent server lands, so it must be readable."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QFrame
from pytestqt.qtbot import QtBot

from tests.ui.conftest import AppHarness
from tests.ui.layout_checks import clipped_widgets

PROBLEM = "No NIMeet server answers at https://a-rather-long-host-name.meet.example.org:8443"


@pytest.mark.parametrize("size", [(960, 640), (1100, 720), (720, 560)])
def test_nothing_is_clipped_and_the_address_is_readable(qtbot: QtBot, app: AppHarness, size: tuple[int, int]) -> None:
    """Regression: the intro's last line was cut off and the address field squashed to a few pixels high."""
    window = app.build()
    window.resize(*size)
    window._show_server(PROBLEM)
    view = window.server_view
    qtbot.waitUntil(lambda: view.isVisible() and view.url.edit.width() > 0)
    qtbot.wait(50)  # the layout settles (a wrapped label's height depends on the width it gets)
    edit = view.url.edit
    assert edit.width() >= 300, f"address field {edit.width()} px wide"
    # A line of text and its padding (it was 11 px high: the text's middle only).
    assert edit.height() >= edit.fontMetrics().height() + 8, f"address field {edit.height()} px high"
    assert clipped_widgets(window) == []
    # Centred, and not wider than the sign-in card's kind of width.
    card = view.findChild(QFrame, "card")
    assert card is not None
    assert card.width() <= 520
    left = card.mapTo(view, card.rect().topLeft()).x()
    assert abs(left - (view.width() - card.width() - left)) <= 2


def test_the_check_finds_a_clipped_label_and_ignores_hidden_and_elided_ones(qtbot: QtBot) -> None:
    """The helper other tests rely on must itself be able to fail."""
    from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

    root = QWidget()
    qtbot.addWidget(root)
    layout = QVBoxLayout(root)
    cut = QLabel("a label whose text is much longer than its width")
    cut.setObjectName("cut")
    cut.setFixedWidth(60)
    wrapped = QLabel("a wrapped label with many words in a box too low for them")
    wrapped.setObjectName("wrapped")
    wrapped.setWordWrap(True)
    wrapped.setFixedSize(120, 16)
    button = QPushButton("A button with a long text")
    button.setObjectName("button")
    button.setFixedWidth(40)
    hidden = QLabel("hidden and clipped")
    hidden.setFixedWidth(10)
    elided = QLabel("elided on purpose, whole text in the tooltip")
    elided.setFixedWidth(10)
    elided.setProperty("elided", True)
    fine = QLabel("fits")
    for widget in (cut, wrapped, button, hidden, elided, fine):
        layout.addWidget(widget)
    hidden.hide()
    root.resize(400, 300)
    root.show()
    qtbot.waitExposed(root)
    found = clipped_widgets(root)
    assert [line.split()[1] for line in found] == ["cut", "wrapped", "button"], found
