"""Short messages over the window (someone joined, left, a device failed), gone after a few seconds by themselves.

Toasts never take focus or block a click elsewhere; errors stay a little longer than news.
"""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from nimeet_desktop.ui.untrusted import MESSAGE_CHARS, cap, plain_label

INFO_MS = 3500
ERROR_MS = 6000
MAX_VISIBLE = 4
QWIDGETSIZE_MAX = (1 << 24) - 1  # Qt's "no limit" for a widget's size


class ToastKind(StrEnum):
    INFO = "info"
    ERROR = "error"


class ToastHost(QWidget):
    """A transparent column pinned to the bottom centre of ``parent``; follows its size."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("toastHost")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(6)
        self._layout.addStretch(1)
        self.history: list[tuple[ToastKind, str]] = []  # (kind, message), for tests and for the log of a session
        parent.installEventFilter(self)
        self._place()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parent() and event.type() == QEvent.Type.Resize:
            self._place()
        return False

    def _place(self) -> None:
        parent = self.parentWidget()
        assert parent is not None
        width = min(460, max(200, parent.width() - 40))
        height = max(0, parent.height() - 120)
        self.setGeometry((parent.width() - width) // 2, 20, width, height)
        for label in self._labels():
            self._fit(label)
        self.raise_()

    def show_message(self, message: str, kind: ToastKind = ToastKind.INFO) -> None:
        # Plain text, capped: a toast may name a participant or quote a link (ui/untrusted.py).
        message = cap(message, MESSAGE_CHARS)
        self.history.append((kind, message))
        label = plain_label(message)
        label.setObjectName("toast")
        label.setProperty("kind", kind)  # its face: the theme's QLabel#toast[kind=...]
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        visible = self._labels()
        for oldest in visible[: max(0, len(visible) - MAX_VISIBLE + 1)]:
            self._dismiss(oldest)
        self._layout.addWidget(label, 0, Qt.AlignmentFlag.AlignHCenter)
        self.show()
        self._place()
        self._fit(label)
        QTimer.singleShot(ERROR_MS if kind is ToastKind.ERROR else INFO_MS, label, lambda: self._dismiss(label))

    def _fit(self, label: QLabel) -> None:
        """One line if it fits the column, else wrapped to the column's width, at the height that needs.

        Sized here rather than by the layout: a centred item is laid out at its size hint, and a wrapped label's
        hint guesses a width and a height that do not go together, which cut the second line off."""
        label.ensurePolished()  # the theme's padding counts
        label.setWordWrap(False)
        label.setMinimumSize(0, 0)
        label.setMaximumSize(QWIDGETSIZE_MAX, QWIDGETSIZE_MAX)
        natural = label.sizeHint()
        if natural.width() <= self.width():
            label.setFixedSize(natural)
            return
        label.setWordWrap(True)
        label.setFixedSize(self.width(), label.heightForWidth(self.width()))

    def _dismiss(self, label: QLabel) -> None:
        self._layout.removeWidget(label)
        label.deleteLater()

    def _labels(self) -> list[QLabel]:
        items = (self._layout.itemAt(i) for i in range(1, self._layout.count()))
        return [w for item in items if item is not None and isinstance(w := item.widget(), QLabel)]

    def visible_messages(self) -> list[str]:
        return [label.text() for label in self._labels()]
