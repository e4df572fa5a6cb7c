"""Devices during a call, as the call window shows them: the arrow menus beside the microphone and camera buttons,
the toast when a device in use is lost, and the offer to switch back when a preferred one returns.

The engine does the work (``DesktopCall.switch_*``, the fallback to the system default; ``media/device_watch.py``
notices devices coming and going); this module only shows it and asks it. A device chosen in a menu becomes the
preferred one in the settings, as if chosen there: a fallback does not, so the preferred device is what to offer
back when it returns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any, cast

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QActionGroup, QFont
from PySide6.QtWidgets import QFrame, QHBoxLayout, QMenu, QPushButton, QToolButton, QWidget

from nimeet_desktop.media.device_watch import (
    DEVICE_KINDS,
    DeviceKind,
    DeviceLists,
    DeviceWatch,
    device_events,
    watch_lister,
)
from nimeet_desktop.media.provider import DeviceChoice, MediaProvider
from nimeet_desktop.settings import Settings
from nimeet_desktop.ui.engine_call import EngineCall
from nimeet_desktop.ui.toast import ToastKind
from nimeet_desktop.ui.untrusted import clip, plain_label

logger = logging.getLogger(__name__)

OFFER_MS = 20_000  # how long "switch back?" stays: long enough to reach for the mouse, gone if ignored

Spawn = Callable[[Coroutine[Any, Any, Any], str], None]


def kind_title(kind: DeviceKind) -> str:
    if kind == "camera":
        return QCoreApplication.translate("CallDevices", "Camera")
    if kind == "microphone":
        return QCoreApplication.translate("CallDevices", "Microphone")
    return QCoreApplication.translate("CallDevices", "Speaker")


def lost_text(kind: DeviceKind, name: str | None) -> str:
    """The toast when a device in use was lost and the system default took over (one sentence per case: no
    translated fragments glued together)."""
    if name is not None:
        return QCoreApplication.translate("CallDevices", "{device} was disconnected; using the system default").format(
            device=clip(name)
        )
    if kind == "camera":
        return QCoreApplication.translate("CallDevices", "The camera was disconnected; using the system default")
    if kind == "microphone":
        return QCoreApplication.translate("CallDevices", "The microphone was disconnected; using the system default")
    return QCoreApplication.translate("CallDevices", "The speaker was disconnected; using the system default")


def returned_text(name: str) -> str:
    return QCoreApplication.translate("CallDevices", "{device} is connected again").format(device=clip(name))


def device_menu(
    parent: QWidget,
    sections: list[tuple[DeviceKind, tuple[DeviceChoice, ...], str | None]],
    choose: Callable[[DeviceKind, str | None], None],
) -> QMenu:
    """One section per kind (a header, "System default", the devices), the one in use checked; choosing one calls
    ``choose(kind, id)`` (None: the system default)."""
    menu = QMenu(parent)
    menu.setObjectName("deviceMenu")
    menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # made afresh each time: the lists change
    for index, (kind, devices, current) in enumerate(sections):
        if index:
            menu.addSeparator()
        header = menu.addAction(kind_title(kind))
        header.setEnabled(False)
        bold = QFont(header.font())
        bold.setBold(True)
        header.setFont(bold)
        group = QActionGroup(menu)
        group.setExclusive(True)
        entries: list[tuple[str | None, str]] = [(None, QCoreApplication.translate("CallDevices", "System default"))]
        entries += [(d.id, clip(d.name)) for d in devices]
        for device_id, name in entries:
            action = menu.addAction(name)
            action.setCheckable(True)
            action.setChecked(device_id == current)
            action.setData(device_id)
            action.setObjectName(f"{kind}:{'' if device_id is None else device_id}")
            group.addAction(action)
            action.triggered.connect(lambda _checked=False, k=kind, d=device_id: choose(k, d))
    return menu


class SwitchBackOffer(QFrame):
    """ "<device> is connected again  [Switch back]  [×]", pinned to the top of the call, gone after ``OFFER_MS``."""

    accepted = Signal(str, object)  # kind, device id

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("deviceOffer")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)  # the toast's face (theme.py)
        self.text = plain_label()
        self.text.setObjectName("deviceOfferText")
        self.switch_button = QPushButton(self.tr("Switch back"))
        self.switch_button.setObjectName("switchBackButton")
        self.switch_button.setProperty("primary", True)
        self.dismiss_button = QToolButton()
        self.dismiss_button.setObjectName("dismissOfferButton")
        self.dismiss_button.setAutoRaise(True)
        self.dismiss_button.setText("×")
        self.dismiss_button.setToolTip(self.tr("Dismiss"))
        self.dismiss_button.setAccessibleName(self.tr("Dismiss"))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 6, 6, 6)
        layout.setSpacing(10)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.switch_button)
        layout.addWidget(self.dismiss_button)
        self._offer: tuple[DeviceKind, str] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.withdraw)
        self.switch_button.clicked.connect(self._accept)
        self.dismiss_button.clicked.connect(self.withdraw)
        parent.installEventFilter(self)
        self.hide()

    @property
    def offer(self) -> tuple[DeviceKind, str] | None:
        return self._offer

    def propose(self, kind: DeviceKind, device: DeviceChoice) -> None:
        self._offer = (kind, device.id)
        self.text.setText(returned_text(device.name))
        self.show()
        self._place()
        self.raise_()
        self._timer.start(OFFER_MS)

    def withdraw(self) -> None:
        self._offer = None
        self._timer.stop()
        self.hide()

    def _accept(self) -> None:
        offer = self._offer
        self.withdraw()
        if offer is not None:
            self.accepted.emit(*offer)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parent() and event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False

    def _place(self) -> None:
        parent = self.parentWidget()
        assert parent is not None
        self.adjustSize()
        width = min(max(self.sizeHint().width(), 280), max(200, parent.width() - 40))
        self.setGeometry((parent.width() - width) // 2, 16, width, self.sizeHint().height())


class CallDevices(QObject):
    """The call window's device handling. ``attach(call)`` when a call starts, ``detach()`` when it ends."""

    toast = Signal(str, ToastKind)
    changed = Signal()  # the lists changed (tests; a settings window may listen)

    def __init__(
        self,
        provider: MediaProvider,
        settings: Callable[[], Settings],
        save_settings: Callable[[], None],
        spawn: Spawn,
        offer_parent: QWidget,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._provider = provider
        self._settings = settings
        self._save_settings = save_settings
        self._spawn = spawn
        self.call: EngineCall | None = None
        self.watch: DeviceWatch | None = None
        self._names: dict[tuple[DeviceKind, str], str] = {}  # last known name of each device id (ids of cameras)
        self.offer = SwitchBackOffer(offer_parent)
        self.offer.accepted.connect(lambda kind, device: self.choose(kind, device, remember=False))

    # ---- the call's lifetime ------------------------------------------------------------------------------

    def attach(self, call: EngineCall) -> None:
        if self.call is call:
            return
        self.detach()
        self.call = call
        call.fell_back.connect(self._fell_back)
        self.watch = DeviceWatch(lister=watch_lister(self._provider), on_change=self._lists_changed)
        self._spawn(self.watch.start(), "device-watch")

    def detach(self) -> None:
        watch, self.watch = self.watch, None
        if watch is not None:
            watch.cancel()
        if self.call is not None:
            self.call.fell_back.disconnect(self._fell_back)
        self.call = None
        self.offer.withdraw()

    def lists(self) -> DeviceLists:
        """The devices as last seen by the watch (before it has looked once: this process's own lists)."""
        if self.watch is not None and self.watch.ready:
            return self.watch.lists
        p = self._provider
        return DeviceLists(tuple(p.cameras()), tuple(p.microphones()), tuple(p.speakers()))

    # ---- the menus ----------------------------------------------------------------------------------------

    def menu_for(self, button_kind: DeviceKind, parent: QWidget) -> QMenu | None:
        """Beside the microphone: microphones and speakers; beside the camera: cameras."""
        call = self.call
        if call is None:
            return None
        lists = self.lists()
        self._learn(lists)
        kinds: tuple[DeviceKind, ...] = ("microphone", "speaker") if button_kind == "microphone" else ("camera",)
        sections = [(kind, lists.of(kind), call.device(kind)) for kind in kinds]
        return device_menu(parent, sections, self.choose)

    def choose(self, kind: DeviceKind, device: str | None, *, remember: bool = True) -> None:
        """Switch at once; a choice made in a menu also becomes the preferred device in the settings."""
        call = self.call
        if call is None:
            return
        if remember:
            setattr(self._settings(), kind, device)
            self._save_settings()
        if self.offer.offer is not None and self.offer.offer[0] == kind:
            self.offer.withdraw()
        self._spawn(call.switch(kind, device), f"switch-{kind}")

    # ---- devices coming and going -------------------------------------------------------------------------

    def _learn(self, lists: DeviceLists) -> None:
        for kind in DEVICE_KINDS:
            for device in lists.of(kind):
                self._names[(kind, device.id)] = device.name

    def _lists_changed(self, previous: DeviceLists, current: DeviceLists) -> None:
        self._learn(previous)
        self._learn(current)
        call = self.call
        self.changed.emit()
        if call is None:
            return
        in_use = {kind: call.device(kind) for kind in DEVICE_KINDS}
        settings = self._settings()
        preferred = {kind: getattr(settings, kind) for kind in DEVICE_KINDS}
        for event in device_events(previous, current, in_use, preferred):
            if event.what == "lost":
                # Usually the source ended by itself and the call fell back already; if not (a speaker that
                # plays on into nothing), this makes it.
                self._spawn(call.device_gone(event.kind, event.device.id), f"device-gone-{event.kind}")
            else:
                self.offer.propose(event.kind, event.device)

    def _fell_back(self, kind_name: str, lost: str | None) -> None:
        kind = cast(DeviceKind, kind_name)
        if self.watch is not None and self.watch.ready:
            self._learn(self.watch.lists)  # a device seen since the menus were last opened
        name = None if lost is None else self._names.get((kind, lost), lost if kind != "camera" else None)
        # An error toast: the tray also tells it as a desktop notification when the window is not looked at.
        self.toast.emit(lost_text(kind, name), ToastKind.ERROR)
