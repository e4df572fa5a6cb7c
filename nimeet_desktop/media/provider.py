"""Which devices exist and how to open them: the real ones, or synthetic stand-ins.

The app asks a ``MediaProvider`` for everything it captures, so the same windows run on a laptop's camera and
microphone, on a headless test machine, or for the screenshot script (``nimeet --synthetic-media``). Opening is
blocking (a webcam can take a second): callers on the event loop use ``asyncio.to_thread``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from nimeet_desktop.media import devices
from nimeet_desktop.media.base import AudioSource, VideoSource
from nimeet_desktop.media.synthetic import SyntheticAudio, SyntheticVideo

if TYPE_CHECKING:
    from nimeet_desktop.media.background import Segmenter

CAMERA_WIDTH, CAMERA_HEIGHT, CAMERA_FPS = 1280, 720, 30.0
SCREEN_FPS = 15.0

VideoHeight = Literal[360, 720, 1080]
"""The video qualities people choose from (settings ``video_quality``), all 16:9."""


def width_for(height: int) -> int:
    """The 16:9 width of ``height`` lines, even (yuv420p halves it)."""
    return (height * 16 // 9) & ~1


@dataclass(frozen=True, slots=True)
class DeviceChoice:
    """One entry of a device picker: ``id`` is what the settings keep (text), ``name`` what people read."""

    id: str
    name: str


class MediaProvider:
    """The machine's devices. Cameras open at ``video_height`` lines (16:9), the quality chosen in settings."""

    video_height: int = CAMERA_HEIGHT

    def cameras(self) -> list[DeviceChoice]:
        return [DeviceChoice(str(c.id), c.name) for c in devices.list_cameras()]

    def microphones(self) -> list[DeviceChoice]:
        return [DeviceChoice(d.name, d.name) for d in devices.list_microphones()]

    def speakers(self) -> list[DeviceChoice]:
        return [DeviceChoice(d.name, d.name) for d in devices.list_speakers()]

    def monitors(self) -> list[DeviceChoice]:
        return [DeviceChoice(str(m.id), f"{m.name} ({m.width}×{m.height})") for m in devices.list_monitors()]

    def windows(self, exclude: frozenset[int] = frozenset()) -> list[DeviceChoice]:
        """Application windows to share on their own (X11), front-most first; ``exclude``: our own windows. Their
        ids are share targets for ``open_screen`` as monitors' are."""
        from nimeet_desktop.media.windows import list_windows

        return [DeviceChoice(w.target, w.title) for w in list_windows(exclude=set(exclude))]

    def share_area(self, target: str) -> tuple[int, int, int, int] | None:
        """Where a share target is on the screen now (left, top, width, height in the display's pixels), for the
        frame around it; None when unknown (gone, minimised, no display)."""
        from nimeet_desktop.media.windows import window_geometry, window_target

        if (window := window_target(target)) is not None:
            where = window_geometry(window)
            return None if where is None else (where.left, where.top, where.width, where.height)
        for monitor in devices.list_monitors():
            if str(monitor.id) == target:
                return (monitor.left, monitor.top, monitor.width, monitor.height)
        return None

    def open_camera(self, device: str | None) -> VideoSource:
        from nimeet_desktop.media.camera import CameraSource

        chosen: int | str = 0 if device is None else int(device) if device.isdigit() else device
        height = self.video_height
        return CameraSource(chosen, width=width_for(height), height=height, fps=CAMERA_FPS)

    def open_microphone(self, device: str | None) -> AudioSource:
        from nimeet_desktop.media.microphone import MicrophoneSource

        return MicrophoneSource(device)

    def open_screen(self, monitor: str) -> VideoSource:
        """``monitor``: a monitor's number, or a window's share target (``window:<id>``)."""
        from nimeet_desktop.media.screen import ScreenSource
        from nimeet_desktop.media.windows import window_target

        if (window := window_target(monitor)) is not None:
            return ScreenSource(window=window, fps=SCREEN_FPS)
        return ScreenSource(int(monitor), fps=SCREEN_FPS)

    def speaker_output(self) -> bool:
        """Whether remote audio should go to a real speaker."""
        return True

    def segmenter(self) -> Segmenter:
        """The person segmentation model of background effects, loaded (blocking, ~10 ms): the previews before a
        call use it (media/background_preview.py). Raises where it cannot load."""
        from nimeet_desktop.media.background import default_segmenter

        return default_segmenter()

    def needs_audio_reset(self, kind: Literal["microphone", "speaker"], device: str | None) -> bool:
        """Whether opening ``device`` needs PortAudio re-initialized first: it was plugged in after PortAudio listed
        the devices (blocking: lists them)."""
        from nimeet_desktop.media import portaudio_reset

        return not portaudio_reset.knows(kind, device)


class SyntheticMediaProvider(MediaProvider):
    """A moving test picture for a camera, a tone for a microphone, a second picture for a screen, no speaker."""

    def __init__(self, width: int = 640, height: int = 360, fps: float = 30.0, name: str = "Synthetic") -> None:
        self.width, self.height, self.fps, self.name = width, height, fps, name

    @property  # the synthetic picture's own size: the same setting sizes it
    def video_height(self) -> int:
        return self.height

    @video_height.setter
    def video_height(self, height: int) -> None:
        self.width, self.height = width_for(height), height

    def cameras(self) -> list[DeviceChoice]:
        return [DeviceChoice("synthetic", f"{self.name} camera")]

    def microphones(self) -> list[DeviceChoice]:
        return [DeviceChoice("synthetic", f"{self.name} tone")]

    def speakers(self) -> list[DeviceChoice]:
        return []

    def monitors(self) -> list[DeviceChoice]:
        return [DeviceChoice("1", f"{self.name} screen (1280×720)")]

    def windows(self, exclude: frozenset[int] = frozenset()) -> list[DeviceChoice]:
        return []

    def share_area(self, target: str) -> tuple[int, int, int, int] | None:
        return (0, 0, 1280, 720) if target == "1" else None

    def open_camera(self, device: str | None) -> VideoSource:
        return SyntheticVideo(self.width, self.height, self.fps, label="synthetic camera")

    def open_microphone(self, device: str | None) -> AudioSource:
        return SyntheticAudio()

    def open_screen(self, monitor: str) -> VideoSource:
        return SyntheticVideo(1280, 720, SCREEN_FPS, label="synthetic screen")

    def speaker_output(self) -> bool:
        return False

    def needs_audio_reset(self, kind: Literal["microphone", "speaker"], device: str | None) -> bool:
        return False
