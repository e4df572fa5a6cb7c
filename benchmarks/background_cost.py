#!/usr/bin/env python3
"""What background blur and replacement cost per 720p camera frame, and how the mask rate gives way under load.

A drawn person-like figure (tests/support/person_picture.py) is fed as 1280x720 yuv420p frames at 30 fps, paced
on the monotonic clock as a camera would, through ``BackgroundEffect.apply`` (what ``BackgroundSource`` runs on its
worker thread) for ``--seconds`` after a warm-up, once per runtime (LiteRT, OpenCV DNN) and mode (blur, replace).
Printed per case:

- ``frame ms``: the wall time of ``apply`` per frame (mean, p95): the delay the effect adds to each frame, the
  figure the 8 ms budget is about;
- ``cpu ms/frame``: the process's CPU time over the run per frame, the model's thread included (so the model's cost
  amortised over the frames its masks serve);
- ``masks/s`` and ``model ms``: how often the mask was updated and what one model run took;
- ``fps out``: frames the effect delivered per second (30 when it keeps up);
- ``blur reused %``: frames that reused the previous blurred background (what gives way after the mask rate).

``--load N`` runs N busy processes (pure Python loops, one per core asked) beside it: the artificial CPU pressure
under which the mask rate should fall while ``fps out`` stays at 30.

    .venv/bin/python benchmarks/background_cost.py
    .venv/bin/python benchmarks/background_cost.py --load 2
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import time
from multiprocessing.synchronize import Event
from pathlib import Path

import av
import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nimeet_desktop.media.background import (
    BackgroundEffect,
    MaskWorker,
    Mode,
    litert_segmenter,
    opencv_segmenter,
)
from tests.support.person_picture import i420, person_picture

FPS = 30.0
RUNTIMES = {"litert": litert_segmenter, "opencv": opencv_segmenter}


def burn(stop: Event) -> None:
    while not stop.is_set():
        sum(i * i for i in range(10_000))


def run_case(
    runtime: str, mode: Mode, seconds: float, frame: av.VideoFrame, replacement: np.ndarray
) -> dict[str, float]:
    effect = BackgroundEffect(mode, replacement=replacement, worker=MaskWorker(RUNTIMES[runtime]))
    try:
        effect.apply(frame)
        effect.worker.wait_for_mask(0, 10)
        warm_until = time.monotonic() + 1.0
        while time.monotonic() < warm_until:
            effect.apply(frame)
            time.sleep(1 / FPS)
        updates0, cpu0, reused0 = effect.worker.stats.updates, time.process_time(), effect.blurs_reused
        model_ms: list[float] = []
        times: list[float] = []
        started = time.monotonic()
        index = 0
        while (now := time.monotonic()) < started + seconds:
            due = started + index / FPS
            if due > now:
                time.sleep(due - now)
            elif now - due > 1 / FPS:  # behind: skip the missed slots, as the camera's pacer does
                index = int((now - started) * FPS)
            t0 = time.perf_counter()
            effect.apply(frame)
            times.append((time.perf_counter() - t0) * 1000)
            stats = effect.worker.stats
            model_ms.append(stats.last_ms)
            index += 1
        elapsed = time.monotonic() - started
        updates = effect.worker.stats.updates - updates0
        reused = effect.blurs_reused - reused0
        cpu = time.process_time() - cpu0
    finally:
        effect.close()
    return {
        "mean": statistics.fmean(times),
        "p95": float(np.percentile(times, 95)),
        "cpu": cpu * 1000 / len(times),
        "masks": updates / elapsed,
        "model": statistics.median(model_ms),
        "fps": len(times) / elapsed,
        "reused": 100 * reused / len(times),
    }


def write_pictures(folder: Path, frame: av.VideoFrame, replacement: np.ndarray) -> None:
    """before.png, blur.png, replace.png: to look at (the model is given the frame and one mask first)."""
    folder.mkdir(parents=True, exist_ok=True)

    def save(name: str, out: av.VideoFrame) -> None:
        cv2.imwrite(str(folder / name), cv2.cvtColor(out.to_ndarray(), cv2.COLOR_YUV2BGR_I420))
        print(folder / name)

    save("before.png", frame)
    modes: tuple[Mode, ...] = ("blur", "replace")
    for mode in modes:
        effect = BackgroundEffect(mode, replacement=replacement)
        try:
            effect.apply(frame)
            effect.worker.wait_for_mask(0, 10)
            save(f"{mode}.png", effect.apply(frame))
        finally:
            effect.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--load", type=int, default=0, help="busy processes beside the benchmark")
    parser.add_argument("--runtime", choices=sorted(RUNTIMES), action="append")
    parser.add_argument("--cv-threads", type=int, help="cv2.setNumThreads (OpenCV's own default: one per core)")
    parser.add_argument("--png", type=Path, help="also write before/after pictures (PNG) into this folder, and stop")
    args = parser.parse_args()
    if args.cv_threads is not None:
        cv2.setNumThreads(args.cv_threads)
    picture, _ = person_picture(1280, 720)
    frame = av.VideoFrame.from_ndarray(i420(picture), format="yuv420p")
    replacement = np.zeros_like(picture)
    replacement[:, :, 0] = np.linspace(60, 230, 1280, dtype=np.uint8)[None, :]
    if args.png is not None:
        write_pictures(args.png, frame, replacement)
        return
    stop = multiprocessing.Event()
    burners = [multiprocessing.Process(target=burn, args=(stop,), daemon=True) for _ in range(args.load)]
    for process in burners:
        process.start()
    try:
        print(
            f"1280x720 @ {FPS:g} fps, {args.seconds:g} s per case, {args.load} busy process(es) beside, "
            f"OpenCV threads {cv2.getNumThreads()}"
        )
        print(
            f"{'runtime':8} {'mode':8} {'frame ms mean':>14} {'p95':>6} {'cpu ms/frame':>13} {'masks/s':>8} "
            f"{'model ms':>9} {'fps out':>8} {'blur reused %':>14}"
        )
        for runtime in args.runtime or sorted(RUNTIMES):
            modes: tuple[Mode, ...] = ("blur", "replace")
            for mode in modes:
                r = run_case(runtime, mode, args.seconds, frame, replacement)
                print(
                    f"{runtime:8} {mode:8} {r['mean']:14.2f} {r['p95']:6.2f} {r['cpu']:13.2f} {r['masks']:8.1f} "
                    f"{r['model']:9.2f} {r['fps']:8.1f} {r['reused']:14.0f}"
                )
    finally:
        stop.set()
        for process in burners:
            process.join(2)


if __name__ == "__main__":
    main()
