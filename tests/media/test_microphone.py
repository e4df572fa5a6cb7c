"""The microphone: unavailable here, and real capture through PortAudio on ALSA's null device in a subprocess.

ALSA's ``null`` plugin is a real PCM device (no timing, arbitrary samples) that PortAudio lists when an
``.asoundrc`` defines one; a subprocess gets its own ``HOME`` with that file, so PortAudio sees it from the start.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from nimeet_desktop.media.devices import DeviceProblem, DeviceUnavailable, audio_problem, list_microphones
from nimeet_desktop.media.microphone import MicrophoneSource

ROOT = Path(__file__).resolve().parents[2]

ASOUNDRC = """
pcm.nimeet_null {
    type null
    hint { show on description "NIMeet test null device" }
}
"""

PROBE = textwrap.dedent(
    """
    import asyncio, json
    import numpy as np
    from nimeet_desktop.media.audio_output import AudioMixer
    from nimeet_desktop.media.devices import list_microphones, list_speakers
    from nimeet_desktop.media.microphone import MicrophoneSource

    async def main():
        out = {"mics": [m.name for m in list_microphones()], "speakers": [s.name for s in list_speakers()]}
        if "nimeet_null" not in out["mics"]:
            print(json.dumps(out))
            return
        mic = MicrophoneSource("nimeet_null")
        frames = [await mic.recv() for _ in range(20)]
        out["frames"] = [
            [f.format.name, f.layout.name, f.sample_rate, f.samples, f.pts, str(f.time_base)] for f in frames
        ]
        out["level"] = mic.audio_level
        mic.enabled = False
        muted = [await mic.recv() for _ in range(3)]
        out["muted_peak"] = max(int(np.abs(f.to_ndarray()).max()) for f in muted)
        mic.stop()
        mic.stop()
        out["ended"] = [mic.readyState, mic.ended_reason]
        blocks = []
        mixer = AudioMixer("nimeet_null", sink=lambda block: blocks.append(len(block)))
        await mixer.start()
        out["output_active"] = mixer.output_active
        await asyncio.sleep(0.1)
        await mixer.aclose()
        out["output_active_after_close"] = mixer.output_active
        out["block_sizes"] = sorted(set(blocks))
        print(json.dumps(out))

    asyncio.run(main())
    """
)


@pytest.mark.usefixtures("portaudio")
def test_a_microphone_that_is_not_there_is_unavailable_at_once() -> None:
    started = time.monotonic()
    with pytest.raises(DeviceUnavailable, match="cannot be opened") as raised:
        MicrophoneSource(9999)
    assert time.monotonic() - started < 2
    assert raised.value.kind is DeviceProblem.NOT_FOUND
    with pytest.raises(DeviceUnavailable) as raised:
        MicrophoneSource("no microphone has this name")
    assert raised.value.kind is DeviceProblem.NOT_FOUND


@pytest.mark.usefixtures("portaudio")
def test_no_default_microphone_is_unavailable() -> None:
    if list_microphones():
        pytest.skip("this machine has a microphone")
    with pytest.raises(DeviceUnavailable) as raised:
        MicrophoneSource()
    assert raised.value.kind is DeviceProblem.NOT_FOUND, "no default device is a missing one, not a failure"


@pytest.mark.usefixtures("portaudio")
@pytest.mark.skipif(platform.system() != "Linux", reason="ALSA is Linux only")
def test_capture_and_playback_through_portaudio(tmp_path: Path) -> None:
    (tmp_path / ".asoundrc").write_text(ASOUNDRC)
    env = {**os.environ, "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    if "nimeet_null" not in out["mics"]:
        pytest.skip(f"PortAudio does not list the ALSA null device here: {out}")
    assert "nimeet_null" in out["speakers"]
    for fmt, layout, rate, samples, _pts, time_base in out["frames"]:
        assert (fmt, layout, rate, samples, time_base) == ("s16", "mono", 48_000, 960, "1/48000")
    pts = [frame[4] for frame in out["frames"]]
    assert pts == sorted(set(pts))
    assert all(p % 960 == 0 for p in pts)  # counted in samples, gaps only where blocks were dropped
    assert isinstance(out["level"], float)
    assert out["muted_peak"] == 0
    assert out["ended"] == ["ended", "stopped"]
    assert out["output_active"] is True
    assert out["output_active_after_close"] is False
    assert out["block_sizes"] == [960]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Error querying device -1", DeviceProblem.NOT_FOUND),
        ("No input device matching 'USB headset'", DeviceProblem.NOT_FOUND),
        ("Error opening InputStream: Device unavailable [PaErrorCode -9985]", DeviceProblem.BUSY),
        ("Error opening InputStream: Invalid sample rate [PaErrorCode -9997]", DeviceProblem.FAILED),
    ],
)
def test_portaudio_errors_are_told_apart(text: str, problem: DeviceProblem) -> None:
    """PortAudio's texts (as sounddevice words them) and what people are told they mean."""
    assert audio_problem(RuntimeError(text)) is problem


# PortAudio as absent as on a machine without libportaudio2: sounddevice looks it up with ctypes.util.find_library,
# so a sitecustomize in the child makes that lookup find nothing (ldconfig's cache cannot be hidden otherwise).
WITHOUT_PORTAUDIO = textwrap.dedent(
    """
    import ctypes.util
    _find_library = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None if name == "portaudio" else _find_library(name)
    """
)


def without_portaudio_env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "sitecustomize.py").write_text(WITHOUT_PORTAUDIO)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    return env | {"PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}


def test_without_portaudio_a_microphone_is_unavailable_and_says_why(tmp_path: Path) -> None:
    probe = textwrap.dedent(
        """
        from nimeet_desktop.media.devices import DeviceUnavailable, list_microphones, list_speakers
        from nimeet_desktop.media.microphone import MicrophoneSource
        assert list_microphones() == [] and list_speakers() == []
        try:
            MicrophoneSource(9999)
        except DeviceUnavailable as exc:
            print(exc)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], env=without_portaudio_env(tmp_path), cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "no microphone: PortAudio is not available"


def test_without_portaudio_its_tests_skip_naming_the_package(tmp_path: Path) -> None:
    """The README's test command on a machine without PortAudio: these tests skip and say exactly why."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-rs", "-p", "no:cacheprovider", __file__, "-k", "not without_portaudio"],
        env=without_portaudio_env(tmp_path),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout
    reason = "PortAudio (libportaudio2) is not installed: bash scripts/setup.sh --dev installs it"
    skipped = [line for line in done.stdout.splitlines() if line.startswith("SKIPPED")]
    assert len(skipped) == 3, done.stdout
    assert all(line.endswith(reason) for line in skipped), skipped
