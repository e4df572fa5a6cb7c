"""Does every piece of text fit its widget? Used by the screen tests in English and Russian (Russian runs about a
third longer than English, the usual first casualty is a button or a one-line label).

A widget counts as clipped when, at its current geometry:

* a one-line label's text is wider (or a word-wrapped label's text taller) than the label's contents rectangle;
* a push or tool button with text is smaller than its size hint (Qt then cuts the text, it never elides it);
* any widget is smaller than its minimum size hint (a squashed line edit, item 13 of issue 9) or sticks out of
  its parent.

Only what is visible is checked; painted overlays (video tiles draw and elide their own name badges) are not.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRect
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QAbstractButton, QAbstractScrollArea, QLabel, QLineEdit, QWidget

SLACK = 1  # px: rounding of fractional font metrics


@dataclass(frozen=True)
class Clipped:
    widget: QWidget
    why: str

    def __str__(self) -> str:
        name = self.widget.objectName() or type(self.widget).__name__
        text = _text(self.widget)
        return f"{name} {text!r}: {self.why}" if text else f"{name}: {self.why}"


def _text(widget: QWidget) -> str:
    if isinstance(widget, (QLabel, QAbstractButton)):
        return widget.text()
    if isinstance(widget, QLineEdit):
        return widget.text() or widget.placeholderText()
    return ""


def _label_problem(label: QLabel) -> str | None:
    text = label.text()
    if not text or (label.pixmap() is not None and not label.pixmap().isNull()):
        return None
    rect = label.contentsRect()
    margin = label.margin()
    room = rect.adjusted(margin, margin, -margin, -margin)
    metrics = QFontMetrics(label.font())
    if label.wordWrap():
        needed = label.heightForWidth(label.width())
        if needed > label.height() + SLACK:
            return f"wrapped text needs {needed} px of height, has {label.height()}"
        return None
    width = max(metrics.horizontalAdvance(line) for line in text.splitlines() or [""])
    if width > room.width() + SLACK:
        return f"text needs {width} px, has {room.width()}"
    return None


def _button_problem(button: QAbstractButton) -> str | None:
    if not button.text():
        return None
    hint = button.sizeHint()
    if button.width() + SLACK < hint.width():
        return f"{button.width()} px wide, its text and icon need {hint.width()}"
    if button.height() + SLACK < hint.height():
        return f"{button.height()} px tall, needs {hint.height()}"
    return None


def _size_problem(widget: QWidget) -> str | None:
    hint = widget.minimumSizeHint()
    if not hint.isValid():
        return None
    # A maximum below the hint is a choice (a 10 px level meter, 48 px round call buttons), not a squeeze.
    cap = widget.maximumSize()
    narrow = widget.width() + SLACK < min(hint.width(), cap.width())
    short = widget.height() + SLACK < min(hint.height(), cap.height())
    if narrow or short:
        size = f"{widget.width()}×{widget.height()}"
        return f"squashed to {size}, below its minimum {hint.width()}×{hint.height()}"
    return None


def _outside_parent(widget: QWidget) -> str | None:
    parent = widget.parentWidget()
    if parent is None or widget.isWindow():
        return None
    if isinstance(parent.parentWidget(), QAbstractScrollArea):
        return None  # a scroll area's content is meant to be larger than its viewport
    inside = QRect(0, 0, parent.width(), parent.height()).adjusted(-SLACK, -SLACK, SLACK, SLACK)
    if not inside.contains(widget.geometry()):
        g = widget.geometry()
        return f"at {g.x()},{g.y()} {g.width()}×{g.height()}, outside its parent's {parent.width()}×{parent.height()}"
    return None


def clipped_widgets(root: QWidget) -> list[Clipped]:
    """Every visible widget under ``root`` (``root`` included) whose text or size does not fit."""
    found: list[Clipped] = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.isVisibleTo(root) and widget is not root:
            continue
        if not widget.isVisible():
            continue
        checks = [_size_problem(widget), _outside_parent(widget) if widget is not root else None]
        if isinstance(widget, QLabel):
            checks.append(_label_problem(widget))
        elif isinstance(widget, QAbstractButton):
            checks.append(_button_problem(widget))
        found += [Clipped(widget, why) for why in checks if why is not None]
    return found
