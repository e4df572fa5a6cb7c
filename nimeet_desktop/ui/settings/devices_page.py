"""Camera, microphone and speaker: pick each, see the camera, watch the microphone's level, hear a test sound.

What is shown comes from a ``DeviceFeed`` the window chooses (feeds.py): the call's own devices in a call, never a
second opening of them. A choice is saved at once and announced (``device_chosen``): the window's owner switches
the call's device; outside a call the window's own preview reopens it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import av
from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QPushButton

from nimeet_desktop.media import chime
from nimeet_desktop.media.devices import DeviceProblem, DeviceUnavailable
from nimeet_desktop.media.preview import PreviewDevice
from nimeet_desktop.media.provider import DeviceChoice
from nimeet_desktop.task_set import TaskSet
from nimeet_desktop.ui.context import AppContext
from nimeet_desktop.ui.device_messages import DeviceProblems
from nimeet_desktop.ui.device_pickers import device_pickers
from nimeet_desktop.ui.form import error_label
from nimeet_desktop.ui.settings.feeds import DeviceFeed, DeviceOwner
from nimeet_desktop.ui.settings.page import Page, note
from nimeet_desktop.ui.untrusted import plain_label
from nimeet_desktop.ui.video_tile import VideoTile
from nimeet_desktop.ui.views.prejoin_view import meter_value

logger = logging.getLogger(__name__)

TICK_MS = 33  # the preview's frame clock and the meter, as in pre-join
PREVIEW_HEIGHT = 198  # logical px: 16:9 at 352 wide, beside the pickers on a 900 px window


class DevicesPage(Page):
    device_chosen = Signal(str, object)  # "camera" | "microphone" | "speaker", a device id or None (the default)

    def __init__(
        self, context: AppContext, feed: Callable[[], DeviceFeed | None], owner: Callable[[], DeviceOwner]
    ) -> None:
        super().__init__(self.tr("Devices"))
        self.context = context
        self._owner = owner
        # The page's own: a page replaced (another language) stops listing into widgets that are gone.
        self.tasks = TaskSet("ui.settings.devices", log=logger)
        self._feed = feed
        user = context.user
        self.tile = VideoTile(
            "settings-preview",
            self.tr("You"),
            self._latest_frame,
            is_self=True,
            avatar_name=user.username if user else None,
        )
        self.tile.setFixedSize(PREVIEW_HEIGHT * 16 // 9, PREVIEW_HEIGHT)  # a camera's 16:9, no black bars
        pickers = device_pickers()
        self.cameras, self.microphones, self.speakers = pickers.cameras, pickers.microphones, pickers.speakers
        self.meter = pickers.meter
        self.test_button = QPushButton(self.tr("Play test sound"))
        self.test_button.setObjectName("testSound")
        self.device_error = error_label()
        self._problems = DeviceProblems(self.device_error)
        self._discarded = False

        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(8)
        grid.addWidget(plain_label(self.tr("Camera")), 0, 0)
        grid.addWidget(self.cameras, 0, 1, 1, 2)
        grid.addWidget(self.tile, 1, 1, 1, 2, Qt.AlignmentFlag.AlignLeft)
        grid.addWidget(plain_label(self.tr("Microphone")), 2, 0)
        grid.addWidget(self.microphones, 2, 1, 1, 2)
        grid.addWidget(self.meter, 3, 1, 1, 2)
        grid.addWidget(plain_label(self.tr("Speaker")), 4, 0)
        grid.addWidget(self.speakers, 4, 1)
        grid.addWidget(self.test_button, 4, 2)
        grid.setColumnStretch(1, 1)
        self.body.addLayout(grid)
        self.body.addWidget(self.device_error)
        # Whose devices these are, when they are not the window's own (``show_owner``).
        self.owner_note = note("")
        self.owner_note.setObjectName("devicesOwner")
        self.owner_note.hide()
        self.body.addWidget(self.owner_note)

        self._clock = QTimer(self)
        self._clock.setInterval(TICK_MS)
        self._clock.timeout.connect(self._tick)
        self.cameras.activated.connect(lambda _i: self._chosen("camera", self.cameras))
        self.microphones.activated.connect(lambda _i: self._chosen("microphone", self.microphones))
        self.speakers.activated.connect(lambda _i: self._chosen("speaker", self.speakers))
        self.test_button.clicked.connect(self.play_test_sound)

    # ---- the feed -----------------------------------------------------------------------------------------

    def _latest_frame(self) -> av.VideoFrame | None:
        feed = self._feed()
        return None if feed is None else feed.latest_frame()

    def show_owner(self, owner: DeviceOwner) -> None:
        """In a call a choice here switches the call's device; in pre-join the pickers there are the ones that count
        (pre-join joins with what they say), so these are not offered."""
        texts = {
            DeviceOwner.CALL: self.tr("In a call, a device chosen here is used at once."),
            DeviceOwner.PREJOIN: self.tr("Before joining, choose the devices on the pre-join screen."),
        }
        text = texts.get(owner)
        self.owner_note.setText(text or "")
        self.owner_note.setVisible(text is not None)
        for box in (self.cameras, self.microphones, self.speakers):
            box.setDisabled(owner is DeviceOwner.PREJOIN or box.count() == 0 or box.currentData() is None)

    def start(self) -> None:
        """The window shows: list the devices (in threads), then the feed shows them."""
        self._clock.start()
        self.tasks.spawn(self._list_devices(), name="settings-devices")

    def stop(self) -> None:
        self._clock.stop()
        self.meter.setValue(0)

    def discard(self) -> None:
        """The page is being replaced (deleted soon): nothing of it runs from now on, no widget of it is touched."""
        self._discarded = True
        self.stop()

    async def aclose(self) -> None:
        """Stop its tasks (the widgets may be gone by then: only the tasks are touched)."""
        await self.tasks.close()

    def _tick(self) -> None:
        self.tile.refresh()
        feed = self._feed()
        self.meter.setValue(0 if feed is None else meter_value(feed.level_dbfs()))

    async def _list_devices(self) -> None:
        provider = self.context.provider
        cameras, microphones, speakers = await asyncio.gather(
            asyncio.to_thread(provider.cameras),
            asyncio.to_thread(provider.microphones),
            asyncio.to_thread(provider.speakers),
        )
        if self._discarded:
            return
        settings = self.context.settings
        fill(self.cameras, cameras, settings.camera, self.tr("No camera found"))
        fill(self.microphones, microphones, settings.microphone, self.tr("No microphone found"))
        fill(self.speakers, speakers, settings.speaker, self.tr("System default"))
        self.show_owner(self._owner())

    # ---- choices ----------------------------------------------------------------------------------------

    def _chosen(self, kind: str, box: QComboBox) -> None:
        data = box.currentData()
        device = None if data is None else str(data)
        settings = self.context.settings
        if kind == "camera":
            settings.camera = device
        elif kind == "microphone":
            settings.microphone = device
        else:
            settings.speaker = device
        self.device_chosen.emit(kind, device)

    def device_problem(self, device: PreviewDevice, problem: DeviceProblem) -> None:
        """The window's own preview could not open (or lost) a device: one sentence per device."""
        self._problems.failed(device, problem)

    def device_ok(self, device: str) -> None:
        self._problems.ok(device)

    # ---- the test sound ---------------------------------------------------------------------------------

    def play_test_sound(self) -> None:
        self.tasks.spawn(self._play(), name="test-sound")  # the button is disabled until it is over

    async def _play(self) -> None:
        self.test_button.setEnabled(False)
        self.device_ok("speaker")
        try:
            await asyncio.to_thread(chime.play_chime, self.context.settings.speaker)
        except DeviceUnavailable as exc:
            logger.info("test sound not played (%s): %s", exc.kind, exc)
            if not self._discarded:
                self._problems.say("speaker", speaker_problem_text(exc.kind))
        finally:
            if not self._discarded:
                self.test_button.setEnabled(True)


def speaker_problem_text(problem: DeviceProblem) -> str:
    if problem is DeviceProblem.NOT_FOUND:
        return QCoreApplication.translate("DevicesPage", "No speaker was found")
    if problem is DeviceProblem.BUSY:
        return QCoreApplication.translate("DevicesPage", "The speaker is in use by another application")
    return QCoreApplication.translate("DevicesPage", "The speaker could not be used")


def fill(box: QComboBox, choices: list[DeviceChoice], chosen: str | None, empty: str) -> None:
    """The pickers as pre-join fills them: the chosen device selected, or the first; a line saying none."""
    box.clear()
    for choice in choices:
        box.addItem(choice.name, choice.id)
    if not choices:
        box.addItem(empty, None)
    index = box.findData(chosen) if chosen is not None else -1
    box.setCurrentIndex(max(0, index))
    box.setEnabled(bool(choices))
