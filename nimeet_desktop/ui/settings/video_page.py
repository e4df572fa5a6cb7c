"""Video quality: the height of the video we send. Higher looks sharper and costs upload bandwidth and CPU."""

from __future__ import annotations

from typing import cast

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QRadioButton

from nimeet_desktop.settings import Settings, VideoQuality
from nimeet_desktop.ui.settings.page import Page, note

QUALITIES: tuple[VideoQuality, ...] = (360, 720, 1080)


class VideoPage(Page):
    changed = Signal(int)  # the new height, once the settings hold it

    def __init__(self, settings: Settings) -> None:
        super().__init__(self.tr("Video quality"))
        self.settings = settings
        texts = {
            360: (self.tr("360p"), self.tr("For a slow or metered connection, or an old computer.")),
            720: (self.tr("720p (recommended)"), self.tr("Sharp enough for faces, light on most connections.")),
            1080: (self.tr("1080p"), self.tr("The sharpest picture: needs a fast upload and a strong computer.")),
        }
        self.group = QButtonGroup(self)
        self.buttons: dict[int, QRadioButton] = {}
        for height in QUALITIES:
            label, why = texts[height]
            button = QRadioButton(label)
            button.setObjectName(f"quality{height}")
            button.setChecked(settings.video_quality == height)
            self.group.addButton(button, height)
            self.buttons[height] = button
            self.option(button, why)
        self.body.addSpacing(8)
        self.body.addWidget(note(self.tr("The picture you send; what you receive is up to the others.")))
        self.group.idToggled.connect(self._toggled)

    def _toggled(self, height: int, checked: bool) -> None:
        if checked and height != self.settings.video_quality:
            self.settings.video_quality = cast(VideoQuality, height)
            self.changed.emit(height)
