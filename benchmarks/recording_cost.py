#!/usr/bin/env python3
"""What recording a call costs: the recorder's thread (composition of the grid, audio mix, encoding, writing) as a
share of one core, at 1280x720 and 30 fps with 4 participants (issue 16's budget: at most 35 %).

Four participants' decoded frames stand in for a call's: 640x360 yuv420p, each tile a new frame object at every tick
(as the decoders deliver at 30 fps, so nothing is served from the compositor's cache). Two pictures:

- ``synthetic``: the bots' picture (``SyntheticVideo``: a gradient, a moving bar, the latency stamp), easy to encode;
- ``camera-like``: the same with sensor noise (±4 levels, new every frame), which an encoder cannot predict: the
  hard case of a real camera in a dim room.

Each participant also sends audio (a tone each) into the mix. The recorder's thread CPU time is read through its
per-thread clock (``time.pthread_getcpuclockid``) after a 2 s warm-up, for ``--seconds``; the feeding of frames and
audio happens on other threads and is not counted. The encoders run single-threaded (``container.py``), so that
thread is all of the recording's work.

    .venv/bin/python benchmarks/recording_cost.py                 # .mp4 (H.264 + AAC) and .webm (VP8 + Opus)
    .venv/bin/python benchmarks/recording_cost.py --seconds 20 --formats .mp4
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import tempfile
import threading
import time
from pathlib import Path

import av
import numpy as np

from nimeet_desktop.media.base import AUDIO_SAMPLE_RATE, AUDIO_SAMPLES_PER_FRAME
from nimeet_desktop.media.recording.audio_mix import RecordingMix
from nimeet_desktop.media.recording.compose import TileFrame
from nimeet_desktop.media.recording.container import format_for
from nimeet_desktop.media.recording.recorder import Recorder
from nimeet_desktop.media.synthetic import SyntheticVideo

FRAME_W, FRAME_H = 640, 360
DISTINCT = 60  # two seconds of different pictures per participant, cycled
BUDGET = 0.35


def synthetic_frames(count: int, noise: bool, seed: int) -> list[av.VideoFrame]:
    source = SyntheticVideo(FRAME_W, FRAME_H, fps=10_000.0)  # paced fast: only its pictures are wanted

    async def take() -> list[av.VideoFrame]:
        return [await source.recv() for _ in range(count)]

    frames = asyncio.run(take())
    if not noise:
        return frames
    rng = np.random.default_rng(seed)
    noisy = []
    for frame in frames:
        yuv = frame.to_ndarray().astype(np.int16)
        yuv[:FRAME_H] += rng.integers(-4, 5, (FRAME_H, FRAME_W), dtype=np.int16)
        noisy.append(av.VideoFrame.from_ndarray(np.clip(yuv, 0, 255).astype(np.uint8), format="yuv420p"))
    return noisy


class FakeCall:
    """``participants`` tiles, each a new frame at every tick, and a tone per participant into the mix."""

    def __init__(self, participants: int, noise: bool) -> None:
        self.frames = [synthetic_frames(DISTINCT, noise, seed) for seed in range(participants)]
        self.mix = RecordingMix()
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._feeder = threading.Thread(target=self._feed_audio, daemon=True)

    def picture(self) -> tuple[list[TileFrame], TileFrame | None]:
        tick = int((time.monotonic() - self._started) * 30)
        # Offset per participant, so no two tiles hold the same frame object.
        tiles = [TileFrame(str(i), frames[(tick + 7 * i) % DISTINCT]) for i, frames in enumerate(self.frames)]
        return tiles, None

    def start(self) -> None:
        self._feeder.start()

    def stop(self) -> None:
        self._stop.set()
        self._feeder.join()

    def _feed_audio(self) -> None:
        pushed = 0
        while not self._stop.is_set():
            while pushed < (time.monotonic() - self._started + 0.08) * AUDIO_SAMPLE_RATE:
                t = (pushed + np.arange(AUDIO_SAMPLES_PER_FRAME)) / AUDIO_SAMPLE_RATE
                for i in range(len(self.frames)):
                    tone = (3000 * np.sin(2 * math.pi * (300 + 150 * i) * t)).astype(np.int16)
                    self.mix.push(str(i), tone)
                pushed += AUDIO_SAMPLES_PER_FRAME
            time.sleep(0.02)


def measure(extension: str, participants: int, noise: bool, seconds: float, warmup: float) -> tuple[float, float, int]:
    """(CPU seconds per second, frames per second written, bytes per second) of the recorder's thread."""
    call = FakeCall(participants, noise)
    with tempfile.TemporaryDirectory() as folder:
        recorder = Recorder(Path(folder) / f"bench{extension}", call.picture, call.mix, size=(1280, 720), fps=30)
        call.start()
        assert recorder.start() is None
        time.sleep(warmup)
        cpu0, wall0, frames0 = recorder.cpu_time_s(), time.monotonic(), recorder.video_frames
        time.sleep(seconds)
        cpu1, wall1, frames1 = recorder.cpu_time_s(), time.monotonic(), recorder.video_frames
        assert cpu0 is not None
        assert cpu1 is not None
        result = recorder.stop()
        call.stop()
        assert result.error is None, result.error
        wall = wall1 - wall0
        return (cpu1 - cpu0) / wall, (frames1 - frames0) / wall, int(result.bytes_written / result.duration_s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--participants", type=int, default=4)
    parser.add_argument("--formats", nargs="+", default=[".mp4", ".webm"])
    args = parser.parse_args()
    print(f"PyAV {av.__version__}; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f} at the start")
    print(f"1280x720 at 30 fps, {args.participants} participants of 640x360, {args.seconds:.0f} s after a warm-up")
    over = False
    for extension in args.formats:
        fmt = format_for(Path(f"x{extension}"))
        for picture, noise in (("synthetic", False), ("camera-like", True)):
            share, fps, rate = measure(extension, args.participants, noise, args.seconds, args.warmup)
            # On a loaded machine ticks are skipped: the share at the full rate is what each frame costs, 30 times.
            per_frame_ms = 1000 * share / fps if fps else float("nan")
            full_rate_share = per_frame_ms * 30 / 1000
            over = over or full_rate_share > BUDGET
            print(
                f"{extension:6} {fmt.video_codec + '+' + fmt.audio_codec:15} {picture:12} "
                f"{fps:4.1f} fps written, {per_frame_ms:5.2f} ms per frame: {100 * full_rate_share:5.1f} % of one core"
                f" at 30 fps ({100 * share:5.1f} % at the rate written), {8 * rate / 1e6:5.2f} Mbit/s"
            )
    print(f"budget {100 * BUDGET:.0f} %: {'EXCEEDED' if over else 'met'}")


if __name__ == "__main__":
    main()
