"""Hot-plug: noticing devices that appear and disappear, and what that means for the devices in use.

PortAudio lists sound devices once, at ``Pa_Initialize``: ``sounddevice.query_devices()`` never shows a headset
plugged in later (python-sounddevice #47, #125, #382; PortAudio #11, #447), and re-initializing in-process
(``sd._terminate()`` / ``sd._initialize()``) closes every open stream, the call's microphone and speaker included;
on macOS it does not even refresh the list (python-sounddevice #516), and on Windows the old indices may point at
other devices after a replug (#427). So the lists come from a short-lived subprocess with a PortAudio of its own
(``media/audio_lister.py``: sounddevice alone, printing them as JSON), which disturbs no stream of ours, and it runs
only when something may have changed: on Linux when ``/dev/snd`` (a card added or removed) or the ALSA
configuration changes, elsewhere every ``SLOW_POLL_S``. Cameras are V4L2 nodes on Linux (``/dev/video*``), listed
by a cheap ioctl whenever the nodes change; other systems have no camera hot-plug here (probing OpenCV indices
opens the cameras).

What a change means is decided by ``device_events``, a pure function: the device in use is gone (fall back to the
system default, and say so), or a preferred device came back (offer to switch back).
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from nimeet_desktop.frozen import is_frozen, sibling_program
from nimeet_desktop.media import audio_lister
from nimeet_desktop.media.provider import DeviceChoice, MediaProvider

logger = logging.getLogger(__name__)

DeviceKind = Literal["camera", "microphone", "speaker"]
DEVICE_KINDS: tuple[DeviceKind, ...] = ("camera", "microphone", "speaker")

POLL_S = 0.5
"""How often the cheap change signals are looked at (directory listings and two mtimes)."""
SLOW_POLL_S = 1.5
"""Where there is no cheap signal (Windows, macOS), the lists are taken this often: within the 2 s promised."""
LIST_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class DeviceLists:
    cameras: tuple[DeviceChoice, ...] = ()
    microphones: tuple[DeviceChoice, ...] = ()
    speakers: tuple[DeviceChoice, ...] = ()

    def of(self, kind: DeviceKind) -> tuple[DeviceChoice, ...]:
        return {"camera": self.cameras, "microphone": self.microphones, "speaker": self.speakers}[kind]

    def find(self, kind: DeviceKind, device_id: str) -> DeviceChoice | None:
        return next((d for d in self.of(kind) if d.id == device_id), None)


@dataclass(frozen=True, slots=True)
class DeviceEvent:
    """``lost``: the device in use is gone (the call falls back to the system default). ``returned``: the
    preferred device is back while another one is in use (offer to switch back)."""

    kind: DeviceKind
    what: Literal["lost", "returned"]
    device: DeviceChoice


def device_events(
    previous: DeviceLists,
    current: DeviceLists,
    in_use: Mapping[DeviceKind, str | None],
    preferred: Mapping[DeviceKind, str | None],
) -> list[DeviceEvent]:
    """What a change of the lists means. ``in_use`` and ``preferred`` map a kind to a device id, None for the
    system default (which cannot be lost, and is nothing to switch back to)."""
    events: list[DeviceEvent] = []
    for kind in DEVICE_KINDS:
        used = in_use.get(kind)
        gone = previous.find(kind, used) if used is not None else None
        if gone is not None and current.find(kind, gone.id) is None:
            events.append(DeviceEvent(kind, "lost", gone))
        wanted = preferred.get(kind)
        if wanted is None or wanted == used or (wanted == gone.id if gone is not None else False):
            continue
        back = current.find(kind, wanted)
        if back is not None and previous.find(kind, wanted) is None:
            events.append(DeviceEvent(kind, "returned", back))
    return events


# ---- listing sound devices without disturbing our streams ------------------------------------------------------


def lister_command() -> list[str]:
    """``media/audio_lister.py`` run by this Python, or by the bundle's ``nimeet-bot`` (a bundle has no Python)."""
    if is_frozen():
        return [str(sibling_program("nimeet-bot")), audio_lister.FLAG]
    return [sys.executable, "-m", audio_lister.__name__]


def audio_lists_in_subprocess(env: Mapping[str, str] | None = None) -> tuple[list[DeviceChoice], list[DeviceChoice]]:
    """(microphones, speakers) as a fresh PortAudio sees them, listed by a subprocess. Raises ``OSError`` (or
    ``subprocess.SubprocessError``, ``ValueError``) when that fails."""
    done = subprocess.run(  # noqa: S603 (our own interpreter, or our own bundled program, running our own module)
        lister_command(),
        capture_output=True,
        timeout=LIST_TIMEOUT_S,
        check=True,
        env=dict(env) if env is not None else None,
        stdin=subprocess.DEVNULL,
    )
    found = json.loads(done.stdout)
    return (
        [DeviceChoice(name, name) for name in found["microphones"]],
        [DeviceChoice(name, name) for name in found["speakers"]],
    )


def fresh_lists(provider: MediaProvider, env: Mapping[str, str] | None = None) -> DeviceLists:
    """The provider's devices now. Blocking (a subprocess, ioctls): call it in a worker thread."""
    return DeviceLists(tuple(provider.cameras()), *_audio_lists(provider, env))


def _audio_lists(
    provider: MediaProvider, env: Mapping[str, str] | None
) -> tuple[tuple[DeviceChoice, ...], tuple[DeviceChoice, ...]]:
    if type(provider).microphones is not MediaProvider.microphones:  # a provider of stand-ins lists its own
        return tuple(provider.microphones()), tuple(provider.speakers())
    try:
        microphones, speakers = audio_lists_in_subprocess(env)
    except (OSError, subprocess.SubprocessError, ValueError, KeyError) as exc:
        logger.warning("listing sound devices in a subprocess failed (%s): using this process's list", exc)
        return tuple(provider.microphones()), tuple(provider.speakers())
    return tuple(microphones), tuple(speakers)


def watch_lister(provider: MediaProvider) -> Callable[[], DeviceLists]:
    """What a ``DeviceWatch`` lists with: everything each time on Linux (V4L2 nodes answer an ioctl); elsewhere
    the cameras only once, because listing them there means opening each OpenCV index in turn, the camera in use
    included."""
    cameras: tuple[DeviceChoice, ...] | None = None

    def lister() -> DeviceLists:
        nonlocal cameras
        if cameras is None or sys.platform.startswith("linux"):
            cameras = tuple(provider.cameras())
        return DeviceLists(cameras, *_audio_lists(provider, None))

    return lister


def change_signal(home: str | None = None) -> object | None:
    """Something cheap that changes when the device lists may have (Linux: the sound and video device nodes and
    the ALSA configuration files); None where there is no such thing (then the lists are polled)."""
    if not sys.platform.startswith("linux"):
        return None
    home = home if home is not None else os.environ.get("HOME", "")

    def mtime(path: str) -> float | None:
        with contextlib.suppress(OSError):
            return os.stat(path).st_mtime_ns
        return None

    try:
        sound = tuple(sorted(os.listdir("/dev/snd")))
    except OSError:
        sound = ()
    return (
        sound,
        tuple(sorted(glob.glob("/dev/video*"))),
        mtime(os.path.join(home, ".asoundrc")),
        mtime("/etc/asound.conf"),
    )


@dataclass
class DeviceWatch:
    """Polls for device changes on a task of its own; ``on_change(previous, current)`` is called on the loop when
    the lists differ. ``lister`` and ``signal`` are blocking and run in a worker thread."""

    lister: Callable[[], DeviceLists]
    on_change: Callable[[DeviceLists, DeviceLists], None]
    signal: Callable[[], object | None] = change_signal
    poll_s: float = POLL_S
    slow_poll_s: float = SLOW_POLL_S
    lists: DeviceLists = field(default_factory=DeviceLists, init=False)
    listings: int = field(default=0, init=False)  # how many times the lists were taken (the tests and the log)
    ready: bool = field(default=False, init=False)  # ``lists`` holds a listing (not while the first is under way)
    _task: asyncio.Task[None] | None = field(default=None, init=False, repr=False)

    async def start(self) -> None:
        """Take the lists once, then watch. Idempotent."""
        if self._task is not None:
            return
        # The signal before the lists: a device plugged in while they are taken changes the signal, and is seen.
        signal = await asyncio.to_thread(self.signal)
        self.lists = await asyncio.to_thread(self._list)
        self.ready = True
        self._task = asyncio.get_running_loop().create_task(self._run(signal), name="device-watch")

    def _list(self) -> DeviceLists:
        self.listings += 1
        return self.lister()

    async def _run(self, last_signal: object | None) -> None:
        last_listed = time.monotonic()
        while True:
            await asyncio.sleep(self.poll_s)
            signal = await asyncio.to_thread(self.signal)
            if signal is None:
                if time.monotonic() - last_listed < self.slow_poll_s:
                    continue
            elif signal == last_signal:
                continue
            last_signal = signal
            await self.refresh()
            last_listed = time.monotonic()

    async def refresh(self) -> DeviceLists:
        """Take the lists now (in a worker thread); tells ``on_change`` if they differ."""
        try:
            current = await asyncio.to_thread(self._list)
        except Exception:  # a broken lister must not end the watch
            logger.exception("listing devices failed")
            return self.lists
        previous, self.lists = self.lists, current
        if current != previous:
            logger.info("devices changed: %s", _describe(previous, current))
            self.on_change(previous, current)
        return current

    def cancel(self) -> None:
        """Stop watching now (from code that cannot await); ``stop()`` also waits for the task to end."""
        if self._task is not None:
            self._task.cancel()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


def _describe(previous: DeviceLists, current: DeviceLists) -> str:
    parts = []
    for kind in DEVICE_KINDS:
        before, after = {d.id for d in previous.of(kind)}, {d.id for d in current.of(kind)}
        parts += [f"+{kind} {d!r}" for d in sorted(after - before)] + [f"-{kind} {d!r}" for d in sorted(before - after)]
    return ", ".join(parts) or "names changed"
