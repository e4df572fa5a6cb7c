"""Desktop notifications: *when* one is worth showing, and its words. Showing it is the tray icon's job
(``QSystemTrayIcon.showMessage``); here it is any ``show(title, text)``, so the decisions are tested without a tray.

The rules, each for a reason:

* Nothing when the person turned notifications off in the settings (``notifications``).
* Nothing while the window is active: the toast in the window already says it (a chat message: the chat's count).
* Joins come in bursts (a meeting starts, a reconnect): joins within ``coalesce_s`` of the first one make one
  notification, "3 people joined the call", never three.
* At most one notification per ``min_gap_s``: what comes sooner waits its turn (errors first), it is not lost.
* The same error text at most once per ``repeat_s``: a device that fails every few seconds is said once.
* Chat messages say who wrote what (the start of it); several within ``min_gap_s`` make one, "3 new messages".
* A lost connection is said only if it lasts ``reconnect_grace_s`` (most come back within a second or two), and its
  end is said then too, so a person told of the drop also learns that the call is back.

Names are someone else's words, and notification servers read the body as markup (the freedesktop spec's
``body-markup``: ``<b>``, ``<a>``, ``<img>``) while Qt's own balloon shows it as plain text: no escaping reads right
in both, so the three markup characters become look-alikes that are plain text everywhere.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QWidget

from nimeet_desktop.ui.untrusted import MESSAGE_CHARS, cap, clip, isolate

logger = logging.getLogger(__name__)

TITLE = "NIMeet"  # the product's name, the same in every language
COALESCE_S = 2.0
MIN_GAP_S = 5.0
REPEAT_S = 60.0
RECONNECT_GRACE_S = 5.0
PENDING_KEPT = 3  # messages waiting for their turn; older ones go first when more come
CHAT_PREVIEW_CHARS = 120  # of a chat message in its notification
_MARKUP_LOOKALIKES = str.maketrans({"<": "\u2039", ">": "\u203a", "&": "\uff06"})  # ‹ › ＆

Show = Callable[[str, str], None]


def safe_name(name: str) -> str:
    """Someone's name for a notification's sentence: clipped and isolated (``ui/untrusted.py``), with no character
    a notification server could take for markup."""
    return isolate(name).translate(_MARKUP_LOOKALIKES)


def safe_text(text: str, limit: int = CHAT_PREVIEW_CHARS) -> str:
    """Someone's words (a chat message) for a notification: one line, clipped, no markup character."""
    return clip(" ".join(text.split()), limit).translate(_MARKUP_LOOKALIKES)


def window_is_active(window: QWidget) -> bool:
    """Whether the person is looking at ``window``: shown, not minimised, and the window with the focus."""
    return window.isVisible() and not window.isMinimized() and window.isActiveWindow()


class Notifier(QObject):
    """Decides which of the call's events become desktop notifications (see the module's docstring)."""

    def __init__(
        self,
        show: Show,
        window_active: Callable[[], bool],
        *,
        coalesce_s: float = COALESCE_S,
        min_gap_s: float = MIN_GAP_S,
        repeat_s: float = REPEAT_S,
        reconnect_grace_s: float = RECONNECT_GRACE_S,
        enabled: Callable[[], bool] = lambda: True,
        parent: QObject | None = None,
    ) -> None:
        """``enabled``: the notifications setting, asked each time one would show (it may change any time)."""
        super().__init__(parent)
        self._show = show
        self._enabled = enabled
        self._window_active = window_active
        self._coalesce_s = coalesce_s
        self._min_gap_s = min_gap_s
        self._repeat_s = repeat_s
        self.shown: list[str] = []  # every text shown, in order: for the log of a session and for tests
        self._names: list[str] = []
        self._chats: list[str] = []  # chat messages' notification texts, oldest first
        self._first_join_at = 0.0
        self._pending: list[str] = []  # errors and connection news, oldest first
        self._said_at: dict[str, float] = {}  # error text -> when it was last shown
        self._last_shown_at = float("-inf")
        self._reconnecting = False
        self._told_lost = False
        self._once: set[str] = set()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._flush)
        self._grace = QTimer(self)
        self._grace.setSingleShot(True)
        self._grace.setInterval(round(reconnect_grace_s * 1000))
        self._grace.timeout.connect(self._still_lost)

    # ---- what happened ----------------------------------------------------------------------------------

    def joined(self, username: str) -> None:
        if self._window_active():
            return
        if not self._names:
            self._first_join_at = time.monotonic()
        self._names.append(username)
        self._schedule()

    def error(self, text: str) -> None:
        """An error the person must know of (the call dropped, could not rejoin, a device stopped)."""
        if self._window_active():
            return
        now = time.monotonic()
        if now - self._said_at.get(text, float("-inf")) < self._repeat_s or text in self._pending:
            return
        self._said_at[text] = now
        self._queue(text)

    def connection(self, reconnecting: bool) -> None:
        """The call's connection state (``CallView.reconnecting``), told on every change of the call's state."""
        if reconnecting == self._reconnecting:
            return
        self._reconnecting = reconnecting
        if reconnecting:
            self._grace.start()
            return
        self._grace.stop()
        if self._told_lost:
            self._told_lost = False
            if not self._window_active():
                self._queue(self.tr("The call is connected again"))

    def chat(self, username: str, text: str, file_name: str, private: bool) -> None:
        """A chat message from someone else (``file_name`` "" unless it is a file)."""
        if self._window_active():
            return
        self._chats.append(self._chat_text(username, text, file_name, private))
        self._schedule()

    def _chat_text(self, username: str, text: str, file_name: str, private: bool) -> str:
        name = safe_name(username)
        if file_name:
            if private:
                return self.tr("{name} sent you a file: {file}").format(name=name, file=safe_name(file_name))
            return self.tr("{name} sent a file: {file}").format(name=name, file=safe_name(file_name))
        if private:
            return self.tr("{name} (privately): {text}").format(name=name, text=safe_text(text))
        return self.tr("{name}: {text}").format(name=name, text=safe_text(text))

    def call_ended(self) -> None:
        """The call is over: what was still waiting about it is no longer news."""
        self._names.clear()
        self._chats.clear()
        self._pending.clear()
        self._grace.stop()
        self._reconnecting = self._told_lost = False

    def once(self, key: str, text: str) -> None:
        """``text`` the first time ``key`` is asked for in this run of the app, whatever window is active."""
        if key in self._once:
            return
        self._once.add(key)
        self._display(text)

    # ---- when ---------------------------------------------------------------------------------------------

    def _still_lost(self) -> None:
        if self._reconnecting and not self._window_active():
            self._told_lost = True
            self._queue(self.tr("The connection to the server was lost. Trying to reconnect…"))

    def _queue(self, text: str) -> None:
        self._pending.append(text)
        del self._pending[:-PENDING_KEPT]
        self._schedule()

    def _schedule(self) -> None:
        if not self._pending and not self._names and not self._chats:
            return
        now = time.monotonic()
        due = now if self._pending or self._chats else self._first_join_at + self._coalesce_s
        due = max(due, self._last_shown_at + self._min_gap_s)
        self._timer.start(max(0, round((due - now) * 1000)))

    def _flush(self) -> None:
        if self._window_active():
            # Back at the window before it was said: the toasts there said it.
            self._names.clear()
            self._pending.clear()
            self._chats.clear()
            return
        now = time.monotonic()
        if now < self._last_shown_at + self._min_gap_s:
            self._schedule()
            return
        if self._pending:
            self._display(self._pending.pop(0))
        elif self._chats:
            chats, self._chats = self._chats, []
            self._display(chats[0] if len(chats) == 1 else self.tr("%n new messages in the chat", "", len(chats)))
        elif self._names and now >= self._first_join_at + self._coalesce_s:
            names, self._names = self._names, []
            self._display(self._joined_text(names))
        self._schedule()

    def _joined_text(self, names: list[str]) -> str:
        if len(names) == 1:
            return self.tr("{name} joined the call").format(name=safe_name(names[0]))
        return self.tr("%n people joined the call", "", len(names))

    def _display(self, text: str) -> None:
        if not self._enabled():
            logger.info("notification not shown: turned off in the settings")
            return
        text = cap(text, MESSAGE_CHARS)
        self._last_shown_at = time.monotonic()
        self.shown.append(text)
        logger.info("notification shown (%d characters)", len(text))  # never the text: it may name people
        self._show(TITLE, text)
