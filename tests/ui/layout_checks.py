"""Layout checks any UI test can run on a shown window: is some text cut off?

``clipped_widgets(root)`` lists every visible label and button under ``root`` whose text does not fit the space the
layout gave it. Meant for every screen in every language: a translation that is a third longer than the English
must not lose its last words silently. A widget that elides on purpose (and shows the whole text in its tooltip)
carries the dynamic property ``elided`` = True and is skipped.
"""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractButton, QHeaderView, QLabel, QWidget

ELIDED_PROPERTY = "elided"
TOLERANCE_PX = 1  # rounding between the hint (float font metrics) and integer geometry
SQUASH_TOLERANCE_PX = 2  # see squashed_widgets


def clipped_widgets(root: QWidget) -> list[str]:
    """One line per visible QLabel / QAbstractButton under ``root`` (``root`` included) whose text is clipped."""
    problems: list[str] = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not _shown(widget, root) or widget.property(ELIDED_PROPERTY):
            continue
        if isinstance(widget, QLabel):
            problem = _label_problem(widget)
        elif isinstance(widget, QAbstractButton):
            problem = _button_problem(widget)
        else:
            continue
        if problem is not None:
            problems.append(f"{_describe(widget)}: {problem}")
    return problems


def _shown(widget: QWidget, root: QWidget) -> bool:
    # isVisibleTo: hidden by itself or by any ancestor up to root (a stacked widget's other pages, an error line
    # with no error) does not count; root itself may be shown or not.
    return (widget is root or widget.isVisibleTo(root)) and not widget.isHidden()


def _label_problem(label: QLabel) -> str | None:
    if not label.text():  # a picture, or empty
        return None
    width, height = label.width(), label.height()
    if label.wordWrap():
        # The narrowest a wrapped label can go is its longest word; at its actual width it needs heightForWidth.
        min_width = label.minimumSizeHint().width()
        needed_height = label.heightForWidth(width)
        if min_width > width + TOLERANCE_PX:
            return f"a word needs {min_width} px, the label is {width} px wide"
        if needed_height > height + TOLERANCE_PX:
            return f"needs {needed_height} px height at {width} px width, has {height} px"
        return None
    hint = label.sizeHint()
    if hint.width() > width + TOLERANCE_PX or hint.height() > height + TOLERANCE_PX:
        return f"needs {hint.width()}×{hint.height()} px, has {width}×{height} px"
    return None


def _button_problem(button: QAbstractButton) -> str | None:
    if not button.text():
        return None
    hint = button.sizeHint()
    if hint.width() > button.width() + TOLERANCE_PX or hint.height() > button.height() + TOLERANCE_PX:
        return f"needs {hint.width()}×{hint.height()} px, has {button.width()}×{button.height()} px"
    return None


def _describe(widget: QWidget) -> str:
    name = widget.objectName() or "(no object name)"
    text = widget.text() if isinstance(widget, QLabel | QAbstractButton) else ""
    short = text if len(text) <= 40 else text[:39] + "…"
    return f"{type(widget).__name__} {name} {short!r}"


def squashed_widgets(root: QWidget) -> list[str]:
    """One line per visible widget under ``root`` that the layout made smaller than its minimum size hint (a line
    edit squashed to a few pixels, as the server screen's was): text in it cannot be read whatever it says. A
    maximum below the hint is a choice (a 10 px level meter, 48 px round call buttons), not a squeeze. A couple of
    pixels short is the frame's padding giving way, the text still reads: SQUASH_TOLERANCE_PX."""
    problems: list[str] = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not _shown(widget, root):
            continue
        hint, cap = widget.minimumSizeHint(), widget.maximumSize()
        if isinstance(widget, QHeaderView):
            # A header's minimum hint is its scroll area's (68×68), not its text's: its own size hint is the height
            # of its labels, which is what must fit.
            hint = widget.sizeHint()
        if not hint.isValid():
            continue
        narrow = widget.width() + SQUASH_TOLERANCE_PX < min(hint.width(), cap.width())
        short = widget.height() + SQUASH_TOLERANCE_PX < min(hint.height(), cap.height())
        if narrow or short:
            size = f"{widget.width()}×{widget.height()}, below its minimum {hint.width()}×{hint.height()}"
            problems.append(f"{_describe(widget)}: squashed to {size}")
    return problems
