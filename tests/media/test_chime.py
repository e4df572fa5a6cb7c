"""The speaker test sound: what it is (checked by numbers), a missing speaker said at once, and really played
through PortAudio on ALSA's null device (in a subprocess with its own ``.asoundrc``, as the microphone's test)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from nimeet_desktop.media.audio_output import rms_dbfs
from nimeet_desktop.media.chime import CHIME_DBFS, NOTE_S, NOTES_HZ, chime_samples, play_chime
from nimeet_desktop.media.devices import DeviceProblem, DeviceUnavailable
from tests.media.test_audio_output import spectrum_peak
from tests.media.test_microphone import ASOUNDRC, ROOT


def test_the_chime_is_two_soft_notes_without_clicks() -> None:
    chime = chime_samples()
    note = round(NOTE_S * 48_000)
    assert chime.dtype == np.int16 and chime.size == 2 * note
    first, second = chime[:note], chime[note:]
    for samples, freq, other in ((first, NOTES_HZ[0], NOTES_HZ[1]), (second, NOTES_HZ[1], NOTES_HZ[0])):
        assert rms_dbfs(samples) == pytest.approx(CHIME_DBFS, abs=0.5)  # the fades take a little off
        assert spectrum_peak(samples, freq) > 10 * spectrum_peak(samples, other)
    # Faded in and out: no step at the start, the end, or between the notes.
    for edge in (chime[:5], chime[note - 5 : note + 5], chime[-5:]):
        assert int(np.abs(edge.astype(np.int32)).max()) < 400


@pytest.mark.usefixtures("portaudio")
def test_a_speaker_that_is_not_there_is_said_at_once() -> None:
    started = time.monotonic()
    with pytest.raises(DeviceUnavailable, match="cannot be opened") as raised:
        play_chime("no speaker has this name")
    assert time.monotonic() - started < 2
    assert raised.value.kind is DeviceProblem.NOT_FOUND


PROBE = textwrap.dedent(
    """
    import json, time
    from nimeet_desktop.media.chime import play_chime
    from nimeet_desktop.media.devices import list_speakers
    speakers = [s.name for s in list_speakers()]
    out = {"speakers": speakers}
    if "nimeet_null" in speakers:
        started = time.monotonic()
        play_chime("nimeet_null")
        out["seconds"] = time.monotonic() - started
    print(json.dumps(out))
    """
)


@pytest.mark.usefixtures("portaudio")
@pytest.mark.skipif(platform.system() != "Linux", reason="ALSA is Linux only")
def test_the_chime_plays_through_portaudio(tmp_path: Path) -> None:
    (tmp_path / ".asoundrc").write_text(ASOUNDRC)
    env = {**os.environ, "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    if "seconds" not in out:
        pytest.skip(f"PortAudio does not list the ALSA null device here: {out}")
    assert out["seconds"] < 5, "the test sound returns once played"
