"""What went wrong in a call, as data: the engine cannot translate (no Qt here), so it says *what* happened and the
UI says it in the user's language (``ui/messages.py``). ``str()`` of an error is the English line for logs and for
the headless client's report."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from nimeet_desktop.media.devices import DeviceProblem, DeviceUnavailable
from nimeet_desktop.net.error_codes import AnyErrorCode
from signaling_server.protocol import MediaType


class CallErrorKind(StrEnum):
    DEVICE_UNAVAILABLE = "device-unavailable"  # a camera, microphone or screen that would not open (``media``)
    DEVICE_STOPPED = "device-stopped"  # one that worked and then stopped mid-call (``media``)
    SIGNALING_CLOSED = "signaling-closed"  # the server ended our session for good (a refused token)
    REJOIN_FAILED = "rejoin-failed"  # reconnected, but the room would not take us back (``code``)
    NO_RELAY = "no-relay"  # relay-only (``EngineOptions.relay_only``), but the server names no TURN server
    SFU_UNREACHABLE = "sfu-unreachable"  # an SFU room whose SFU refuses our media for now (tried again)
    FAILED = "failed"  # any other failure of the engine's own work; ``code`` when the server refused something


@dataclass(frozen=True, slots=True)
class CallError:
    kind: CallErrorKind
    detail: str  # English, from the library or the server: for the log, never shown as it is
    media: MediaType | None = None
    problem: DeviceProblem | None = None
    code: AnyErrorCode | None = None

    @classmethod
    def device_unavailable(cls, media: MediaType, exc: Exception) -> CallError:
        """A device that would not open: what kind of problem ``DeviceUnavailable`` says, else a plain failure."""
        problem = exc.kind if isinstance(exc, DeviceUnavailable) else DeviceProblem.FAILED
        return cls(CallErrorKind.DEVICE_UNAVAILABLE, str(exc), media=media, problem=problem)

    def __str__(self) -> str:
        if self.kind is CallErrorKind.DEVICE_UNAVAILABLE:
            return f"{self.media} unavailable: {self.detail}"
        if self.kind is CallErrorKind.DEVICE_STOPPED:
            return f"{self.media} stopped: {self.detail}"
        if self.kind is CallErrorKind.SIGNALING_CLOSED:
            return f"signaling closed: {self.detail}"
        if self.kind is CallErrorKind.REJOIN_FAILED:
            return f"could not rejoin the room: {self.detail}"
        return self.detail
