"""Push-to-talk in the app: the hotkey's holds as Qt signals, the call window's microphone following them, and the
settings section that chooses the key.

``PushToTalk`` listens globally where the platform allows it (``hotkeys.GlobalHotkey``) and otherwise (a Wayland
session, a listener that would not start, macOS before the permission is granted) while a NIMeet window is focused,
through Qt's own key events: the same hold detection either way (``hotkeys.HoldDetector``: auto-repeat ignored, a
short hangover after the release). ``held`` and ``released`` are always delivered on the UI thread, although the
listener and the hangover timer run on threads of their own.

The listener runs only during a call (``PushToTalkCall``): nothing observes the keyboard when it is not needed.
"""

from __future__ import annotations

import enum
import logging
import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QFocusEvent, QGuiApplication, QKeyEvent
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from nimeet_desktop import hotkeys
from nimeet_desktop.hotkeys import GlobalHotkey, HoldDetector, Hotkey, HotkeyUnavailable, InvalidHotkey, Support
from nimeet_desktop.settings import Settings, SettingsStore
from nimeet_desktop.ui import form
from nimeet_desktop.ui.untrusted import plain_label

if TYPE_CHECKING:
    from nimeet_desktop.ui.views.call_view import CallView

logger = logging.getLogger(__name__)


class Mode(enum.Enum):
    OFF = "off"
    GLOBAL = "global"  # heard in every application
    WINDOW = "window"  # heard while a NIMeet window is focused


# ---- Qt's keys as hotkey tokens --------------------------------------------------------------------------------

_K = Qt.Key
_NAMED: dict[Qt.Key, str] = {
    **{_K(_K.Key_F1.value + n): f"f{n + 1}" for n in range(20)},
    _K.Key_Pause: "pause",
    _K.Key_Insert: "insert",
    _K.Key_ScrollLock: "scroll_lock",
    _K.Key_Menu: "menu",
    _K.Key_Space: "space",
    _K.Key_Home: "home",
    _K.Key_End: "end",
    _K.Key_PageUp: "page_up",
    _K.Key_PageDown: "page_down",
}
# Qt names Command "Control" on macOS and Control "Meta"; pynput calls Command "cmd" everywhere (Super, Windows).
_MODIFIER_KEYS: dict[Qt.Key, str] = (
    {_K.Key_Control: "cmd", _K.Key_Meta: "ctrl", _K.Key_Shift: "shift", _K.Key_Alt: "alt"}
    if sys.platform == "darwin"
    else {
        _K.Key_Control: "ctrl",
        _K.Key_Meta: "cmd",
        _K.Key_Super_L: "cmd",
        _K.Key_Super_R: "cmd",
        _K.Key_Shift: "shift",
        _K.Key_Alt: "alt",
    }
)
# Which physical side: Qt's key code does not say, the native codes do (X11 and Wayland: the keysym; Windows: the
# scan code with its "extended" bit; macOS: the virtual key code).
_RIGHT_X11 = {0xFFE4: "ctrl_r", 0xFFE2: "shift_r", 0xFFEA: "alt_r", 0xFFEC: "cmd_r"}
_RIGHT_WINDOWS = {0x11D: "ctrl_r", 0x36: "shift_r", 0x138: "alt_r", 0x15C: "cmd_r"}
_RIGHT_MAC = {0x3E: "ctrl_r", 0x3C: "shift_r", 0x3D: "alt_r", 0x36: "cmd_r"}


def key_token(event: QKeyEvent) -> str | None:
    """The hotkey token of a Qt key event (``f8``, ``ctrl_r``, ``p``), or None for a key a hotkey cannot use."""
    key = _K(event.key())
    if key in _MODIFIER_KEYS:
        if sys.platform == "win32":
            right = _RIGHT_WINDOWS.get(event.nativeScanCode())
        elif sys.platform == "darwin":
            right = _RIGHT_MAC.get(event.nativeVirtualKey())
        else:
            right = _RIGHT_X11.get(event.nativeVirtualKey())
        return right or _MODIFIER_KEYS[key]
    if key in _NAMED:
        return _NAMED[key]
    if _K.Key_A.value <= key.value <= _K.Key_Z.value or _K.Key_0.value <= key.value <= _K.Key_9.value:
        return chr(key.value).lower()
    return None


def _token_name(part: str) -> str:
    cmd = {"darwin": "Cmd", "win32": "Win"}.get(sys.platform, "Super")
    left = {"ctrl": "Ctrl", "alt": "Alt", "shift": "Shift", "cmd": cmd}
    if part in left:
        return left[part]
    if part.endswith("_r") and part[:-2] in left:
        return QCoreApplication.translate("PushToTalk", "Right {key}").format(key=left[part[:-2]])
    if part == "space":
        return QCoreApplication.translate("PushToTalk", "Space")
    names = {"scroll_lock": "Scroll Lock", "page_up": "Page Up", "page_down": "Page Down"}
    return names.get(part, part.upper() if len(part) <= 3 else part.capitalize())


def hotkey_name(hotkey: Hotkey) -> str:
    """The keys as a keyboard labels them: ``F8``, ``Right Ctrl``, ``Ctrl+Alt+P``."""
    return "+".join(_token_name(token) for token in hotkey.tokens)


def platform_statement(where: Support) -> str:
    """What push-to-talk can do on this platform, in one plain sentence for the settings."""
    if where is Support.GLOBAL:
        return QCoreApplication.translate(
            "PushToTalk", "The key works in every application, also while NIMeet is in the background."
        )
    if where is Support.GLOBAL_WITH_PERMISSION:
        return QCoreApplication.translate(
            "PushToTalk",
            "macOS asks for permission first: allow NIMeet in System Settings, Privacy & Security, under "
            "Accessibility and Input Monitoring. Then the key works in every application; until then, only while "
            "the NIMeet window is focused.",
        )
    if where is Support.WAYLAND:
        return QCoreApplication.translate(
            "PushToTalk",
            "Global shortcuts are not available in Wayland sessions: push-to-talk works while the NIMeet window is "
            "focused.",
        )
    return QCoreApplication.translate(
        "PushToTalk",
        "Global shortcuts are not available without a graphical session: push-to-talk works while the NIMeet "
        "window is focused.",
    )


# ---- the hotkey's holds as signals -----------------------------------------------------------------------------


class PushToTalk(QObject):
    """Holds of the push-to-talk key, delivered on the UI thread: ``held`` when it goes down, ``released`` after the
    hangover once it is up. ``configure`` starts or stops listening."""

    held = Signal()
    released = Signal()
    # From the listener's and the timer's threads to this object's (the UI) thread: always queued.
    _relay = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.mode = Mode.OFF
        self.hotkey: Hotkey | None = None
        self.holding = False
        self._global: GlobalHotkey | None = None
        self._detector: HoldDetector | None = None  # the in-window one
        self._relay.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def configure(self, enabled: bool, key: str) -> Mode:
        """Listen for ``key`` (hotkey text) if ``enabled``; a hold under way ends first. Returns the mode now."""
        self.stop()
        if not enabled:
            return self.mode
        self.hotkey = hotkeys.parse_hotkey(key)
        hotkey = self.hotkey
        if hotkeys.support() in (Support.GLOBAL, Support.GLOBAL_WITH_PERMISSION):
            listener = GlobalHotkey(hotkey, lambda: self._relay.emit(True), lambda: self._relay.emit(False))
            try:
                listener.start()
            except HotkeyUnavailable as exc:
                logger.warning("push-to-talk only in NIMeet's window: %s", exc)
            else:
                self._global = listener
                self.mode = Mode.GLOBAL
                return self.mode
        self._detector = HoldDetector(hotkey, lambda: self._relay.emit(True), lambda: self._relay.emit(False))
        app = QCoreApplication.instance()
        assert app is not None
        app.installEventFilter(self)
        if isinstance(app, QGuiApplication):
            app.applicationStateChanged.connect(self._application_state)
        self.mode = Mode.WINDOW
        logger.info("push-to-talk: %s while a NIMeet window is focused", hotkey.text())
        return self.mode

    def stop(self) -> None:
        """Stop listening; a hold under way is released (``released`` follows)."""
        listener, self._global = self._global, None
        if listener is not None:
            listener.stop()
        detector, self._detector = self._detector, None
        if detector is not None:
            app = QCoreApplication.instance()
            if app is not None:
                app.removeEventFilter(self)
                if isinstance(app, QGuiApplication):
                    app.applicationStateChanged.disconnect(self._application_state)
            detector.close()
        self.mode = Mode.OFF

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        detector = self._detector
        if detector is not None and event.type() in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            assert isinstance(event, QKeyEvent)
            # The app filter sees a key event once per widget it propagates through: pressing a key already down
            # changes nothing, so that is harmless; auto-repeat is skipped here as the global listener's is there.
            token = None if event.isAutoRepeat() else key_token(event)
            if token is not None:
                if event.type() == QEvent.Type.KeyPress:
                    detector.press(token)
                else:
                    detector.release(token)
        return False  # the key still does what it does in the focused widget

    def _application_state(self, state: Qt.ApplicationState) -> None:
        # The key's release goes to whichever window is focused then: once NIMeet's are not, it never comes here.
        if state != Qt.ApplicationState.ApplicationActive and self._detector is not None and self.hotkey is not None:
            for token in self.hotkey.tokens:
                self._detector.release(token)

    def _deliver(self, holding: bool) -> None:
        if holding == self.holding:
            return
        self.holding = holding
        (self.held if holding else self.released).emit()


# ---- the call window's microphone ------------------------------------------------------------------------------


class PushToTalkCall(QObject):
    """Push-to-talk in a call window: while it is on, the microphone is muted except while the key is held. It
    toggles the microphone through the call, as the microphone button does, so the button, the own tile and the
    room all follow the engine's events; the button's tooltip names the key."""

    def __init__(self, view: CallView) -> None:
        super().__init__(view)
        self.view = view
        self.keys = PushToTalk(self)
        self.keys.held.connect(self._held)
        self.keys.released.connect(self._released)
        self._in_call = False
        view.state_changed.connect(self._state_changed)

    @property
    def enabled(self) -> bool:
        return self.keys.mode is not Mode.OFF

    @property
    def joins_muted(self) -> bool:
        """Push-to-talk is on in the settings: the call is joined muted, so the room never hears "talking" for a
        moment. (Muting once joined would come too late: the engine runs on its own thread and sends the join with
        the microphone's state before a mute from here could reach it.)"""
        return self.view.context.settings.push_to_talk

    def refresh(self) -> None:
        """Follow the settings (call after they change): start, stop or re-key; switching it on mutes."""
        settings = self.view.context.settings
        self.keys.configure(settings.push_to_talk and self._in_call, settings.push_to_talk_key)
        if self.enabled:
            self._set_microphone(False)
        self._show()

    def _state_changed(self) -> None:
        call = self.view.call
        # The call is joined muted already (``joins_muted``); from the moment it has a microphone or a room, the key
        # works. A microphone lost later in the call does not end push-to-talk: the room is joined.
        in_call = call is not None and (call.has_microphone or call.room_id is not None)
        if in_call != self._in_call:
            self._in_call = in_call
            self.refresh()
        else:
            self._show()  # the control bar has just shown the media again, with its own tooltip

    def _held(self) -> None:
        self._set_microphone(True)

    def _released(self) -> None:
        self._set_microphone(False)

    def _set_microphone(self, on: bool) -> None:
        call = self.view.call
        if call is not None and call.microphone_on != on:
            self.view.tasks.spawn(call.set_microphone(on), "push-to-talk")

    def _show(self) -> None:
        hotkey = self.keys.hotkey
        if not self.enabled or hotkey is None:
            if self.view.call is not None and self.view.controls.mic_button.property("pushToTalk"):
                # Just switched off: the button's own tooltip again.
                self.view.controls.mic_button.setProperty("pushToTalk", False)
                self.view.controls.set_media(self.view.call.media_state)
            return
        button = self.view.controls.mic_button
        button.setToolTip(self.tr("Push-to-talk: hold {key} to talk").format(key=hotkey_name(hotkey)))
        button.setProperty("pushToTalk", True)


# ---- settings --------------------------------------------------------------------------------------------------


class KeyCapture(QPushButton):
    """Shows the chosen key; clicked, it takes the next key (or keys held together) pressed as the new one."""

    captured = Signal(str)  # hotkey text
    refused = Signal(str)  # why the keys pressed cannot be the hotkey (a sentence)

    def __init__(self, hotkey: Hotkey) -> None:
        super().__init__()
        self.setObjectName("pushToTalkKey")
        self.hotkey = hotkey
        self.capturing = False
        self._modifiers: list[str] = []
        self.clicked.connect(self.start_capture)
        self._show()

    def set_hotkey(self, hotkey: Hotkey) -> None:
        self.hotkey = hotkey
        self._show()

    def start_capture(self) -> None:
        self.capturing = True
        self._modifiers = []
        self.setFocus(Qt.FocusReason.OtherFocusReason)
        self._show()

    def cancel(self) -> None:
        self.capturing = False
        self._show()

    def _show(self) -> None:
        if self.capturing:
            self.setText(self.tr("Press a key…"))
            self.setToolTip(self.tr("Esc cancels"))
        else:
            self.setText(hotkey_name(self.hotkey))
            self.setToolTip(self.tr("Click, then press the key to use"))
        self.setAccessibleName(self.tr("Push-to-talk key: {key}").format(key=hotkey_name(self.hotkey)))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self.capturing:
            super().keyPressEvent(event)
            return
        event.accept()
        if event.isAutoRepeat():
            return
        if event.key() == Qt.Key.Key_Escape:
            self.cancel()
            return
        token = key_token(event)
        if token is None:
            self.refused.emit(
                self.tr(
                    "This key cannot be used. Choose a function key such as F8, a modifier such as Right Ctrl, or "
                    "a letter with Ctrl or Alt."
                )
            )
            return
        if token in hotkeys.MODIFIERS:
            if token not in self._modifiers:
                self._modifiers.append(token)
            return
        self._finish([*self._modifiers, token])

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if not self.capturing:
            super().keyReleaseEvent(event)
            return
        event.accept()
        token = key_token(event)
        if not event.isAutoRepeat() and token in self._modifiers:
            self._finish(self._modifiers)  # modifiers alone (Right Ctrl): chosen when let go

    def _finish(self, tokens: list[str]) -> None:
        try:
            hotkey = hotkeys.hotkey_from_tokens(tokens)
        except InvalidHotkey:
            self._modifiers = []
            self.refused.emit(
                self.tr(
                    "This key types text. Choose a function key such as F8, a modifier such as Right Ctrl, or hold "
                    "Ctrl or Alt with it."
                )
            )
            return
        self.capturing = False
        self.hotkey = hotkey
        self._show()
        self.captured.emit(hotkey.text())

    def focusOutEvent(self, event: QFocusEvent) -> None:
        if self.capturing:
            self.cancel()
        super().focusOutEvent(event)


class PushToTalkSection(QWidget):
    """The settings window's push-to-talk section: on/off, the key, and what this platform allows. Changes are saved
    at once; ``changed`` then tells the call window (``PushToTalkCall.refresh``)."""

    changed = Signal()

    def __init__(self, store: SettingsStore, settings: Settings, where: Support | None = None) -> None:
        super().__init__()
        self.setObjectName("pushToTalkSection")
        self.store = store
        self.settings = settings
        self.where = hotkeys.support() if where is None else where
        self.enabled = QCheckBox(self.tr("Push-to-talk"))
        self.enabled.setObjectName("pushToTalkEnabled")
        explanation = plain_label(
            self.tr("In a call the microphone stays muted, and is on only while you hold the key.")
        )
        explanation.setWordWrap(True)
        self.enabled.setChecked(settings.push_to_talk)
        self.key = KeyCapture(hotkeys.parse_hotkey(settings.push_to_talk_key))
        key_label = plain_label(self.tr("Key:"))
        key_label.setBuddy(self.key)
        self.statement = plain_label(platform_statement(self.where))
        self.statement.setObjectName("pushToTalkPlatform")
        self.statement.setWordWrap(True)
        self.error = form.error_label()

        row = QHBoxLayout()
        row.setContentsMargins(24, 0, 0, 0)
        row.addWidget(key_label)
        row.addWidget(self.key)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.enabled)
        layout.addWidget(explanation)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addWidget(self.statement)

        self.enabled.toggled.connect(self._toggled)
        self.key.captured.connect(self._key_chosen)
        self.key.refused.connect(lambda why: form.show_error(self.error, why))
        self.key.clicked.connect(lambda: form.show_error(self.error, None))
        self._enable_key()

    def _enable_key(self) -> None:
        self.key.setEnabled(self.enabled.isChecked())

    def _toggled(self, on: bool) -> None:
        self.settings.push_to_talk = on
        self._enable_key()
        self._save()

    def _key_chosen(self, text: str) -> None:
        form.show_error(self.error, None)
        self.settings.push_to_talk_key = text
        self._save()

    def _save(self) -> None:
        try:
            self.store.save(self.settings)
        except OSError as exc:  # kept for this run; the next start has the old value
            logger.warning("settings not saved: %s", exc)
        self.changed.emit()
