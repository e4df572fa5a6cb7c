"""Form pieces shared by the sign-in, server and dashboard screens: a field with its error under it, a card."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from nimeet_desktop.ui.untrusted import MESSAGE_CHARS, cap, plain_label

Check = Callable[[str], str | None]  # the field's text -> the problem to show, or None


class Field(QWidget):
    """A labelled line edit with an error line under it (hidden while there is none).

    With a ``check`` the field is checked as the user types, from their first edit of it on: an untouched field
    shows no error (nobody wants to be told off before they start), an edited one always says what is wrong now.
    """

    def __init__(self, label: str, *, placeholder: str = "", password: bool = False, name: str = "") -> None:
        super().__init__()
        self.setObjectName(name)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.label = plain_label(label)
        self.edit = QLineEdit()
        self.edit.setObjectName(f"{name}Edit" if name else "")
        self.edit.setPlaceholderText(placeholder)
        if password:
            self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.label.setBuddy(self.edit)
        self.error_label = error_label()
        layout.addWidget(self.label)
        layout.addWidget(self.edit)
        layout.addWidget(self.error_label)
        self.check: Check | None = None
        self.touched = False
        self.edit.textEdited.connect(self._edited)

    @property
    def text(self) -> str:
        return self.edit.text()

    @property
    def error(self) -> str | None:
        return self.error_label.text() if not self.error_label.isHidden() else None

    def set_error(self, message: str | None) -> None:
        show_error(self.error_label, message)

    def set_check(self, check: Check | None) -> None:
        """Check as the user types (``None``: no checks, an edit only clears the error); the field is untouched
        again, its error cleared."""
        self.check = check
        self.touched = False
        self.set_error(None)

    def _edited(self, text: str) -> None:
        self.touched = True
        # A server's error about the old text is stale once the text changes: the check's verdict replaces it.
        self.set_error(self.check(text) if self.check is not None else None)


def grow_to_fit(window: QWidget) -> None:
    """A dialog whose content grew (an error line appeared, a field was shown): as tall as its layout needs at the
    width it has. A top-level window's minimum size ignores word-wrapped labels' height-for-width, so without this
    the fields were squashed under a wrapped explanation."""
    layout = window.layout()
    if layout is None or not window.isVisible():
        return
    needed = max(layout.totalMinimumSize().height(), layout.totalHeightForWidth(window.width()))
    if needed > window.height():
        window.resize(window.width(), needed)


def error_label() -> QLabel:
    label = plain_label()
    label.setProperty("role", "error")
    label.setWordWrap(True)
    label.hide()
    return label


def show_error(label: QLabel, message: str | None) -> None:
    # Capped: an error may quote what the server or a link said (plain text, see ui/untrusted.py).
    label.setText(cap(message or "", MESSAGE_CHARS))
    label.setVisible(bool(message))


def card() -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame()
    frame.setObjectName("card")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(24, 24, 24, 24)
    layout.setSpacing(12)
    return frame, layout


def centred(widget: QWidget, max_width: int) -> QHBoxLayout:
    """``widget`` centred in a row, as wide as the row allows up to ``max_width``.

    Not ``addWidget(widget, 0, AlignHCenter)``: an aligned item is laid out at its size hint, and its height is
    not asked again for the width it really gets, so a word-wrapped label inside came out cut off and the fields
    squashed (the server screen looked like that). Stretches beside an expanding widget keep height-for-width."""
    widget.setMaximumWidth(max_width)
    policy = widget.sizePolicy()
    policy.setHorizontalPolicy(QSizePolicy.Policy.Expanding)
    widget.setSizePolicy(policy)
    row = QHBoxLayout()
    # The widget's stretch far above the margins': it grows first, up to max_width, and only the rest is margin.
    row.addStretch(1)
    row.addWidget(widget, 1000)
    row.addStretch(1)
    return row


def title(text: str) -> QLabel:
    label = plain_label(text)
    label.setProperty("role", "title")
    return label


def dialog_buttons(cancel_text: str, primary_text: str, name: str) -> tuple[QPushButton, QPushButton, QHBoxLayout]:
    """A dialog's Cancel and primary (default, Enter) buttons at the right: (cancel, primary, their row). Object
    names ``<name>Cancel`` and ``<name>Primary`` unless the caller renames them."""
    cancel = QPushButton(cancel_text)
    cancel.setObjectName(f"{name}Cancel")
    primary = QPushButton(primary_text)
    primary.setObjectName(f"{name}Primary")
    primary.setProperty("primary", True)
    primary.setDefault(True)
    row = QHBoxLayout()
    row.addStretch(1)
    row.addWidget(cancel)
    row.addWidget(primary)
    return cancel, primary, row
