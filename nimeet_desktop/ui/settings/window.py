"""The settings window: a list of pages on the left, the chosen page on the right; one window, from the dashboard,
the call and the tray (``MainWindow.open_settings``).

Every change is applied and saved at once; there is no OK button to forget. What the running call must do about a
change (switch a device, the audio processing, the video quality) the window says with a signal and leaves to its
owner, which knows the call. In another language the window rebuilds its pages (``retranslate``): Qt translates a
string when it is set, so widgets built before the switch would keep the old words.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QListWidgetItem, QScrollArea, QStackedWidget, QWidget

from nimeet_desktop.media.audio_processing import AudioProcessingConfig
from nimeet_desktop.media.devices import DeviceProblem
from nimeet_desktop.media.preview import PreviewDevice
from nimeet_desktop.task_set import TaskSet
from nimeet_desktop.ui import icons, theme
from nimeet_desktop.ui.context import AppContext
from nimeet_desktop.ui.settings.audio_page import AudioPage
from nimeet_desktop.ui.settings.background_section import BackgroundSection
from nimeet_desktop.ui.settings.devices_page import DevicesPage
from nimeet_desktop.ui.settings.feeds import BorrowedPreview, CallDevices, DeviceFeed, DeviceOwner, OwnPreview
from nimeet_desktop.ui.settings.general_page import GeneralPage
from nimeet_desktop.ui.settings.server_page import ServerPage
from nimeet_desktop.ui.settings.video_page import VideoPage

logger = logging.getLogger(__name__)

PAGES = ("devices", "audio", "video", "general", "server")
NAV_WIDTH = 190  # logical px; the longest page name in Russian fits
ICON_ROLE = Qt.ItemDataRole.UserRole + 1  # the page's icon name
NAV_ROW_HEIGHT = 36  # logical px: a row easy to hit, as in the dashboard's room list
WINDOW_SIZE = QSize(820, 600)


class SettingsWindow(QWidget):
    audio_processing_changed = Signal(object)  # AudioProcessingConfig
    device_chosen = Signal(str, object)  # "camera" | "microphone" | "speaker", a device id or None (the default)
    video_quality_changed = Signal(int)  # 360 | 720 | 1080
    background_changed = Signal()  # settings.background_mode / background_image hold a new choice (saved)
    language_changed = Signal(str)  # "system" | "en" | "ru"
    change_server_requested = Signal()

    def __init__(
        self,
        context: AppContext,
        *,
        borrowed_feed: Callable[[], DeviceFeed | None] = lambda: None,
        in_call: Callable[[], bool] = lambda: False,
        parent: QWidget | None = None,
    ) -> None:
        """``borrowed_feed``: the devices someone else has open now (the call's, pre-join's), else None and the
        window opens its own preview while it shows. ``in_call``: whether a call is on (the server cannot change)."""
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("settingsWindow")
        self.context = context
        self._borrowed = borrowed_feed
        self._in_call = in_call
        self.tasks = TaskSet("ui.settings", log=logger)
        self.own_preview: OwnPreview | None = None
        self.feed: DeviceFeed | None = None
        self.nav = QListWidget()
        self.nav.setObjectName("settingsPages")
        self.nav.setFixedWidth(NAV_WIDTH)
        self.nav.setIconSize(QSize(20, 20))
        self.nav.setSpacing(2)
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # names are short
        self.stack = QStackedWidget()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.nav.currentRowChanged.connect(self._paint_nav_icons)
        self.resize(WINDOW_SIZE)
        # Sections other modules add to the audio page (push-to-talk's), built again in a new language.
        self._audio_sections: list[Callable[[], QWidget]] = []
        self._build()

    def _build(self) -> None:
        settings = self.context.settings
        self.setWindowTitle(self.tr("Settings"))
        self.devices = DevicesPage(self.context, lambda: self.feed, self._owner)
        self.audio = AudioPage(settings)
        self.video = VideoPage(settings)
        self.background = BackgroundSection(
            self.context, lambda: self.feed, feed_has_effect=lambda: self._owner() is DeviceOwner.CALL
        )
        self.video.body.addWidget(self.background)
        self.general = GeneralPage(settings)
        self.server = ServerPage(settings)
        pages: dict[str, tuple[QWidget, str, str]] = {
            "devices": (self.devices, self.tr("Devices"), "mic"),
            "audio": (self.audio, self.tr("Audio"), "speaker"),
            "video": (self.video, self.tr("Video"), "camera"),
            "general": (self.general, self.tr("General"), "settings"),
            "server": (self.server, self.tr("Server"), "server"),
        }
        for name in PAGES:
            page, label, icon = pages[name]
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setData(ICON_ROLE, icon)
            item.setSizeHint(QSize(1, NAV_ROW_HEIGHT))  # as wide as the list (a wider hint makes it scroll)
            self.nav.addItem(item)
            scroll = QScrollArea()  # a page taller than a small screen scrolls instead of squashing its rows
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QScrollArea.Shape.NoFrame)
            scroll.setWidget(page)
            self.stack.addWidget(scroll)
        self.devices.device_chosen.connect(self._device_chosen)
        self.audio.changed.connect(self._audio_changed)
        self.video.changed.connect(self._video_changed)
        self.background.changed.connect(self._background_changed)
        self.general.language_changed.connect(self._language_changed)
        self.general.changed.connect(self.context.save_settings)
        self.server.change_requested.connect(self.change_server_requested)
        self.server.changed.connect(self.context.save_settings)
        self.nav.setCurrentRow(0)
        self.refresh()

    def _paint_nav_icons(self, current: int) -> None:
        """The chosen page's glyph white on the highlight, the others in the text's colour (the icons take no
        selected colour of their own)."""
        for row in range(self.nav.count()):
            item = self.nav.item(row)
            color = theme.ON_ACCENT if row == current else None
            item.setIcon(icons.icon(str(item.data(ICON_ROLE)), color))

    def changeEvent(self, event: QEvent) -> None:
        # Icons drawn in the palette's colour: redraw them when the system switches between light and dark.
        if event.type() == QEvent.Type.PaletteChange:
            self._paint_nav_icons(self.nav.currentRow())
        super().changeEvent(event)

    # ---- showing ----------------------------------------------------------------------------------------

    def open_page(self, name: str | None = None) -> None:
        """Show the window (on ``name``'s page when given) in front."""
        if name is not None:
            self.nav.setCurrentRow(PAGES.index(name))
        self.show()
        self.raise_()
        self.activateWindow()

    @property
    def current_page(self) -> str:
        return PAGES[self.nav.currentRow()]

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()
        self.devices.start()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.devices.stop()
        self._close_own_preview()

    def refresh(self) -> None:
        """Follow where the app is: whose devices to show, whether the server can change. The owner calls it when
        a call starts or ends and when the screen changes (pre-join opens its own devices)."""
        self.server.show_server(self.context.server_url, in_call=self._in_call())
        borrowed = self._borrowed()
        if borrowed is not None:
            self._close_own_preview()
            self.feed = borrowed
        elif self.isVisible():
            if self.own_preview is None:
                own = OwnPreview(self.context.provider, self._preview_problem)
                self.own_preview = own
                settings = self.context.settings
                self.tasks.spawn(self._open_own(own, settings.camera, settings.microphone), name="settings-preview")
            self.feed = self.own_preview
        else:
            self.feed = None
        self.devices.show_owner(self._owner())

    def _owner(self) -> DeviceOwner:
        feed = self._borrowed()
        if isinstance(feed, CallDevices):
            return DeviceOwner.CALL
        if isinstance(feed, BorrowedPreview):
            return DeviceOwner.PREJOIN
        return DeviceOwner.SETTINGS

    async def _open_own(self, own: OwnPreview, camera: str | None, microphone: str | None) -> None:
        if await own.set_camera(camera):
            self.devices.device_ok("camera")
        if await own.set_microphone(microphone):
            self.devices.device_ok("microphone")

    def _close_own_preview(self) -> None:
        own, self.own_preview = self.own_preview, None
        if own is not None:
            if self.feed is own:
                self.feed = None
            self.tasks.spawn(own.close(), name="settings-preview-close")

    def _preview_problem(self, device: PreviewDevice, problem: DeviceProblem) -> None:
        self.devices.device_problem(device, problem)

    def add_audio_section(self, build: Callable[[], QWidget]) -> None:
        """A section under the audio page's toggles, made by ``build`` now and after every language change."""
        self._audio_sections.append(build)
        self.audio.add_section(build())

    # ---- changes ----------------------------------------------------------------------------------------

    def _device_chosen(self, kind: str, device: str | None) -> None:
        self.context.save_settings()
        own = self.own_preview
        if own is not None and kind == "camera":
            self.tasks.spawn(self._reopen(own, "camera", device), name="settings-camera")
        elif own is not None and kind == "microphone":
            self.tasks.spawn(self._reopen(own, "microphone", device), name="settings-microphone")
        self.device_chosen.emit(kind, device)

    async def _reopen(self, own: OwnPreview, kind: PreviewDevice, device: str | None) -> None:
        opened = await (own.set_camera(device) if kind == "camera" else own.set_microphone(device))
        if opened:
            self.devices.device_ok(kind)

    def _audio_changed(self, config: AudioProcessingConfig) -> None:
        self.context.save_settings()
        self.audio_processing_changed.emit(config)

    def _video_changed(self, height: int) -> None:
        self.context.save_settings()
        self.video_quality_changed.emit(height)

    def _background_changed(self) -> None:
        self.context.save_settings()
        self.background_changed.emit()

    def _language_changed(self, language: str) -> None:
        self.context.save_settings()
        self.language_changed.emit(language)

    # ---- language -----------------------------------------------------------------------------------------

    def reload(self) -> None:
        """Show settings changed from elsewhere (the server's preferences): the pages are built again from them."""
        self.retranslate()

    def retranslate(self) -> None:
        """Rebuild every page in the language now installed, on the same page; the devices stay open."""
        row = self.nav.currentRow()
        self.nav.blockSignals(True)
        self.nav.clear()
        self.nav.blockSignals(False)
        while (old := self.stack.widget(0)) is not None:
            self.stack.removeWidget(old)
            old.deleteLater()
        self.devices.discard()
        self.tasks.spawn(self.devices.aclose(), name="settings-old-page")
        self.background.discard()
        self.tasks.spawn(self.background.aclose(), name="settings-old-background")
        self._build()
        for build in self._audio_sections:
            self.audio.add_section(build())
        self.nav.setCurrentRow(row)
        if self.isVisible():
            self.devices.start()

    async def shutdown(self) -> None:
        own, self.own_preview = self.own_preview, None
        self.feed = None
        if own is not None:
            await own.close()
        await self.devices.aclose()
        await self.background.aclose()
        await self.tasks.close()
