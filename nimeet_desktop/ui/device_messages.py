"""What people are told about a device that cannot be used, and about the call's other failures: one whole
sentence per device and kind of problem, never the driver's or the server's words (those are in the log)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QLabel

from nimeet_desktop.call.errors import CallError, CallErrorKind
from nimeet_desktop.media.devices import DeviceProblem
from nimeet_desktop.ui.form import show_error
from signaling_server.protocol import MediaType


def device_problem_text(device: MediaType, problem: DeviceProblem) -> str:
    # Whole sentences, each translated as one: word order and grammar differ per language. Spelled out in full:
    # lupdate reads ``QCoreApplication.translate(context, text)``, an alias such as ``tr = ...`` it misreads.
    sentences = {
        ("camera", DeviceProblem.NOT_FOUND): QCoreApplication.translate("DeviceMessages", "No camera was found"),
        ("camera", DeviceProblem.BUSY): QCoreApplication.translate(
            "DeviceMessages", "The camera is in use by another application"
        ),
        ("camera", DeviceProblem.FAILED): QCoreApplication.translate(
            "DeviceMessages", "The camera could not be opened"
        ),
        ("camera", DeviceProblem.LOST): QCoreApplication.translate("DeviceMessages", "The camera stopped working"),
        ("microphone", DeviceProblem.NOT_FOUND): QCoreApplication.translate(
            "DeviceMessages", "No microphone was found"
        ),
        ("microphone", DeviceProblem.BUSY): QCoreApplication.translate(
            "DeviceMessages", "The microphone is in use by another application"
        ),
        ("microphone", DeviceProblem.FAILED): QCoreApplication.translate(
            "DeviceMessages", "The microphone could not be opened"
        ),
        ("microphone", DeviceProblem.LOST): QCoreApplication.translate(
            "DeviceMessages", "The microphone stopped working"
        ),
        ("screen", DeviceProblem.NOT_FOUND): QCoreApplication.translate(
            "DeviceMessages", "That screen is no longer connected"
        ),
        ("screen", DeviceProblem.BUSY): QCoreApplication.translate(
            "DeviceMessages", "The screen cannot be shared right now"
        ),
        ("screen", DeviceProblem.FAILED): QCoreApplication.translate(
            "DeviceMessages", "The screen could not be shared"
        ),
        ("screen", DeviceProblem.LOST): QCoreApplication.translate("DeviceMessages", "Screen sharing stopped"),
    }
    return sentences[(device, problem)]


def call_error_text(error: CallError) -> str:
    """The sentence for what the call engine reported (``CallObserver.on_error``)."""
    if error.kind in (CallErrorKind.DEVICE_UNAVAILABLE, CallErrorKind.DEVICE_STOPPED) and error.media is not None:
        problem = error.problem or (
            DeviceProblem.LOST if error.kind is CallErrorKind.DEVICE_STOPPED else DeviceProblem.FAILED
        )
        return device_problem_text(error.media, problem)
    if error.kind is CallErrorKind.SIGNALING_CLOSED:
        return QCoreApplication.translate("DeviceMessages", "The server ended your session: please sign in again")
    if error.kind is CallErrorKind.REJOIN_FAILED:
        return QCoreApplication.translate(
            "DeviceMessages", "The connection came back, but the call could not be rejoined"
        )
    if error.kind is CallErrorKind.NO_RELAY:
        return QCoreApplication.translate(
            "DeviceMessages",
            "“Relay only” is on, but this server offers no relay (TURN) server: nobody in the call can be reached. "
            "Turn it off in Settings → Server.",
        )
    if error.kind is CallErrorKind.SFU_UNREACHABLE:
        return QCoreApplication.translate(
            "DeviceMessages",
            "The server's media router (SFU) does not answer: the others cannot see or hear you yet. Trying again…",
        )
    return QCoreApplication.translate("DeviceMessages", "Something went wrong in the call (details are in the log)")


class DeviceProblems:
    """The sentences under a screen's device pickers (pre-join, the settings): one per device, gone when the device
    works again; the label shows them all, one per line, or hides."""

    def __init__(self, label: QLabel) -> None:
        self._label = label
        self._sentences: dict[str, str] = {}

    def failed(self, device: MediaType, problem: DeviceProblem) -> None:
        self.say(device, device_problem_text(device, problem))

    def say(self, device: str, sentence: str) -> None:
        self._sentences[device] = sentence
        self._show()

    def ok(self, device: str) -> None:
        self._sentences.pop(device, None)
        self._show()

    def clear(self) -> None:
        self._sentences.clear()
        self._show()

    def _show(self) -> None:
        show_error(self._label, "\n".join(self._sentences.values()) or None)
