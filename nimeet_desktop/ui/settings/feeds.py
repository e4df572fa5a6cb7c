"""What the devices page shows: the camera's picture and the microphone's level, from whoever has the devices open.

The window never opens a device that is already open elsewhere (a webcam opened twice is busy, and its light stays
on): in a call it reads the call's own devices, in pre-join the preview's, and only on the other screens does it
open the chosen camera and microphone itself, in worker threads (``DevicePreview``).
"""

from __future__ import annotations

from typing import Protocol

import av

from nimeet_desktop.call.desktop_call import DesktopCall
from nimeet_desktop.media.devices import DeviceProblem
from nimeet_desktop.media.preview import DevicePreview, ErrorHandler
from nimeet_desktop.media.provider import MediaProvider


class DeviceFeed(Protocol):
    owns_devices: bool
    """True when this feed opened the devices (and so reopens them when another one is chosen)."""

    def latest_frame(self) -> av.VideoFrame | None: ...

    def level_dbfs(self) -> float: ...

    async def open(self, camera: str | None, microphone: str | None) -> None: ...

    async def close(self) -> None: ...


class OwnPreview:
    """The settings window's own preview: the chosen devices opened in worker threads, closed when it closes."""

    owns_devices = True

    def __init__(self, provider: MediaProvider, on_error: ErrorHandler) -> None:
        self.preview = DevicePreview(provider, on_error=on_error)

    def latest_frame(self) -> av.VideoFrame | None:
        return self.preview.latest_frame

    def level_dbfs(self) -> float:
        return self.preview.level_dbfs

    async def open(self, camera: str | None, microphone: str | None) -> None:
        await self.preview.set_camera(camera)
        await self.preview.set_microphone(microphone)

    async def close(self) -> None:
        await self.preview.close()


class BorrowedPreview:
    """Pre-join's preview, read and never closed: pre-join owns those devices and hands them to the call."""

    owns_devices = False

    def __init__(self, preview: DevicePreview) -> None:
        self.preview = preview

    def latest_frame(self) -> av.VideoFrame | None:
        return self.preview.latest_frame

    def level_dbfs(self) -> float:
        return self.preview.level_dbfs

    async def open(self, camera: str | None, microphone: str | None) -> None:
        return None

    async def close(self) -> None:
        return None


class CallDevices:
    """The call's own devices: what it sends (the own tile's picture) and what its microphone hears, muted or not
    (a meter that drops to nothing on mute would look like a broken microphone)."""

    owns_devices = False

    def __init__(self, call: DesktopCall) -> None:
        self.call = call

    def latest_frame(self) -> av.VideoFrame | None:
        return self.call.local_frame()

    def level_dbfs(self) -> float:
        return max(self.call.own_level(), self.call.muted_speech_level())

    async def open(self, camera: str | None, microphone: str | None) -> None:
        return None

    async def close(self) -> None:
        return None


__all__ = ["BorrowedPreview", "CallDevices", "DeviceFeed", "DeviceProblem", "OwnPreview"]
