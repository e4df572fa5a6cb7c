"""The call's control bar: microphone, camera, screen share (with a monitor picker), leave; red when off. In a
meeting (``set_meeting_controls``) also the raised hand, reactions, and the People and Chat panel's buttons with
their counts (people waiting in the lobby, unread messages).

The bar shows state, it does not keep it: the call window sets it from the session's events (``set_media``,
``set_hand_raised``), so a device that fails or a toggle that the engine refused never leaves a button lying.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QPoint, QSize, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QToolButton, QWidget

from nimeet_desktop.media.provider import DeviceChoice
from nimeet_desktop.ui import icons, theme
from nimeet_desktop.ui.invitation import invite_menu
from nimeet_desktop.ui.meeting.reactions import ReactionPicker, reaction_menu
from nimeet_desktop.ui.untrusted import clip, plain_label
from signaling_server.protocol import MediaState

ICON_SIZE = QSize(24, 24)
ARROW_SIZE = QSize(16, 16)

# One place for the shortcuts: the buttons' tooltips and the README name the same keys.
SHORTCUTS = {
    "microphone": "M",
    "camera": "V",
    "screen": "D",
    "leave": "Ctrl+Shift+H",
    "invite": "Ctrl+Shift+C",
    "statistics": "Ctrl+Shift+I",
    "hand": "Ctrl+Shift+K",  # as in Teams; Ctrl+Shift+H leaves, and Ctrl+Alt+H is "Hide Others" on macOS
}
BADGE_MAX = 9  # a count above this shows as "9+"


def control_button(name: str) -> QToolButton:
    """A round call control (the theme's ``role="control"`` style); the pre-join screen uses the same ones."""
    button = QToolButton()
    button.setObjectName(name)
    button.setProperty("role", "control")
    button.setIconSize(ICON_SIZE)
    button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
    return button


def set_action(button: QToolButton, action: str, key: str) -> None:
    """An icon-only button says what it does: the tooltip with its key, the same words for screen readers."""
    button.setToolTip(QCoreApplication.translate("ControlBar", "{action} ({key})").format(action=action, key=key))
    button.setAccessibleName(action)


def media_action(kind: str, on: bool) -> str:
    """What pressing the microphone (``kind="microphone"``) or camera control does now; the tray says it alike."""
    if kind == "microphone":
        if on:
            return QCoreApplication.translate("ControlBar", "Turn off microphone")
        return QCoreApplication.translate("ControlBar", "Turn on microphone")
    if on:
        return QCoreApplication.translate("ControlBar", "Turn off camera")
    return QCoreApplication.translate("ControlBar", "Turn on camera")


def show_media(button: QToolButton, kind: str, on: bool) -> None:
    """Icon, tooltip and red-when-off of a microphone (``kind="microphone"``) or camera button."""
    if kind == "microphone":
        button.setIcon(icons.icon("mic" if on else "mic-off", theme.CONTROL_FOREGROUND))
    else:
        button.setIcon(icons.icon("camera" if on else "camera-off", theme.CONTROL_FOREGROUND))
    set_action(button, media_action(kind, on), SHORTCUTS[kind])
    theme.set_off(button, not on)


def device_arrow(name: str, action: str) -> QToolButton:
    """The small arrow beside the microphone or camera control that opens its device menu (as in Jitsi, Zoom)."""
    button = QToolButton()
    button.setObjectName(name)
    button.setAutoRaise(True)  # a flat glyph on the dark bar
    button.setIcon(icons.icon("chevron-up", theme.CONTROL_FOREGROUND))
    button.setIconSize(ARROW_SIZE)
    button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
    button.setToolTip(action)
    button.setAccessibleName(action)
    return button


class StateButton(QToolButton):
    """A checkable control whose check mark shows what the call window says (``setChecked``), not the last click:
    a click only emits ``clicked`` with the state it asks for."""

    def nextCheckState(self) -> None:
        pass


class Badge(QObject):
    """A round count on a button's top right corner; hidden at 0."""

    def __init__(self, button: QToolButton) -> None:
        super().__init__(button)
        self.button = button
        self.label: QLabel = plain_label()
        self.label.setObjectName("controlBadge")
        self.label.setParent(button)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.label.hide()
        self.count = 0
        button.installEventFilter(self)

    def set_count(self, count: int) -> None:
        self.count = count
        self.label.setText(str(count) if count <= BADGE_MAX else f"{BADGE_MAX}+")
        self.label.setVisible(count > 0)
        self._place()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.button and event.type() == QEvent.Type.Resize:
            self._place()
        return False

    def _place(self) -> None:
        self.label.ensurePolished()
        self.label.adjustSize()
        width = max(self.label.height(), self.label.width())
        self.label.resize(width, self.label.height())
        self.label.move(self.button.width() - width, 0)
        self.label.raise_()


def panel_toggle(name: str, icon: str) -> StateButton:
    """A flat button of the bar that opens or closes the meeting panel at one of its tabs; checked while open there."""
    button = StateButton()
    button.setObjectName(name)
    button.setProperty("panelToggle", True)
    button.setCheckable(True)
    button.setIcon(icons.icon(icon, theme.CONTROL_FOREGROUND))
    button.setIconSize(ICON_SIZE)
    button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
    return button


class ControlBar(QWidget):
    devices_requested = Signal(str)  # "microphone" (microphones and speakers) or "camera": an arrow was pressed
    microphone_clicked = Signal()
    camera_clicked = Signal()
    screen_clicked = Signal()  # not sharing: the call window lists the monitors now (they may have changed)
    screen_requested = Signal(str)  # a monitor id
    screen_stop_requested = Signal()
    leave_clicked = Signal()
    invite_clicked = Signal()
    app_link_clicked = Signal()
    # The meeting (issue 14).
    raise_hand = Signal(bool)  # the state asked for: True raises the hand, False lowers it
    react = Signal(str)  # one of protocol.REACTIONS
    people_clicked = Signal()
    chat_clicked = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("controlBar")
        self.mic_button = control_button("micButton")
        self.camera_button = control_button("cameraButton")
        self.screen_button = control_button("screenButton")
        self.leave_button = control_button("leaveButton")
        self.mic_devices_button = device_arrow("micDevicesButton", self.tr("Choose microphone and speaker"))
        self.camera_devices_button = device_arrow("cameraDevicesButton", self.tr("Choose camera"))
        self.leave_button.setIcon(icons.icon("call-end", theme.ON_ACCENT))
        set_action(self.leave_button, self.tr("Leave the call"), SHORTCUTS["leave"])
        self.invite_button = QToolButton()
        self.invite_button.setObjectName("inviteButton")
        self.invite_button.setAutoRaise(True)  # a flat glyph on the dark bar, not a light button face
        self.invite_button.setIcon(icons.icon("link", theme.CONTROL_FOREGROUND))
        self.invite_button.setIconSize(ICON_SIZE)
        set_action(self.invite_button, self.tr("Copy invite link"), SHORTCUTS["invite"])
        # A click copies the invite link; the arrow offers the app's nimeet:// link too.
        self.invite_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.invite_button.setMenu(invite_menu(self, self.invite_clicked.emit, self.app_link_clicked.emit))
        self.count = plain_label()
        self.count.setObjectName("participantCount")
        people = plain_label()
        people.setPixmap(icons.icon("people", theme.CONTROL_FOREGROUND).pixmap(ICON_SIZE))
        self.sharing = False
        self.device_menu: QMenu | None = None
        self.share_menu: QMenu | None = (
            None  # the last screen-and-window picker (tests read it)  # the device menu open now
        )
        # ---- issue 14: the meeting's controls, shown by set_meeting_controls ----
        self.hand_button = StateButton()
        self.hand_button.setObjectName("handButton")
        self.hand_button.setProperty("role", "control")
        self.hand_button.setCheckable(True)
        self.hand_button.setIcon(icons.icon("hand", theme.CONTROL_FOREGROUND))
        self.hand_button.setIconSize(ICON_SIZE)
        self.hand_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.hand_button.clicked.connect(self.toggle_hand)
        self.reactions_button = control_button("reactionsButton")
        self.reactions_button.setIcon(icons.icon("reaction", theme.CONTROL_FOREGROUND))
        self.reactions_button.setToolTip(self.tr("Send a reaction"))
        self.reactions_button.setAccessibleName(self.tr("Send a reaction"))
        self.reactions_button.clicked.connect(self.show_reactions)
        self.reaction_menu: QMenu | None = None  # while open
        self.reaction_picker: ReactionPicker | None = None
        self.people_button = panel_toggle("peopleButton", "people")
        self.people_button.setToolTip(self.tr("People"))
        self.people_button.setAccessibleName(self.tr("People"))
        self.people_button.clicked.connect(self.people_clicked)
        self.chat_button = panel_toggle("chatButton", "chat")
        self.chat_button.setToolTip(self.tr("Chat"))
        self.chat_button.setAccessibleName(self.tr("Chat"))
        self.chat_button.clicked.connect(self.chat_clicked)
        self.people_badge = Badge(self.people_button)
        self.chat_badge = Badge(self.chat_button)
        self.meeting_controls: list[QWidget] = [
            self.hand_button,
            self.reactions_button,
            self.people_button,
            self.chat_button,
        ]
        self.hand_raised = False
        # ----

        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 8, 16, 8)
        layout.setSpacing(12)
        # Three parts: the head count and invite at the left, the call's controls centred, the panel's buttons at
        # the right. The two sides stretch alike, so the middle stays in the middle of the window.
        left = QHBoxLayout()
        left.setSpacing(12)
        left.addWidget(people)
        left.addWidget(self.count)
        left.addWidget(self.invite_button)
        left.addStretch(1)
        layout.addLayout(left, 1)
        for button, arrow in (
            (self.mic_button, self.mic_devices_button),
            (self.camera_button, self.camera_devices_button),
            (self.screen_button, None),
            (self.hand_button, None),
            (self.reactions_button, None),
            (self.leave_button, None),
        ):
            if arrow is None:
                layout.addWidget(button)
                continue
            pair = QHBoxLayout()  # the arrow hugs its button, as one control
            pair.setSpacing(0)
            pair.addWidget(button)
            pair.addWidget(arrow)
            layout.addLayout(pair)
        right = QHBoxLayout()
        right.setSpacing(8)
        right.addStretch(1)
        right.addWidget(self.people_button)
        right.addWidget(self.chat_button)
        layout.addLayout(right, 1)

        self.mic_button.clicked.connect(self.microphone_clicked)
        self.camera_button.clicked.connect(self.camera_clicked)
        self.screen_button.clicked.connect(self.click_screen)
        self.mic_devices_button.clicked.connect(lambda: self.devices_requested.emit("microphone"))
        self.camera_devices_button.clicked.connect(lambda: self.devices_requested.emit("camera"))
        self.leave_button.clicked.connect(self.leave_clicked)
        self.invite_button.clicked.connect(self.invite_clicked)
        self.set_media(MediaState(camera=False, microphone=False, screen=False))
        self.set_count(1)
        self.set_hand_raised(False)
        self.set_meeting_controls(False)

    def set_media(self, media: MediaState) -> None:
        self.sharing = media.screen
        show_media(self.mic_button, "microphone", media.microphone)
        show_media(self.camera_button, "camera", media.camera)
        shown = "screen-share-stop" if media.screen else "screen-share"
        self.screen_button.setIcon(icons.icon(shown, theme.CONTROL_FOREGROUND))
        share = self.tr("Stop sharing your screen") if media.screen else self.tr("Share your screen")
        set_action(self.screen_button, share, SHORTCUTS["screen"])
        self.screen_button.setProperty("active", media.screen)
        theme.set_off(self.screen_button, False)

    def set_count(self, count: int) -> None:
        self.count.setText(str(count))
        self.count.setToolTip(self.tr("%n participant(s) in the call", "", count))

    # ---- the meeting ------------------------------------------------------------------------------------------

    def set_meeting_controls(self, shown: bool) -> None:
        """Show the hand, reactions and the panel's buttons (a meeting: a server of protocol version 1.1); hidden,
        the bar is the call's alone, as before meetings."""
        for widget in self.meeting_controls:
            widget.setVisible(shown)

    @property
    def meeting_controls_shown(self) -> bool:
        return not self.hand_button.isHidden()

    def set_hand_raised(self, raised: bool) -> None:
        self.hand_raised = raised
        self.hand_button.setChecked(raised)
        set_action(
            self.hand_button, self.tr("Lower your hand") if raised else self.tr("Raise your hand"), SHORTCUTS["hand"]
        )

    def toggle_hand(self) -> None:
        """Ask for the other state of our hand (the button and its shortcut)."""
        self.raise_hand.emit(not self.hand_raised)

    def show_reactions(self) -> None:
        """The reactions above their button; picking one sends it and closes them."""
        if self.reaction_menu is not None:
            self.reaction_menu.close()
        menu, picker = reaction_menu(self)
        picker.picked.connect(self.react)
        self.reaction_menu, self.reaction_picker = menu, picker
        menu.aboutToHide.connect(menu.deleteLater)
        menu.destroyed.connect(lambda: self._reactions_closed(menu))
        button = self.reactions_button
        size = menu.sizeHint()
        menu.popup(button.mapToGlobal(QPoint((button.width() - size.width()) // 2, -size.height() - 4)))

    def _reactions_closed(self, menu: QMenu) -> None:
        if self.reaction_menu is menu:
            self.reaction_menu = None
            self.reaction_picker = None

    def set_panel(self, tab: str | None) -> None:
        """Which of the panel's tabs is open ("people", "chat"), or None: that button shows checked."""
        self.people_button.setChecked(tab == "people")
        self.chat_button.setChecked(tab == "chat")

    def set_unread(self, count: int) -> None:
        self.chat_badge.set_count(count)
        if count:
            self.chat_button.setToolTip(self.tr("Chat: %n unread message(s)", "", count))
        else:
            self.chat_button.setToolTip(self.tr("Chat"))

    def set_waiting(self, count: int) -> None:
        self.people_badge.set_count(count)
        if count:
            self.people_button.setToolTip(self.tr("People: %n waiting to join", "", count))
        else:
            self.people_button.setToolTip(self.tr("People"))

    def click_screen(self) -> None:
        """Stop sharing, or ask the call window for the monitors (``pick_monitor`` follows)."""
        if self.sharing:
            self.screen_stop_requested.emit()
        else:
            self.screen_clicked.emit()

    def show_devices(self, kind: str, menu: QMenu) -> None:
        """Open a device menu above the arrow that asked for it."""
        if self.device_menu is not None:
            self.device_menu.close()
        self.device_menu = menu
        menu.destroyed.connect(lambda: setattr(self, "device_menu", None) if self.device_menu is menu else None)
        # Above the control it belongs to (taller than its arrow), clear of the bar, as Jitsi and Zoom open theirs.
        button = self.mic_button if kind == "microphone" else self.camera_button
        menu.popup(button.mapToGlobal(QPoint(0, -menu.sizeHint().height() - 4)))

    def pick_monitor(
        self, monitors: list[DeviceChoice], windows: list[DeviceChoice] | None = None, *, wayland: bool = False
    ) -> None:
        """Share the only monitor, or ask which monitor or window; on Wayland, say what cannot be shared."""
        windows = windows or []
        if len(monitors) == 1 and not windows and not wayland:
            self.screen_requested.emit(monitors[0].id)
            return
        menu = QMenu(self)
        menu.setObjectName("monitorPicker")
        self.share_menu = menu
        if wayland:
            # X11 capture sees nothing of a Wayland desktop; the desktop portal is not used yet.
            note = menu.addAction(self.tr("Sharing needs an X11 session: on Wayland only a black picture is sent"))
            note.setEnabled(False)
        if windows:
            menu.addSection(self.tr("Screens"))
        if not monitors:
            menu.addAction(self.tr("No screen to share")).setEnabled(False)
        for monitor in monitors:
            action = menu.addAction(icons.icon("screen-share"), clip(monitor.name))
            action.triggered.connect(lambda _checked=False, m=monitor.id: self.screen_requested.emit(m))
        if windows:
            menu.addSection(self.tr("Windows"))
        for window in windows:  # titles are other programs' words: clipped like names, "&" not a shortcut mark
            action = menu.addAction(clip(window.name).replace("&", "&&"))
            action.triggered.connect(lambda _checked=False, w=window.id: self.screen_requested.emit(w))
        menu.popup(self.screen_button.mapToGlobal(self.screen_button.rect().topLeft()))
