"""Reminders of scheduled meetings in the window and on the desktop (issue 15); when they fall due is
``nimeet_desktop/reminders.py``'s business.

A reminder shows twice over, because a person may be anywhere: a banner at the window's top right with **Join** (it
stays until the meeting starts, Join or × is pressed: a toast gone after three seconds is easily missed), and, when
the window is not the active one, a desktop notification through the tray whose click joins (``QSystemTrayIcon``
messages take no buttons; where the desktop has no tray, the banner alone). The notifications setting turns the
desktop notification off, not the banner: reminders themselves are turned off with "No reminder" in the settings.

Join goes where the dashboard's Join goes: pre-join for the meeting's room (``MainWindow.open_prejoin``), the window
brought up; during a call the window says to leave it first.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QToolButton, QVBoxLayout, QWidget

from nimeet_desktop.reminders import Reminder, ReminderService
from nimeet_desktop.ui.notifications import safe_name
from nimeet_desktop.ui.untrusted import MESSAGE_CHARS, cap, isolate, plain_label

logger = logging.getLogger(__name__)

MAX_BANNERS = 3  # meetings starting together: the newest three
# At the top right, under a screen's header (the dashboard's name and buttons, the call's title bar): where a desktop
# notification would come, over the part of a screen least often used, and never over the header's buttons.
TOP = 88
MARGIN = 16
# A desktop notification that joins when clicked: (title, text, what a click does).
DesktopReminder = Callable[[str, str, Callable[[], None]], None]


class ReminderBanner(QFrame):
    """One meeting's reminder: its sentence, Join, and × to dismiss it."""

    join = Signal()
    dismissed = Signal()

    def __init__(self, reminder: Reminder, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.reminder = reminder
        self.setObjectName("reminderBanner")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)  # the toast's face (theme.py)
        self.text = plain_label()
        self.text.setObjectName("reminderText")
        self.join_button = QPushButton()
        self.join_button.setObjectName("reminderJoin")
        self.join_button.setProperty("primary", True)
        self.dismiss_button = QToolButton()
        self.dismiss_button.setObjectName("reminderDismiss")
        self.dismiss_button.setAutoRaise(True)
        self.dismiss_button.setText("×")
        self.name_buttons()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 6, 6, 6)
        layout.setSpacing(10)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.join_button)
        layout.addWidget(self.dismiss_button)
        self.join_button.clicked.connect(self.join)
        self.dismiss_button.clicked.connect(self.dismissed)

    def name_buttons(self) -> None:
        """The buttons' words in the language now installed."""
        self.join_button.setText(self.tr("Join"))
        self.dismiss_button.setToolTip(self.tr("Dismiss"))
        self.dismiss_button.setAccessibleName(self.tr("Dismiss"))


class MeetingReminders(QWidget):
    """The banners over ``parent`` (the window's screens) for ``service``'s reminders, and the desktop notification.

    ``join(room_id)`` joins a meeting's room; ``window_active()`` whether the person looks at the window;
    ``notifications()`` the setting; ``desktop`` shows a desktop notification (set by the tray when there is one)."""

    def __init__(
        self,
        parent: QWidget,
        service: ReminderService,
        *,
        join: Callable[[str], None],
        window_active: Callable[[], bool],
        notifications: Callable[[], bool],
    ) -> None:
        super().__init__(parent)
        self.setObjectName("reminders")
        self.service = service
        self._join = join
        self._window_active = window_active
        self._notifications = notifications
        self.desktop: DesktopReminder | None = None
        self.shown: list[str] = []  # every reminder's sentence, in order (tests, and a session's record)
        self.notified: list[str] = []  # those also shown as desktop notifications
        self._column = QVBoxLayout(self)
        self._column.setContentsMargins(0, 0, 0, 0)
        self._column.setSpacing(6)
        # The minutes left, counted down while a banner shows.
        self._clock = QTimer(self)
        self._clock.setInterval(15_000)
        self._clock.timeout.connect(self.tick)
        service.on_due = self.remind
        service.on_stop = self.clear
        parent.installEventFilter(self)
        self.hide()

    @property
    def banners(self) -> list[ReminderBanner]:
        items = (self._column.itemAt(i) for i in range(self._column.count()))
        return [w for item in items if item is not None and isinstance(w := item.widget(), ReminderBanner)]

    def remind(self, reminder: Reminder) -> None:
        now = self.service.clock()
        banner = ReminderBanner(reminder, self)
        banner.text.setText(self.text(reminder, now))
        banner.join.connect(lambda: self._join_from(banner))
        banner.dismissed.connect(lambda: self._remove(banner))
        for oldest in self.banners[: max(0, len(self.banners) - MAX_BANNERS + 1)]:
            self._remove(oldest)
        self._column.addWidget(banner)
        self.shown.append(banner.text.text())
        self.show()
        self._place()
        self.raise_()
        self._clock.start()
        if self.desktop is not None and not self._window_active() and self._notifications():
            text = self.text(reminder, now, plain=True)
            self.notified.append(text)
            room = reminder.occurrence.room_id
            self.desktop("NIMeet", text, lambda: self._join(room))

    def tick(self) -> None:
        """Count the minutes down; a meeting that has started loses its banner."""
        now = self.service.clock()
        for banner in self.banners:
            if now >= banner.reminder.occurrence.end:
                self._remove(banner)
            else:
                banner.text.setText(self.text(banner.reminder, now))
        self._place()

    def retranslate(self) -> None:
        """The language changed: the banners' words again."""
        for banner in self.banners:
            banner.name_buttons()
        self.tick()

    def text(self, reminder: Reminder, now: dt.datetime, *, plain: bool = False) -> str:
        """ "Standup starts in 5 minutes" / "Standup начнётся через 5 минут", "starts now" at 0. The title is the
        server's words: isolated in the sentence, and with no markup character at all for a notification
        (``plain``)."""
        title = reminder.occurrence.title
        name = safe_name(title) if plain else isolate(title)
        minutes = reminder.minutes_left(now)
        # English has no plural forms in the catalogue (its source strings are English): one minute has a sentence
        # of its own, every other count the plural one, which Russian's plural forms translate.
        if minutes <= 0:
            text = self.tr("{title} starts now").format(title=name)
        elif minutes == 1:
            text = self.tr("{title} starts in a minute").format(title=name)
        else:
            text = self.tr("{title} starts in %n minutes", "", minutes).format(title=name)
        return cap(text, MESSAGE_CHARS)

    def clear(self) -> None:
        for banner in self.banners:
            self._remove(banner)

    def _join_from(self, banner: ReminderBanner) -> None:
        room = banner.reminder.occurrence.room_id
        self._remove(banner)
        self._join(room)

    def _remove(self, banner: ReminderBanner) -> None:
        self._column.removeWidget(banner)
        banner.hide()
        banner.deleteLater()
        if not self.banners:
            self._clock.stop()
            self.hide()
        else:
            self._place()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parent() and event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False

    def _place(self) -> None:
        parent = self.parentWidget()
        assert parent is not None
        width = min(max(self.sizeHint().width(), 320), max(200, parent.width() - 2 * MARGIN))
        self.setGeometry(parent.width() - width - MARGIN, TOP, width, self._column.sizeHint().height())
