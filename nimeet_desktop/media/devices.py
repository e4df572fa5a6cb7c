"""Which cameras, microphones, speakers and screens this machine has, and the plumbing shared by their sources.

Enumeration never raises and never hangs: a machine without a camera, a sound card, PortAudio or a display simply
has none of them (``[]``), and the reason is logged once. Every device has an ``id`` that opens it (pass it to
``CameraSource``, ``MicrophoneSource``, ``AudioMixer`` or ``ScreenSource``) and a human ``name`` for the UI.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import glob
import logging
import os
import platform
import struct
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from types import ModuleType
from typing import Any, Generic, TypeVar

import cv2
import mss

logger = logging.getLogger(__name__)

T = TypeVar("T")

CameraId = int | str
"""A camera: an index (as OpenCV numbers them) or a device path such as ``/dev/video0`` (Linux)."""

AudioDeviceId = int | str
"""A PortAudio device: its index, or a substring of its name as sounddevice accepts."""

MAX_CAMERA_PROBES = 4
"""Where cameras cannot be listed from the OS (Windows, macOS), how many OpenCV indices we try at most."""


class DeviceProblem(StrEnum):
    """What went wrong with a device, in the terms people are told (the UI says it in a sentence of its own; the
    exception's text, with the driver's words, goes to the log)."""

    NOT_FOUND = "not-found"  # none there, or the chosen one is gone
    BUSY = "busy"  # there, but another program has it
    FAILED = "failed"  # anything else: no permission, a driver error, no PortAudio, no display
    LOST = "lost"  # it worked, then stopped (unplugged, taken away)


class DeviceUnavailable(Exception):
    """A device could not be opened: absent, busy, no permission, no PortAudio, no display. ``kind`` says which
    for people; the message has the details for the log."""

    def __init__(self, message: str, kind: DeviceProblem = DeviceProblem.FAILED) -> None:
        super().__init__(message)
        self.kind = kind


def audio_problem(exc: BaseException) -> DeviceProblem:
    """What a PortAudio / sounddevice error means: only its text tells (PortAudioError carries no stable code).

    ``Error querying device -1``: there is no default device at all (another number: no device with that index);
    ``No input device matching``: a named one is not plugged in; ``Device unavailable``: another program holds it
    exclusively."""
    text = str(exc).lower()
    missing = ("error querying device", "no input device", "no output device", "invalid device")
    if any(phrase in text for phrase in missing):
        return DeviceProblem.NOT_FOUND
    if "unavailable" in text or "busy" in text:
        return DeviceProblem.BUSY
    return DeviceProblem.FAILED


@dataclass(frozen=True, slots=True)
class CameraInfo:
    id: CameraId
    name: str


@dataclass(frozen=True, slots=True)
class AudioDeviceInfo:
    id: int
    name: str
    host_api: str
    channels: int
    default_samplerate: float
    is_default: bool


@dataclass(frozen=True, slots=True)
class MonitorInfo:
    id: int
    """As mss numbers monitors: 1 is the first monitor (0 would be all of them together)."""
    name: str
    left: int
    top: int
    width: int
    height: int
    is_primary: bool


_logged_once: set[str] = set()


def _log_once(key: str, message: str, *args: object) -> None:
    if key in _logged_once:
        return
    _logged_once.add(key)
    logger.warning(message, *args)


# --- cameras -------------------------------------------------------------------------------------------------------

_VIDIOC_QUERYCAP = 0x80685600  # _IOR('V', 0, struct v4l2_capability), a 104-byte struct
_V4L2_CAPABILITY = struct.Struct("=16s32s32sIII12x")
_V4L2_CAP_VIDEO_CAPTURE = 0x00000001
_V4L2_CAP_DEVICE_CAPS = 0x80000000


@dataclass(frozen=True, slots=True)
class V4L2Capability:
    driver: str
    card: str
    bus_info: str
    can_capture: bool


def parse_v4l2_capability(raw: bytes) -> V4L2Capability:
    """Decode ``struct v4l2_capability`` as returned by ``VIDIOC_QUERYCAP``.

    A capture node is one whose *device* capabilities (when the driver reports them) include video capture; a
    webcam's second node (its metadata node) does not, and OpenCV could not open it.
    """
    driver, card, bus_info, _version, capabilities, device_caps = _V4L2_CAPABILITY.unpack(raw)
    caps = device_caps if capabilities & _V4L2_CAP_DEVICE_CAPS else capabilities

    def text(value: bytes) -> str:
        return value.split(b"\0", 1)[0].decode("utf-8", "replace")

    return V4L2Capability(text(driver), text(card), text(bus_info), bool(caps & _V4L2_CAP_VIDEO_CAPTURE))


def _query_v4l2(path: str) -> V4L2Capability | None:
    import fcntl  # POSIX only, and this is the Linux path

    try:
        fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
    except PermissionError as exc:
        _log_once(f"v4l2-{path}", "camera %s is not usable: %s (is this user in the 'video' group?)", path, exc)
        return None
    except OSError as exc:
        logger.debug("cannot open %s: %s", path, exc)
        return None
    try:
        raw = bytearray(_V4L2_CAPABILITY.size)
        fcntl.ioctl(fd, _VIDIOC_QUERYCAP, raw)
        return parse_v4l2_capability(bytes(raw))
    except OSError as exc:
        logger.debug("VIDIOC_QUERYCAP on %s failed: %s", path, exc)
        return None
    finally:
        os.close(fd)


def _video_node_number(path: str) -> int:
    digits = path.removeprefix("/dev/video")
    return int(digits) if digits.isdigit() else 1 << 30


def _list_linux_cameras(dev_glob: str) -> list[CameraInfo]:
    """V4L2 capture nodes, asked of the driver (an ioctl, no streaming: fast, and the camera light stays off)."""
    cameras: list[CameraInfo] = []
    for path in sorted(glob.glob(dev_glob), key=_video_node_number):
        cap = _query_v4l2(path)
        if cap is None or not cap.can_capture:
            continue
        cameras.append(CameraInfo(path, cap.card or path))
    return cameras


@contextlib.contextmanager
def quiet_opencv() -> Iterator[None]:
    """OpenCV prints a WARN line per backend it tries on a device that is not there; we report that ourselves."""
    previous = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    try:
        yield
    finally:
        cv2.utils.logging.setLogLevel(previous)


def _probe_opencv_cameras(max_index: int) -> list[CameraInfo]:
    cameras: list[CameraInfo] = []
    with quiet_opencv():
        for index in range(max_index):
            cap = cv2.VideoCapture(index)
            try:
                if not cap.isOpened():
                    break  # indices are dense on these platforms: the first hole is the end
                cameras.append(CameraInfo(index, f"Camera {index + 1}"))
            finally:
                cap.release()
    return cameras


def list_cameras(max_index: int = MAX_CAMERA_PROBES) -> list[CameraInfo]:
    """Cameras that can be opened, best guess first. On Linux, V4L2 capture nodes (``/dev/video*``, by path);
    elsewhere, OpenCV indices probed from 0 until the first that does not open."""
    try:
        if platform.system() == "Linux":
            return _list_linux_cameras("/dev/video*")
        return _probe_opencv_cameras(max_index)
    except Exception:  # enumeration must never take the app down
        logger.exception("listing cameras failed")
        return []


# --- microphones and speakers --------------------------------------------------------------------------------------


@functools.cache
def sounddevice_module() -> ModuleType | None:
    """``sounddevice``, or None when PortAudio is missing (importing sounddevice raises then). Logged once."""
    try:
        import sounddevice  # importing it loads PortAudio, which may be absent
    except (OSError, ImportError) as exc:
        logger.warning("no audio devices: PortAudio is not available (%s)", exc)
        return None
    module: ModuleType = sounddevice
    return module


def _list_audio_devices(kind: str) -> list[AudioDeviceInfo]:
    sd = sounddevice_module()
    if sd is None:
        return []
    channels_key = f"max_{kind}_channels"
    try:
        devices: list[dict[str, Any]] = list(sd.query_devices())
        host_apis: list[dict[str, Any]] = list(sd.query_hostapis())
        default_in, default_out = sd.default.device
    except Exception as exc:
        _log_once(f"query-{kind}", "cannot list audio %s devices: %s", kind, exc)
        return []
    default = default_in if kind == "input" else default_out
    found: list[AudioDeviceInfo] = []
    for device in devices:
        channels = int(device.get(channels_key, 0))
        if channels <= 0:
            continue
        index = int(device["index"])
        host_api_index = int(device.get("hostapi", -1))
        host_api = str(host_apis[host_api_index]["name"]) if 0 <= host_api_index < len(host_apis) else ""
        found.append(
            AudioDeviceInfo(
                id=index,
                name=str(device["name"]),
                host_api=host_api,
                channels=channels,
                default_samplerate=float(device.get("default_samplerate", 0.0)),
                is_default=index == default,
            )
        )
    return found


def close_stream(stream: Any, what: str) -> None:
    """Stop and close a sounddevice stream at once (abort: don't wait to drain), logging rather than raising."""
    if stream is None:
        return
    try:
        stream.abort(ignore_errors=True)
        stream.close(ignore_errors=True)
    except Exception:
        logger.exception("closing %s failed", what)


def list_microphones() -> list[AudioDeviceInfo]:
    return _list_audio_devices("input")


def list_speakers() -> list[AudioDeviceInfo]:
    return _list_audio_devices("output")


# --- screens -------------------------------------------------------------------------------------------------------


def open_mss(display: str | None = None, *, with_cursor: bool = False) -> mss.MSS:
    """An mss screen grabber; ``display`` picks an X display other than ``$DISPLAY`` (Linux only); ``with_cursor``
    draws the mouse pointer into each grab (mss can on Linux only, through XFixes; elsewhere grabs show none yet)."""
    factory: Callable[..., mss.MSS] = getattr(mss, "MSS", None) or mss.mss  # mss >= 10.2 deprecates mss.mss
    kwargs: dict[str, object] = {"display": display} if display is not None and platform.system() == "Linux" else {}
    if with_cursor and platform.system() == "Linux":  # mss warns about the keyword elsewhere
        kwargs["with_cursor"] = True
    return factory(**kwargs)


def monitors_of(grabber: mss.MSS) -> list[MonitorInfo]:
    found: list[MonitorInfo] = []
    for index, mon in enumerate(grabber.monitors):
        if index == 0:
            continue  # mss's monitor 0 is the bounding box of all of them
        width, height = int(mon["width"]), int(mon["height"])
        name = str(mon.get("name") or mon.get("output") or f"Screen {index}")
        found.append(
            MonitorInfo(
                id=index,
                name=f"{name} ({width}×{height})",
                left=int(mon["left"]),
                top=int(mon["top"]),
                width=width,
                height=height,
                is_primary=bool(mon.get("is_primary", index == 1)),
            )
        )
    return found


def list_monitors(display: str | None = None) -> list[MonitorInfo]:
    """Monitors as mss numbers them (1 = the first); ``[]`` without a display."""
    try:
        with open_mss(display) as grabber:
            return monitors_of(grabber)
    except Exception as exc:  # mss raises ScreenShotError subclasses, ctypes may raise OSError
        _log_once(f"monitors-{display}", "no screens to share: %s", exc)
        return []


# --- device threads -> the event loop ------------------------------------------------------------------------------


class ThreadFeed(Generic[T]):
    """Items pushed by a device thread, awaited on the event loop. Bounded: when full, the oldest item is dropped.

    ``maxlen=1`` keeps only the newest item (a camera); a larger bound is a short queue (a microphone). The loop is
    learnt on the first ``get()``, and again when another loop takes the feed over; items pushed before that simply
    wait in the buffer. The producer wakes the loop only while the consumer is actually waiting, so a busy device
    does not flood the loop with callbacks.
    """

    def __init__(self, maxlen: int) -> None:
        self._items: deque[T] = deque(maxlen=maxlen)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready: asyncio.Event | None = None
        self._waiting = False
        self._closed = False
        self.dropped = 0

    @property
    def closed(self) -> bool:
        return self._closed

    def push(self, item: T) -> None:
        """From any thread."""
        if len(self._items) == self._items.maxlen:
            self.dropped += 1
        self._items.append(item)
        if self._waiting:
            self._wake()

    def close(self) -> None:
        """No more items will come (any thread); ``get()`` returns what is buffered, then None."""
        self._closed = True
        self._wake()

    def _wake(self) -> None:
        loop = self._loop
        if loop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting any more
            loop.call_soon_threadsafe(self._set_ready)

    def _set_ready(self) -> None:
        if self._ready is not None:
            self._ready.set()

    async def get(self, within_s: float) -> T | None:
        """The oldest buffered item; None after ``within_s`` seconds without one, or once closed and drained."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # The first reader, or a new owner: pre-join's preview reads a camera on the UI's loop, then the call
            # engine's loop (its own thread) takes it over, and the producer must wake that one from now on.
            self._ready = asyncio.Event()
            self._loop = loop
        ready = self._ready
        assert ready is not None
        deadline = self._loop.time() + within_s
        try:
            while True:
                # Flag first, look second: a producer appending meanwhile either sees the flag (and wakes us) or
                # appended before we look (and we see its item).
                ready.clear()
                self._waiting = True
                if self._items:
                    return self._items.popleft()
                if self._closed:
                    return None
                remaining = deadline - self._loop.time()
                if remaining <= 0:
                    return None
                try:
                    async with asyncio.timeout(remaining):
                        await ready.wait()
                except TimeoutError:
                    return None
        finally:
            self._waiting = False
