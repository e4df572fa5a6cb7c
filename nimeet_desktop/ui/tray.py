"""The system tray icon: open the window, start a call, the current call's state with mute and leave, what closing
the window during a call does, quit; and the desktop notifications (``ui/notifications.py``) it shows.

The menu shows state, it does not keep it: every item is redrawn from the call window (``CallView``) whenever its
state changes, and every action goes through the call window's own methods, so the tray and the control bar never
disagree. ``Tray`` builds the menu and the notifier with or without a ``QSystemTrayIcon``: where no tray host runs
(some desktops, offscreen tests, the smoke test) everything but the icon itself is still built and testable, and
``install`` never makes an icon nor lets closing hide the window into a tray that is not there.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import cache
from typing import cast

from PySide6.QtCore import QObject, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QIcon, QPainter
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from nimeet_desktop.settings import CloseDuringCall
from nimeet_desktop.ui import icons, theme
from nimeet_desktop.ui.close_during_call import CloseGuard
from nimeet_desktop.ui.control_bar import media_action
from nimeet_desktop.ui.main_window import MainWindow
from nimeet_desktop.ui.meeting.texts import clock_time
from nimeet_desktop.ui.notifications import Notifier, Show, safe_name, window_is_active
from nimeet_desktop.ui.settings.general_page import CLOSE_CHOICES
from nimeet_desktop.ui.toast import ToastKind
from nimeet_desktop.ui.untrusted import isolate

logger = logging.getLogger(__name__)

ICON_SIZES = (16, 22, 24, 32, 48, 64)  # what tray hosts ask for, at 1x and 2x
BADGE_FRACTION = 0.5  # of the icon's side: the in-call / muted dot at its bottom right, readable at 16 px
MENU_CLOCK_MS = 1000  # the call's duration in the open menu


def _menu_text(text: str) -> str:
    """``text`` as a menu item's words: an ``&`` in a room's name is a letter, not a keyboard accelerator."""
    return text.replace("&", "&&")


@cache
def state_icon(in_call: bool, muted: bool) -> QIcon:
    """The app's icon; in a call with a green dot, muted with a red one crossed by a microphone."""
    result = QIcon()
    base = icons.icon("nimeet")
    for size in ICON_SIZES:
        pixmap = base.pixmap(QSize(size, size))
        if in_call:
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            side = size * BADGE_FRACTION
            badge = QRectF(size - side, size - side, side, side)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(theme.DANGER if muted else theme.SPEAKING)
            painter.drawEllipse(badge)
            if muted:
                inset = side * 0.18
                glyph = icons.icon("mic-off", theme.ON_ACCENT)
                glyph.paint(painter, badge.adjusted(inset, inset, -inset, -inset).toAlignedRect())
            painter.end()
        result.addPixmap(pixmap)
    return result


class Tray(QObject):
    """The tray's menu, tooltip, icon and notifications for ``window``; ``icon`` is the real tray icon, or None
    where there is no tray host (the menu is then built all the same, for tests and the smoke test).
    Notifications go to ``notify`` if given (a test reads them there), else to the icon's balloon; ``timing``
    overrides the notifier's intervals (``Notifier``'s keywords)."""

    def __init__(
        self, window: MainWindow, icon: QSystemTrayIcon | None = None, notify: Show | None = None, **timing: float
    ) -> None:
        super().__init__(window)
        self.window = window
        self.icon = icon
        self._call_started: float | None = None
        self.notifier = Notifier(
            notify or self._show_message,
            lambda: window_is_active(window),
            enabled=lambda: window.context.settings.notifications,
            parent=self,
            **timing,
        )

        self.menu = QMenu(window)
        self.menu.setObjectName("trayMenu")
        self.open_action = self.menu.addAction(icons.icon("nimeet"), "")
        self.new_call_action = self.menu.addAction("")
        self.settings_action = self.menu.addAction(icons.icon("settings"), "")
        self._call_section = [self.menu.addSeparator()]
        self.status_action = self.menu.addAction("")
        self.status_action.setEnabled(False)  # a line of state, not something to click
        self.microphone_action = self.menu.addAction("")
        self.camera_action = self.menu.addAction("")
        self.leave_action = self.menu.addAction("")
        self._call_section += [self.status_action, self.microphone_action, self.camera_action, self.leave_action]
        self.menu.addSeparator()
        # Also in the settings window; here too, where its effect is felt.
        self.close_menu = self.menu.addMenu("")
        self.close_menu.setObjectName("closeDuringCallMenu")
        self.close_choices = QActionGroup(self)
        self.close_choices.setExclusive(True)
        for value in CLOSE_CHOICES:
            action = self.close_menu.addAction("")
            action.setCheckable(True)
            action.setData(value)
            self.close_choices.addAction(action)
        self.menu.addSeparator()
        self.quit_action = self.menu.addAction("")
        self.name_actions()

        self._clock = QTimer(self)
        self._clock.setInterval(MENU_CLOCK_MS)
        self._clock.timeout.connect(self.refresh)

        self.open_action.triggered.connect(self.open_window)
        self.new_call_action.triggered.connect(self.new_call)
        self.settings_action.triggered.connect(self.open_settings)
        # The call window's own toggles: the same path as the control bar's buttons and keys. Looked up when
        # triggered: the call window is made again when the language changes.
        self.microphone_action.triggered.connect(lambda: self.window.call_view.toggle_microphone())
        self.camera_action.triggered.connect(lambda: self.window.call_view.toggle_camera())
        self.leave_action.triggered.connect(lambda: self.window.call_view.leave())
        self.close_choices.triggered.connect(self._choose_close)
        self.quit_action.triggered.connect(window.quit)
        self.menu.aboutToShow.connect(self._menu_opens)
        self.menu.aboutToHide.connect(self._clock.stop)
        self._watch_call_view()
        window.views_rebuilt.connect(self._watch_call_view)
        window.language_changed.connect(self.name_actions)
        window.stack.currentChanged.connect(lambda _index: self.refresh())

        # What clicking the last desktop notification does: a meeting's reminder joins it; others open the window.
        self._message_click: Callable[[], None] | None = None
        self._notify = notify
        if icon is not None or notify is not None:
            window.reminders.desktop = self.show_reminder
        if icon is not None:
            icon.setContextMenu(self.menu)
            icon.activated.connect(self._activated)
            icon.messageClicked.connect(self._message_clicked)
        self.refresh()

    def name_actions(self) -> None:
        """The menu's fixed words, in the language now installed (again when it changes)."""
        self.open_action.setText(self.tr("Open NIMeet"))
        self.new_call_action.setText(self.tr("New call"))
        self.settings_action.setText(self.tr("Settings…"))
        self.leave_action.setText(self.tr("Leave the call"))
        self.close_menu.setTitle(self.tr("When I close the window during a call"))
        texts = {
            "ask": self.tr("Ask me"),
            "tray": self.tr("Keep the call running in the tray"),
            "leave": self.tr("Leave the call and quit"),
        }
        for action in self.close_choices.actions():
            action.setText(texts[action.data()])
        self.quit_action.setText(self.tr("Quit NIMeet"))
        self.refresh()

    def _watch_call_view(self) -> None:
        """What the call window says, heard here (again when it is made anew)."""
        view = self.window.call_view
        view.state_changed.connect(self.refresh)
        view.someone_joined.connect(self.notifier.joined)
        view.chat_received.connect(self.notifier.chat)
        view.toast.connect(self._call_toast)

    # ---- state ------------------------------------------------------------------------------------------

    @property
    def in_call(self) -> bool:
        return self.window.in_call

    @property
    def muted(self) -> bool:
        call = self.window.call_view.call
        return call is not None and not call.microphone_on

    def _room(self) -> str:
        # The title the call window shows (the server's words, already clipped), isolated inside our sentence.
        return isolate(self.window.call_view.title.full_text)

    def tooltip_text(self) -> str:
        if not self.in_call:
            return "NIMeet"
        # A tray's tooltip may be shown as rich text (Qt's own on X11 guesses, as a label does; some desktops
        # render markup): the room's name carries no markup character at all (as in a notification).
        room = safe_name(self.window.call_view.title.full_text)
        if self.window.call_view.reconnecting:
            return self.tr("NIMeet: reconnecting to the call in {room}").format(room=room)
        if self.muted:
            return self.tr("NIMeet: in a call in {room}, microphone off").format(room=room)
        return self.tr("NIMeet: in a call in {room}").format(room=room)

    def status_text(self) -> str:
        """The call's line in the menu: its room, how many are in it, for how long."""
        view = self.window.call_view
        if view.reconnecting:
            return _menu_text(self.tr("{room} · reconnecting…").format(room=self._room()))
        count = 1 + (len(view.call.participants) if view.call is not None else 0)
        since = self._call_started if self._call_started is not None else time.monotonic()
        return _menu_text(
            # "%n in the call": English needs no plural forms there (this menu has no "(s)"), Russian gets its own.
            self.tr("{room} · %n in the call · {duration}", "", count).format(
                room=self._room(), duration=clock_time(time.monotonic() - since)
            )
        )

    def refresh(self) -> None:
        """Redraw the menu, tooltip and icon from the call window; called whenever its state changes."""
        in_call = self.in_call
        if in_call and self._call_started is None:
            self._call_started = time.monotonic()
        elif not in_call and self._call_started is not None:
            self._call_started = None
            self.notifier.call_ended()
        self.notifier.connection(in_call and self.window.call_view.reconnecting)
        for action in self._call_section:
            action.setVisible(in_call)
        window = self.window
        self.new_call_action.setEnabled(window.current is window.dashboard and window.context.user is not None)
        call = window.call_view.call
        if in_call and call is not None:
            self.status_action.setText(self.status_text())
            media = call.media_state
            # The control bar's own words (its tooltips), so the two name each action alike.
            self.microphone_action.setText(media_action("microphone", media.microphone))
            self.microphone_action.setIcon(icons.icon("mic-off" if media.microphone else "mic"))
            self.camera_action.setText(media_action("camera", media.camera))
            self.camera_action.setIcon(icons.icon("camera-off" if media.camera else "camera"))
            # Drawn here, not once: in the palette's colour of the moment (the system may have turned dark).
            self.leave_action.setIcon(icons.icon("call-end"))
        for action in self.close_choices.actions():
            action.setChecked(action.data() == window.context.settings.close_during_call)
        if self.icon is not None:
            self.icon.setToolTip(self.tooltip_text())
            self.icon.setIcon(state_icon(in_call, in_call and self.muted))

    def _menu_opens(self) -> None:
        self.refresh()
        if self.in_call:
            self._clock.start()

    # ---- actions ----------------------------------------------------------------------------------------

    def open_window(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    def open_settings(self) -> None:
        self.window.open_settings()

    def new_call(self) -> None:
        """The dashboard's own "New call" (the new room's settings, then pre-join), with the window brought up to
        show them."""
        self.open_window()
        if self.window.current is self.window.dashboard:
            self.window.dashboard.new_call_button.click()

    def keep_in_tray(self) -> None:
        """The window closed during a call and the call goes on: hide the window, say where the call went (once)."""
        self.window.hide()
        self.notifier.once(
            "kept-in-tray", self.tr("The call continues in the background. Open NIMeet from its tray icon.")
        )

    def _choose_close(self, action: QAction) -> None:
        context = self.window.context
        # The action's data is one of CloseDuringCall's values (set above); the strict setting checks it again.
        context.settings.close_during_call = cast(CloseDuringCall, action.data())
        context.save_settings()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.open_window()

    def _call_toast(self, text: str, kind: ToastKind) -> None:
        # An error toast of the call window (the call dropped, could not rejoin, a device stopped) is an error the
        # person must know of: a notification when they are not looking at the window.
        if kind is ToastKind.ERROR:
            self.notifier.error(text)

    def _show_message(self, title: str, text: str) -> None:
        self._message_click = None
        if self.icon is not None:
            self.icon.showMessage(title, text, state_icon(False, False))

    def show_reminder(self, title: str, text: str, join: Callable[[], None]) -> None:
        """A meeting's reminder as a desktop notification; clicking it joins (Qt's tray messages take no buttons)."""
        self._message_click = join
        if self._notify is not None:
            self._notify(title, text)
        elif self.icon is not None:
            self.icon.showMessage(title, text, state_icon(False, False))

    def _message_clicked(self) -> None:
        action, self._message_click = self._message_click, None
        if action is not None:
            action()
        else:
            self.open_window()


def install(window: MainWindow) -> Tray:
    """The app's tray: with a ``QSystemTrayIcon`` and the close-during-call choice where the desktop has a tray,
    else the menu alone and closing as before (leave and quit)."""
    if not QSystemTrayIcon.isSystemTrayAvailable():
        logger.info("no system tray: closing the window during a call leaves it")
        return Tray(window)
    tray = attach(window, QSystemTrayIcon(state_icon(False, False), window))
    assert tray.icon is not None
    tray.icon.show()
    return tray


def attach(window: MainWindow, icon: QSystemTrayIcon, notify: Show | None = None) -> Tray:
    """``window``'s tray on ``icon`` (not shown yet), with closing during a call guarded by the setting;
    ``notify`` as for ``Tray``."""
    tray = Tray(window, icon, notify)
    window.close_guard = CloseGuard(
        window,
        window.context.settings,
        window.context.save_settings,
        in_call=lambda: window.in_call,
        keep_in_tray=tray.keep_in_tray,
        quit=window.quit,
    )
    return tray
