#!/usr/bin/env python3
"""What painting video tiles costs the UI thread (and the converter thread), for 1..8 tiles in one window.

A 1280x720 window (offscreen by default) holds the call's ``VideoGrid`` with N ``VideoTile``s; a feeder thread
(standing in for the decoders) gives every tile a new 640x360 yuv420p frame 30 times a second, and the grid's own
frame clock runs as in a call. After a warm-up, for ``--seconds`` the benchmark measures the CPU time of the main
(UI) thread with ``time.thread_time()`` around its event loop (clock ticks, paints, everything it does), the
converter thread's CPU time through its per-thread clock (``time.pthread_getcpuclockid``), and the new frames each
tile painted (``painted_frames``; code without it counts ``conversions``, which the old paintEvent made once per
new frame painted).

It measures whatever ``nimeet_desktop`` it imports (it prints which), so the code before the converter can be
measured from a plain export of ``main`` at the same conditions:

    .venv/bin/python benchmarks/tile_paint.py
    git archive main | tar -x -C /tmp/nimeet-main
    PYTHONPATH=/tmp/nimeet-main .venv/bin/python benchmarks/tile_paint.py

``--platform xcb`` with a display (e.g. under ``xvfb-run``) measures through a real X server. ``--swscale`` only
times one conversion (new decoded frames to BGRA at two tile sizes) with ``VideoFrame.reformat``, which sets up a
new swscale context for every frame, against one ``VideoReformatter`` kept per tile, as the converter does.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import av
import numpy as np

WINDOW_W, WINDOW_H = 1280, 720
FRAME_W, FRAME_H = 640, 360
FPS = 30.0
CONVERTER_THREAD = "nimeet-frame-converter"  # frame_converter.THREAD_NAME; not imported: main has no such module
DISTINCT_FRAMES = 30  # a second of different pictures, cycled: every frame a tile gets is a new object


@dataclass
class Result:
    tiles: int
    tile_size: tuple[int, int]
    painted_fps: list[float]
    ui_ms_per_s: float
    converter_ms_per_s: float
    process_ms_per_s: float


def make_frames() -> list[av.VideoFrame]:
    frames = []
    y = np.arange(FRAME_H, dtype=np.uint16)[:, None]
    x = np.arange(FRAME_W, dtype=np.uint16)[None, :]
    background = (48 + (x * 96 // FRAME_W + y * 64 // FRAME_H)).astype(np.uint8)
    chroma = np.full((FRAME_H // 2, FRAME_W), 128, dtype=np.uint8)
    chroma[: FRAME_H // 4, : FRAME_W // 4] = 110
    for index in range(DISTINCT_FRAMES):
        yuv = np.empty((FRAME_H * 3 // 2, FRAME_W), dtype=np.uint8)
        yuv[:FRAME_H] = background
        x0 = (index * 16) % (FRAME_W - 40)
        yuv[:FRAME_H, x0 : x0 + 40] = 220  # a moving bar, as the synthetic camera has
        yuv[FRAME_H:] = chroma
        frames.append(av.VideoFrame.from_ndarray(yuv, format="yuv420p"))
    return frames


class Source:
    def __init__(self) -> None:
        self.frame: av.VideoFrame | None = None

    def __call__(self) -> av.VideoFrame | None:
        return self.frame


class Feeder(threading.Thread):
    """New frames at 30 fps for every source, from a thread of its own, as decoders hand them over."""

    def __init__(self, sources: list[Source], frames: list[av.VideoFrame]) -> None:
        super().__init__(name="feeder", daemon=True)
        self.sources, self.frames = sources, frames
        self.stopped = threading.Event()

    def run(self) -> None:
        start = time.monotonic()
        index = 0
        while not self.stopped.is_set():
            for offset, source in enumerate(self.sources):
                source.frame = self.frames[(index + offset * 7) % len(self.frames)]
            index += 1
            self.stopped.wait(max(0.0, start + index / FPS - time.monotonic()))


def time_swscale(count: int = 150) -> None:
    from av.video.reformatter import VideoReformatter

    pictures = [frame.to_ndarray() for frame in make_frames()]
    for width, height in ((416, 234), (1252, 704)):  # an eighth of the window, and all of it
        timings = []
        for kept in (None, VideoReformatter()):
            frames = [av.VideoFrame.from_ndarray(pictures[i % len(pictures)], format="yuv420p") for i in range(count)]
            start = time.thread_time()
            for frame in frames:  # each a new frame, as a decoder hands them over
                if kept is None:
                    frame.reformat(width=width, height=height, format="bgra", threads=1)
                else:
                    kept.reformat(frame, width=width, height=height, format="bgra", threads=1)
            timings.append((time.thread_time() - start) / count * 1000)
        print(
            f"{FRAME_W}x{FRAME_H} -> {width}x{height} bgra, {count} new frames: VideoFrame.reformat "
            f"{timings[0]:.3f} ms each, one VideoReformatter kept {timings[1]:.3f} ms each"
        )


def thread_clock(name: str) -> Callable[[], float]:
    """CPU seconds of the live thread called ``name`` (0 if there is none: the code before the converter)."""
    thread = next((t for t in threading.enumerate() if t.name == name), None)
    if thread is None or thread.ident is None:
        return lambda: 0.0
    clock = time.pthread_getcpuclockid(thread.ident)
    return lambda: time.clock_gettime(clock)


def run_loop(seconds: float) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(round(seconds * 1000), loop.quit)
    loop.exec()


def measure(count: int, frames: list[av.VideoFrame], warmup: float, seconds: float) -> Result:
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QWidget

    from nimeet_desktop.ui.video_grid import VideoGrid
    from nimeet_desktop.ui.video_tile import VideoTile

    host = QWidget()  # layout-less, as in the tests: the grid fills it
    host.resize(WINDOW_W, WINDOW_H)
    grid = VideoGrid(host)
    grid.resize(WINDOW_W, WINDOW_H)
    sources = [Source() for _ in range(count)]
    tiles = [VideoTile(f"p{i}", f"Person {i}", src) for i, src in enumerate(sources)]
    for tile in tiles:
        grid.add_tile(tile)
    host.show()
    feeder = Feeder(sources, frames)
    feeder.start()
    grid.start_clock()
    run_loop(warmup)

    def painted() -> list[int]:
        return [int(getattr(t, "painted_frames", t.conversions)) for t in tiles]

    converter_cpu = thread_clock(CONVERTER_THREAD)
    painted0, ui0, conv0, proc0, wall0 = (
        painted(),
        time.thread_time(),
        converter_cpu(),
        time.process_time(),
        time.monotonic(),
    )
    run_loop(seconds)
    painted1, ui1, conv1, proc1, wall1 = (
        painted(),
        time.thread_time(),
        converter_cpu(),
        time.process_time(),
        time.monotonic(),
    )
    wall = wall1 - wall0

    feeder.stopped.set()
    feeder.join()
    grid.stop_clock()
    size = (tiles[0].width(), tiles[0].height())
    host.close()
    host.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # the grid goes, and its converter stops
    assert not any(t.name == CONVERTER_THREAD for t in threading.enumerate()), "a converter thread was left behind"
    return Result(
        tiles=count,
        tile_size=size,
        painted_fps=[(b - a) / wall for a, b in zip(painted0, painted1, strict=True)],
        ui_ms_per_s=(ui1 - ui0) / wall * 1000,
        converter_ms_per_s=(conv1 - conv0) / wall * 1000,
        process_ms_per_s=(proc1 - proc0) / wall * 1000,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tiles", default="1-8", help="a count or a range, e.g. 8 or 1-8")
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per count")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--platform", default="offscreen", help="QT_QPA_PLATFORM (offscreen, or xcb with a display)")
    parser.add_argument("--swscale", action="store_true", help="only time one conversion (see above)")
    args = parser.parse_args()
    if args.swscale:
        time_swscale()
        return 0
    low, _, high = args.tiles.partition("-")
    counts = range(int(low), int(high or low) + 1)
    os.environ["QT_QPA_PLATFORM"] = args.platform

    from PySide6.QtWidgets import QApplication

    import nimeet_desktop

    app = QApplication(sys.argv[:1])
    from nimeet_desktop.ui import theme

    theme.apply_theme(app)
    frames = make_frames()
    print(
        f"nimeet_desktop from {os.path.dirname(nimeet_desktop.__file__)}; platform {args.platform}; "
        f"{WINDOW_W}x{WINDOW_H} window, {FRAME_W}x{FRAME_H} frames at {FPS:g} fps, {args.seconds:g} s each"
    )
    # Per frame: the thread's CPU per new frame painted (all tiles), which a loaded machine's dropped frames do
    # not flatter the way CPU per second does.
    header = ("tiles", "tile px", "painted fps min/mean", "UI ms/s", "UI ms/frame", "conv ms/s", "conv ms/frame")
    widths = (5, 9, 21, 8, 11, 9, 13)
    print(" ".join(f"{text:>{width}}" for text, width in zip(header, widths, strict=True)), "process ms/s  load")
    for count in counts:
        result = measure(count, frames, args.warmup, args.seconds)
        fps = result.painted_fps
        painted = max(sum(fps), 1e-9)
        print(
            f"{result.tiles:>5} {result.tile_size[0]:>4}x{result.tile_size[1]:<4} "
            f"{min(fps):>10.1f} / {statistics.mean(fps):<8.1f} {result.ui_ms_per_s:>8.1f} "
            f"{result.ui_ms_per_s / painted:>11.2f} {result.converter_ms_per_s:>9.1f} "
            f"{result.converter_ms_per_s / painted:>13.2f} {result.process_ms_per_s:>12.1f} {os.getloadavg()[0]:>5.1f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
