"""Making this process's PortAudio see a device plugged in after it started.

PortAudio lists devices once, at ``Pa_Initialize``; the only way to open one plugged in later is to terminate and
initialize it again, which frees every stream still open: one of ours used afterwards would be a dangling pointer
in C. So every stream we open is tracked here, and ``reinitialize`` refuses while any of them is open: the caller
(a device switch in a call) closes its streams first, re-initializes, and opens them again.
"""

from __future__ import annotations

import logging
import threading
import weakref
from typing import Any, Literal

from nimeet_desktop.media.devices import list_microphones, list_speakers, sounddevice_module

logger = logging.getLogger(__name__)

_streams: weakref.WeakSet[Any] = weakref.WeakSet()
_lock = threading.Lock()


def track(stream: Any) -> None:
    """A sounddevice stream just opened (any thread)."""
    with _lock:
        _streams.add(stream)


def open_streams() -> int:
    with _lock:
        return sum(1 for stream in _streams if not stream.closed)


def knows(kind: Literal["microphone", "speaker"], name: str | None) -> bool:
    """Whether this process's PortAudio can open ``name`` (None, the system default, always counts as known)."""
    if name is None:
        return True
    listed = list_microphones() if kind == "microphone" else list_speakers()
    return any(device.name == name for device in listed)


def reinitialize() -> bool:
    """Terminate and initialize PortAudio again (blocking: a worker thread). False, doing nothing, while a stream
    of ours is open, or without PortAudio."""
    sd = sounddevice_module()
    if sd is None:
        return False
    with _lock:
        still_open = [stream for stream in _streams if not stream.closed]
        if still_open:
            logger.warning("PortAudio not re-initialized: %d stream(s) still open", len(still_open))
            return False
        sd._terminate()
        sd._initialize()
    logger.info("PortAudio re-initialized to list devices plugged in since it started")
    return True
