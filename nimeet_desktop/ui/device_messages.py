"""What people are told about a device that cannot be used, and about the call's other failures: one whole
sentence per device and kind of problem, never the driver's or the server's words (those are in the log)."""

from __future__ import annotations

from typing import Literal

from PySide6.QtCore import QCoreApplication

from nimeet_desktop.call.errors import CallError, CallErrorKind
from nimeet_desktop.media.devices import DeviceProblem

Device = Literal["camera", "microphone", "screen"]


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
        ("screen", DeviceProblem.NOT_FOUND): tr("DeviceMessages", "That screen is no longer connected"),
        ("screen", DeviceProblem.BUSY): tr("DeviceMessages", "The screen cannot be shared right now"),
        ("screen", DeviceProblem.FAILED): tr("DeviceMessages", "The screen could not be shared"),
        ("screen", DeviceProblem.LOST): tr("DeviceMessages", "Screen sharing stopped"),
    }
    return sentences[(device, problem)]


def call_error_text(error: CallError) -> str:
    """The sentence for what the call engine reported (``CallObserver.on_error``)."""
    tr = QCoreApplication.translate
    if error.kind in (CallErrorKind.DEVICE_UNAVAILABLE, CallErrorKind.DEVICE_STOPPED) and error.media is not None:
        problem = error.problem or (
            DeviceProblem.LOST if error.kind is CallErrorKind.DEVICE_STOPPED else DeviceProblem.FAILED
        )
        return device_problem_text(error.media, problem)
    if error.kind is CallErrorKind.SIGNALING_CLOSED:
        return tr("DeviceMessages", "The server ended your session: please sign in again")
    if error.kind is CallErrorKind.REJOIN_FAILED:
        return tr("DeviceMessages", "The connection came back, but the call could not be rejoined")
    return tr("DeviceMessages", "Something went wrong in the call (details are in the log)")
