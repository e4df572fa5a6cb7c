"""How long a recording on disk is, read with PyAV from its container (the recordings list shows it).

Only the container's header and index are read (no decoding): a few milliseconds for the files the app writes,
fragmented MP4 included (FFmpeg sums its fragments). Still file I/O, so the UI calls it off its thread.
"""

from __future__ import annotations

import logging
from pathlib import Path

import av

logger = logging.getLogger(__name__)


def duration_s(path: Path) -> float | None:
    """The recording's length in seconds; None when it cannot be told: a file that is not a media file, cut off
    before its header, unreadable, or one whose container states no length (a file still being written may)."""
    try:
        with av.open(str(path), "r") as container:
            if container.duration is not None and container.duration > 0:
                return container.duration / av.time_base
            # No overall length (some Matroska files written without their closing index): the longest stream's.
            spans = [
                float(stream.duration * stream.time_base)
                for stream in container.streams
                if stream.duration is not None and stream.time_base is not None and stream.duration > 0
            ]
            return max(spans) if spans else None
    except (OSError, ValueError, av.FFmpegError) as exc:  # a broken file is shown without a length, not an error
        logger.info("recordings: no length for %s: %s", path.name, exc)
        return None
