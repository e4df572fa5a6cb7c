"""What the devices page shows: the camera's picture and the microphone's level, from whoever has the devices open.

The window never opens a device that is already open elsewhere (a webcam opened twice is busy, and its light stays
on): in a call it reads the call's own devices, in pre-join the preview's, and only on the other screens does it
open the chosen camera and microphone itself, in worker threads (``DevicePreview``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Protocol

import av

from nimeet_desktop.media.preview import DevicePreview, ErrorHandler
from nimeet_desktop.media.provider import MediaProvider
from nimeet_desktop.ui.engine_call import EngineCall


class DeviceOwner(Enum):
    """Who has the camera and microphone open now."""

    SETTINGS = "settings"  # nobody else: the settings window opens its own preview
    PREJOIN = "prejoin"
    CALL = "call"


class DeviceFeed(Protocol):
    def latest_frame(self) -> av.VideoFrame | None: ...

    def level_dbfs(self) -> float: ...


class OwnPreview:
    """The settings window's own preview: the chosen devices opened in worker threads, closed when it closes.

    Closed is closed: a device still opening when it closes (a webcam takes a second) is closed as soon as it is
    open, and nothing opens after it."""

    def __init__(self, provider: MediaProvider, on_error: ErrorHandler) -> None:
        self.preview = DevicePreview(provider, on_error=on_error)
        self.closed = False

    def latest_frame(self) -> av.VideoFrame | None:
        return self.preview.latest_frame

    def level_dbfs(self) -> float:
        return self.preview.level_dbfs

    async def set_camera(self, device: str | None) -> bool:
        """Open ``device`` instead of the camera before; False when it could not (or the preview closed)."""
        return await self._set(self.preview.set_camera, device)

    async def set_microphone(self, device: str | None) -> bool:
        return await self._set(self.preview.set_microphone, device)

    async def _set(self, opener: Callable[[str | None], Awaitable[bool]], device: str | None) -> bool:
        if self.closed:
            return False
        opened = await opener(device)
        if self.closed:  # closed while it was opening
            await self.preview.close()
            return False
        return opened

    async def close(self) -> None:
        self.closed = True
        await self.preview.close()


class BorrowedPreview:
    """Pre-join's preview, read and never closed: pre-join owns those devices and hands them to the call."""

    def __init__(self, preview: DevicePreview) -> None:
        self.preview = preview

    def latest_frame(self) -> av.VideoFrame | None:
        return self.preview.latest_frame

    def level_dbfs(self) -> float:
        return self.preview.level_dbfs


class CallDevices:
    """The call's own devices: what it sends (the own tile's picture) and what its microphone hears, muted or not
    (a meter that drops to nothing on mute would look like a broken microphone)."""

    def __init__(self, call: EngineCall) -> None:
        self.call = call

    def latest_frame(self) -> av.VideoFrame | None:
        return self.call.local_frame()

    def level_dbfs(self) -> float:
        return max(self.call.own_level(), self.call.muted_speech_level())
