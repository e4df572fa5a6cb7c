"""Audio processing: each stage of WebRTC's processing on the microphone on its own, on by default, with why
someone would turn it off. Push-to-talk's section goes under them (``SettingsWindow.add_audio_section``)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QVBoxLayout, QWidget

from nimeet_desktop.media.audio_processing import AudioProcessingConfig
from nimeet_desktop.settings import Settings
from nimeet_desktop.ui.settings.page import Page

STAGES = ("echo_cancellation", "noise_suppression", "auto_gain_control", "high_pass_filter")


class AudioPage(Page):
    changed = Signal(object)  # the new AudioProcessingConfig, once the settings hold it

    def __init__(self, settings: Settings) -> None:
        super().__init__(self.tr("Audio processing"))
        self.settings = settings
        texts = {
            "echo_cancellation": (
                self.tr("Echo cancellation"),
                self.tr(
                    "Keeps the others from hearing themselves through your speakers. Turn it off only with "
                    "headphones or a speakerphone that cancels echo itself."
                ),
            ),
            "noise_suppression": (
                self.tr("Noise suppression"),
                self.tr("Removes steady noise such as fans and traffic. Turn it off to play music."),
            ),
            "auto_gain_control": (
                self.tr("Automatic gain control"),
                self.tr("Keeps your voice at an even level. Turn it off if you set your microphone's level yourself."),
            ),
            "high_pass_filter": (
                self.tr("High-pass filter"),
                self.tr("Removes low rumble and hum. Turn it off for a bass instrument."),
            ),
        }
        self.boxes: dict[str, QCheckBox] = {}
        for stage in STAGES:
            label, why = texts[stage]
            box = QCheckBox(label)
            box.setObjectName(stage)
            box.setChecked(bool(getattr(settings, stage)))
            box.toggled.connect(self._changed)
            self.boxes[stage] = box
            self.option(box, why)
        # More sections (push-to-talk) go here, under the processing stages.
        self.sections = QVBoxLayout()
        self.sections.setSpacing(8)
        self.body.addLayout(self.sections)

    def config(self) -> AudioProcessingConfig:
        return AudioProcessingConfig(**{stage: box.isChecked() for stage, box in self.boxes.items()})

    def add_section(self, widget: QWidget) -> None:
        """Another section of this page, under what is there (push-to-talk's settings)."""
        self.sections.addWidget(widget)

    def _changed(self) -> None:
        for stage, box in self.boxes.items():
            setattr(self.settings, stage, box.isChecked())
        self.changed.emit(self.config())
