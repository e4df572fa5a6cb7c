"""The Video page's "Background" section: none, blur or a picture behind the person, and the camera as it will be sent.

The picture comes from whoever has the camera open (``feeds.py``): in a call the call's own frames, which carry the
effect already (the window's owner applies the change to the call); before a call the raw frames of pre-join's or
the window's own preview, through this section's own ``EffectPreview`` (the model on its own thread).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

import av
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import QButtonGroup, QFileDialog, QHBoxLayout, QPushButton, QRadioButton, QVBoxLayout, QWidget

from nimeet_desktop.media.background import Mode
from nimeet_desktop.task_set import TaskSet
from nimeet_desktop.ui import background_choice
from nimeet_desktop.ui.context import AppContext
from nimeet_desktop.ui.form import error_label, show_error
from nimeet_desktop.ui.settings.feeds import DeviceFeed
from nimeet_desktop.ui.settings.page import note
from nimeet_desktop.ui.untrusted import ElidedLabel, plain_label
from nimeet_desktop.ui.video_tile import VideoTile

logger = logging.getLogger(__name__)

TICK_MS = 33
PREVIEW_HEIGHT = 160  # logical px, 16:9: the page fits the window in Russian too


class BackgroundSection(QWidget):
    changed = Signal()  # the settings hold a new choice (not saved yet: the window saves and tells the call)

    def __init__(
        self, context: AppContext, feed: Callable[[], DeviceFeed | None], feed_has_effect: Callable[[], bool]
    ) -> None:
        """``feed_has_effect``: the feed's frames are the call's, the effect already on them."""
        super().__init__()
        self.setObjectName("backgroundSection")
        self.context = context
        self._feed = feed
        self._feed_has_effect = feed_has_effect
        self.tasks = TaskSet("ui.settings.background", log=logger)
        self.effect: background_choice.EffectPreview | None = None  # while shown
        self.file_dialog: QFileDialog | None = None
        self._discarded = False
        self._unavailable = False  # the model cannot run here (``show_unavailable``)
        self._closing: list[asyncio.Future[None]] = []  # previews being closed (their model threads stopping)

        heading = plain_label(self.tr("Background"))
        font = heading.font()
        font.setBold(True)
        heading.setFont(font)
        self.group = QButtonGroup(self)
        self.buttons: dict[Mode, QRadioButton] = {}
        choices = QHBoxLayout()
        choices.setSpacing(16)
        for index, (mode, text) in enumerate(background_choice.mode_texts().items()):
            button = QRadioButton(text)
            button.setObjectName(f"background-{mode}")
            self.group.addButton(button, index)
            self.buttons[mode] = button
            choices.addWidget(button)
        choices.addStretch(1)
        # The picture: its own row, so the choices fit a narrow page in longer languages too.
        self.choose_button = QPushButton(self.tr("Choose image…"))
        self.choose_button.setObjectName("chooseBackgroundImage")
        self.image_label = ElidedLabel("")  # the picture's file name: the user's own, but it may be long
        picture_row = QHBoxLayout()
        picture_row.setSpacing(12)
        picture_row.addWidget(self.choose_button)
        picture_row.addWidget(self.image_label, 1)
        self.error = error_label()
        self.unavailable = note("")
        self.unavailable.setObjectName("backgroundUnavailable")
        self.unavailable.hide()
        self.tile = VideoTile(
            "background-preview",
            self.tr("You"),
            self._frame,
            is_self=True,
            avatar_name=context.user.username if context.user else None,
        )
        self.tile.setFixedSize(PREVIEW_HEIGHT * 16 // 9, PREVIEW_HEIGHT)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(heading)
        layout.addLayout(choices)
        layout.addLayout(picture_row)
        layout.addWidget(note(self.tr("Blur what is behind you, or put a picture there, in the video you send.")))
        layout.addWidget(self.error)
        layout.addWidget(self.unavailable)
        layout.addWidget(self.tile, 0, Qt.AlignmentFlag.AlignLeft)

        self._clock = QTimer(self)
        self._clock.setInterval(TICK_MS)
        self._clock.timeout.connect(self._tick)
        self.group.idClicked.connect(lambda index: self._clicked(background_choice.MODES[index]))
        self.choose_button.clicked.connect(self.choose_image)
        self.show_settings()

    # ---- what the settings say ------------------------------------------------------------------------------

    def show_settings(self) -> None:
        """The buttons as the settings are (changed in pre-join or by the server's preferences too)."""
        settings = self.context.settings
        button = self.buttons[settings.background_mode]
        if not button.isChecked():
            button.setChecked(True)
        if self._unavailable:
            # Only "No effect" stays, and only while an effect is on (turned on elsewhere: the account's preferences).
            self.buttons["off"].setEnabled(settings.background_mode != "off")
        image = settings.background_image
        self.image_label.setText(self.tr("Image: {name}").format(name=_file_name(image)) if image else "")

    def _clicked(self, mode: Mode) -> None:
        show_error(self.error, None)
        settings = self.context.settings
        if mode == "replace" and settings.background_image is None:
            self.show_settings()  # the picture comes first: until one is read, the choice stays as it was
            self.choose_image()
            return
        if mode == settings.background_mode:
            return
        background_choice.choose(settings, mode, settings.background_image)
        self.show_settings()
        self.changed.emit()

    def choose_image(self) -> None:
        self.file_dialog = background_choice.image_dialog(self, self.image_chosen, self.file_dialog)

    def image_chosen(self, path: str) -> None:
        self.file_dialog = None
        self.tasks.spawn(self._take_image(path), name="background-image")

    async def _take_image(self, path: str) -> None:
        refusal = await background_choice.take_image(self.context.settings, path, lambda: not self._discarded)
        if self._discarded:
            return
        show_error(self.error, refusal)
        if refusal is None:
            self.show_settings()
            self.changed.emit()

    async def _check_available(self) -> None:
        problem = await background_choice.effects_unavailable(self.context.provider)
        if problem is not None and not self._discarded:
            self.show_unavailable(problem)

    def show_unavailable(self, why: str) -> None:
        """No model here: no effect can be chosen; the reason shows on the controls and under them."""
        self._unavailable = True
        for control in (*self.buttons.values(), self.choose_button):
            control.setEnabled(False)
            control.setToolTip(why)
        self.unavailable.setText(why)
        self.unavailable.show()
        self.show_settings()

    # ---- the preview ----------------------------------------------------------------------------------------

    def _frame(self) -> av.VideoFrame | None:
        feed = self._feed()
        raw = None if feed is None else feed.latest_frame()
        if self._feed_has_effect() or self.effect is None:
            return raw
        return self.effect.frame(raw)

    def _tick(self) -> None:
        self.show_settings()
        self.tile.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._discarded:
            return
        self.show_settings()
        if self.effect is None:
            self.effect = background_choice.EffectPreview(self.context.settings, self.context.provider)
            self.effect.failed.connect(lambda: self.show_unavailable(background_choice.unavailable_text()))
        self.tasks.spawn(self._check_available(), name="background-available")
        self._clock.start()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._stop()

    def _stop(self) -> None:
        self._clock.stop()
        effect, self.effect = self.effect, None
        if effect is not None:
            self._closing = [*(f for f in self._closing if not f.done()), effect.close()]

    def discard(self) -> None:
        """The page is being replaced (deleted soon): nothing of it runs from now on."""
        self._discarded = True
        self._stop()

    async def aclose(self) -> None:
        """Frees the preview's model thread; waits for it."""
        self._stop()
        closing, self._closing = self._closing, []
        await self.tasks.close()
        await asyncio.gather(*closing)


def _file_name(path: str | None) -> str:
    return Path(path).name if path else ""
