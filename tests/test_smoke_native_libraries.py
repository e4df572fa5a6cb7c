"""``nimeet --smoke-test``'s check of the native libraries the app loads late (issue 12): WebRTC's audio processing
through livekit's FFI library, and pynput's push-to-talk backend where there is a display. From source here;
tests/frozen/test_bundle.py asserts the same line from the bundle and the installed .deb."""

from __future__ import annotations

import subprocess
import sys

import pytest

from nimeet_desktop.ui.smoke_test import check_audio_processing, check_push_to_talk_backend
from tests.media.conftest import start_xvfb
from tests.test_smoke_test import smoke

AUDIO_PROCESSING = "audio processing (livekit 1.2."
NO_DISPLAY = "push-to-talk backend not loaded (no DISPLAY)"
ENGINE_LOOP = "call engine loop uvloop"
XORG = "push-to-talk backend pynput.keyboard._xorg"


def native_line(stdout: str) -> str:
    """The smoke test's ``native libraries: ...`` line (tests/frozen reads the bundle's with this too)."""
    (line,) = [line for line in stdout.splitlines() if line.startswith("native libraries: ")]
    return line


def test_a_frame_goes_through_all_four_stages() -> None:
    assert check_audio_processing().startswith(AUDIO_PROCESSING)


def test_without_its_native_library_the_smoke_test_fails_in_one_line() -> None:
    # LIVEKIT_LIB_PATH is where livekit looks first: a path with nothing there is an installation without it.
    done = smoke({"LIVEKIT_LIB_PATH": "/nonexistent/liblivekit_ffi.so"})
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "nimeet --smoke-test: FAILED: audio processing did not load: failed to load liblivekit_ffi.so: "
        "/nonexistent/liblivekit_ffi.so: cannot open shared object file: No such file or directory"
    ]
    assert "native libraries:" not in done.stdout


def test_the_smoke_test_prints_the_native_libraries_line() -> None:
    done = smoke()
    assert done.returncode == 0, done.stderr
    assert native_line(done.stdout) == f"native libraries: {check_audio_processing()}; {ENGINE_LOOP}; {NO_DISPLAY}"
    assert done.stdout.splitlines()[-1].startswith("nimeet smoke test: ok")


def test_without_a_display_the_push_to_talk_backend_is_not_tried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    assert check_push_to_talk_backend() == NO_DISPLAY


def _backend_in_a_fresh_process(display: str) -> str:
    # A process of its own: pynput chooses and connects once, when first imported.
    code = "from nimeet_desktop.ui.smoke_test import check_push_to_talk_backend as c; print(c())"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env={"DISPLAY": display}
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout.strip()


@pytest.mark.skipif(sys.platform != "linux", reason="the X11 backend")
def test_on_an_x_server_the_xorg_backend_loads() -> None:
    xvfb = start_xvfb(640, 480)
    try:
        assert _backend_in_a_fresh_process(xvfb.display) == XORG
    finally:
        xvfb.stop()


@pytest.mark.skipif(sys.platform != "linux", reason="the X11 backend")
def test_a_display_that_does_not_answer_is_said_not_failed() -> None:
    said = _backend_in_a_fresh_process(":4711")  # no X server has that number here
    assert said.startswith("push-to-talk backend not loaded (the X display did not answer: "), said
