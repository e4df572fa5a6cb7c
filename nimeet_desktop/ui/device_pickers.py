"""The camera, microphone and speaker pickers with a microphone level meter: pre-join and the settings' devices page
show the same controls (object names the tests and screenshots find them by)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QComboBox, QProgressBar


@dataclass(frozen=True, slots=True)
class DevicePickers:
    cameras: QComboBox
    microphones: QComboBox
    speakers: QComboBox
    meter: QProgressBar


def device_pickers() -> DevicePickers:
    def picker(name: str) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(name)
        return combo

    meter = QProgressBar()
    meter.setObjectName("micLevel")
    meter.setRange(0, 100)
    meter.setTextVisible(False)
    meter.setMaximumHeight(10)
    level = QCoreApplication.translate("DevicePickers", "Microphone level")
    meter.setToolTip(level)
    meter.setAccessibleName(level)
    return DevicePickers(picker("cameraPicker"), picker("microphonePicker"), picker("speakerPicker"), meter)
