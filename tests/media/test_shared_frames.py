"""One decoded or captured frame is read by several consumers on their own threads (the self view's converter, the
shared encoder, the recorder, the presenter's corner). PyAV's ``VideoFrame.reformat`` keeps one scaling context on
the frame itself, so two threads scaling the same frame raced on it: wrong pictures, a hang inside swscale, or a
segfault (the app hung on leaving a recorded call; a script of the same calls crashed). Each consumer scales with a
scaling context of its own (``av.video.reformatter.VideoReformatter``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_consumers_of_one_frame_scale_it_at_the_same_time_and_each_gets_what_it_would_alone() -> None:
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tests.media._scale_one_frame_from_threads", "300"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=90,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("scaling one frame from three threads hung (swscale's context shared by the threads)")
    assert done.returncode == 0 and done.stdout.strip() == "ok", (done.returncode, done.stdout, done.stderr[-2000:])
