"""What every settings page is made of: a title, sections of controls, and a short line under a control saying
what it does or why someone would change it."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from nimeet_desktop.ui.form import title
from nimeet_desktop.ui.untrusted import plain_label

PAGE_MARGINS = 24
INDENT = 26  # a note under a check box lines up with the box's text, not with the box


class Page(QWidget):
    """A page: ``self.body`` takes its rows, top to bottom; whatever is left over stays empty at the bottom."""

    def __init__(self, heading: str) -> None:
        super().__init__()
        self.heading = title(heading)
        self.body = QVBoxLayout()
        self.body.setSpacing(8)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(PAGE_MARGINS, PAGE_MARGINS, PAGE_MARGINS, PAGE_MARGINS)
        outer.setSpacing(16)
        outer.addWidget(self.heading)
        outer.addLayout(self.body)
        outer.addStretch(1)

    def option(self, control: QWidget, why: str) -> None:
        """A check box or radio button with its line of explanation right under it, a little apart from the next."""
        pair = QVBoxLayout()
        pair.setSpacing(2)
        pair.setContentsMargins(0, 0, 0, 6)
        pair.addWidget(control)
        pair.addWidget(note(why, indent=True))
        self.body.addLayout(pair)

    def subtitle(self, text: str) -> QLabel:
        label = plain_label(text)
        font = label.font()
        font.setBold(True)
        label.setFont(font)
        self.body.addSpacing(8)
        self.body.addWidget(label)
        return label


def note(text: str, *, indent: bool = False) -> QLabel:
    """A line of explanation under a control: wrapped, never cut off."""
    label = plain_label(text)
    label.setWordWrap(True)
    label.setProperty("role", "note")
    if indent:
        label.setContentsMargins(INDENT, 0, 0, 0)
    return label
