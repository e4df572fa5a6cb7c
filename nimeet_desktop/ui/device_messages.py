"""What people are told about a camera or microphone that cannot be used: one whole sentence per device and kind of
problem, never the driver's words (those are in the log)."""

from __future__ import annotations

from typing import Literal

from PySide6.QtCore import QCoreApplication

from nimeet_desktop.media.devices import DeviceProblem

Device = Literal["camera", "microphone"]


def device_problem_text(device: Device, problem: DeviceProblem) -> str:
    # Whole sentences, each translated as one: word order and grammar differ per language.
    tr = QCoreApplication.translate
    sentences = {
        ("camera", DeviceProblem.NOT_FOUND): tr("DeviceMessages", "No camera was found"),
        ("camera", DeviceProblem.BUSY): tr("DeviceMessages", "The camera is in use by another application"),
        ("camera", DeviceProblem.FAILED): tr("DeviceMessages", "The camera could not be opened"),
        ("camera", DeviceProblem.LOST): tr("DeviceMessages", "The camera stopped working"),
        ("microphone", DeviceProblem.NOT_FOUND): tr("DeviceMessages", "No microphone was found"),
        ("microphone", DeviceProblem.BUSY): tr("DeviceMessages", "The microphone is in use by another application"),
        ("microphone", DeviceProblem.FAILED): tr("DeviceMessages", "The microphone could not be opened"),
        ("microphone", DeviceProblem.LOST): tr("DeviceMessages", "The microphone stopped working"),
    }
    return sentences[(device, problem)]
