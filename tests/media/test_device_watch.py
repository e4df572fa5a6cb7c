"""Hot-plug: devices appearing and disappearing, and what that means for the devices in use.

Sound devices are real: PortAudio on ALSA, in the watch's lister subprocess, with a ``HOME`` of the test's own whose
``.asoundrc`` defines ALSA ``null`` devices. Rewriting that file adds or removes a device the way plugging a headset
adds an ALSA card: a fresh PortAudio lists it, the one already running does not (that is why the lists come from a
subprocess). Cameras cannot be plugged in here (no v4l2loopback without root): their tests use a fake device list.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from nimeet_desktop.media.device_watch import (
    DeviceEvent,
    DeviceKind,
    DeviceLists,
    DeviceWatch,
    audio_lists_in_subprocess,
    change_signal,
    device_events,
    watch_lister,
)
from nimeet_desktop.media.provider import DeviceChoice, SyntheticMediaProvider

ROOT = Path(__file__).resolve().parents[2]


def null_devices(*names: str) -> str:
    return "".join(f'pcm.{name} {{\n    type null\n    hint {{ show on description "{name}" }}\n}}\n' for name in names)


def choices(*ids: str) -> tuple[DeviceChoice, ...]:
    return tuple(DeviceChoice(i, i) for i in ids)


linux_alsa = pytest.mark.skipif(platform.system() != "Linux", reason="ALSA is Linux only")


@pytest.mark.usefixtures("portaudio")
@linux_alsa
async def test_a_sound_device_plugged_in_appears_within_2_s_and_one_unplugged_goes(tmp_path: Path) -> None:
    asoundrc = tmp_path / ".asoundrc"
    asoundrc.write_text(null_devices("nimeet_null"))
    env = {**os.environ, "HOME": str(tmp_path)}
    changes: list[tuple[float, DeviceLists]] = []

    def lister() -> DeviceLists:
        microphones, speakers = audio_lists_in_subprocess(env)
        return DeviceLists((), tuple(microphones), tuple(speakers))

    watch = DeviceWatch(
        lister=lister,
        on_change=lambda _before, after: changes.append((time.monotonic(), after)),
        signal=lambda: change_signal(home=str(tmp_path)),
    )
    await watch.start()
    try:
        names = [d.id for d in watch.lists.microphones]
        if "nimeet_null" not in names:
            pytest.skip(f"PortAudio does not list the ALSA null device here: {names}")
        assert "nimeet_headset" not in names

        plugged_at = time.monotonic()
        asoundrc.write_text(null_devices("nimeet_null", "nimeet_headset"))
        while not changes or changes[-1][1].find("microphone", "nimeet_headset") is None:
            assert time.monotonic() - plugged_at < 2.0, "the new device was not listed within 2 s"
            await asyncio.sleep(0.05)
        appeared = changes[-1][0] - plugged_at
        print(f"plugged-in device listed after {appeared * 1000:.0f} ms")
        assert changes[-1][1].find("speaker", "nimeet_headset") is not None

        unplugged_at = time.monotonic()
        asoundrc.write_text(null_devices("nimeet_null"))
        while changes[-1][1].find("microphone", "nimeet_headset") is not None:
            assert time.monotonic() - unplugged_at < 2.0, "the removed device was still listed after 2 s"
            await asyncio.sleep(0.05)
    finally:
        await watch.stop()


async def test_nothing_is_listed_again_while_nothing_changes() -> None:
    """The lister (a subprocess) runs only when the cheap signal changes, not every poll."""
    signal = ["a"]
    watch = DeviceWatch(
        lister=lambda: DeviceLists(choices(*signal)),
        on_change=lambda _b, _a: None,
        signal=lambda: signal[0],
        poll_s=0.02,
    )
    await watch.start()
    try:
        await asyncio.sleep(0.3)
        assert watch.listings == 1
        signal[0] = "b"
        await asyncio.sleep(0.1)
        assert watch.listings == 2 and watch.lists.cameras == choices("b")
    finally:
        await watch.stop()


async def test_without_a_signal_the_lists_are_polled_and_a_failing_lister_does_not_end_the_watch() -> None:
    """Windows and macOS have no cheap signal: the lists are taken every slow poll (a fake camera list)."""
    cameras = ["0"]
    failures = [1]
    seen: list[DeviceLists] = []

    def lister() -> DeviceLists:
        if failures[0] and len(seen) == 0 and cameras == ["0", "1"]:
            failures[0] -= 1
            raise OSError("lister broke once")
        return DeviceLists(choices(*cameras))

    watch = DeviceWatch(
        lister=lister, on_change=lambda _b, a: seen.append(a), signal=lambda: None, poll_s=0.02, slow_poll_s=0.05
    )
    await watch.start()
    try:
        cameras.append("1")
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.02)
        assert seen and seen[-1].cameras == choices("0", "1")
        assert failures == [0], "the failing listing was not tried"
    finally:
        await watch.stop()


def test_the_device_in_use_disappearing_is_a_loss() -> None:
    before = DeviceLists(choices("0", "2"), choices("default", "USB headset"), choices("default", "USB headset"))
    after = DeviceLists(choices("0"), choices("default"), choices("default"))
    in_use: dict[DeviceKind, str | None] = {"camera": "2", "microphone": "USB headset", "speaker": None}
    preferred: dict[DeviceKind, str | None] = {"speaker": "USB headset"}
    events = device_events(before, after, in_use, preferred)
    assert events == [
        DeviceEvent("camera", "lost", DeviceChoice("2", "2")),
        DeviceEvent("microphone", "lost", DeviceChoice("USB headset", "USB headset")),
    ], "the system default cannot be lost, and a preferred device leaving is nothing to offer"


def test_a_preferred_device_coming_back_is_offered_once() -> None:
    before = DeviceLists(choices("0"), choices("default"), choices("default"))
    after = DeviceLists(choices("0", "2"), choices("default", "USB headset"), choices("default", "USB headset"))
    preferred: dict[DeviceKind, str | None] = {"camera": "2", "microphone": "USB headset", "speaker": "USB headset"}
    in_use: dict[DeviceKind, str | None] = {"camera": None, "microphone": None, "speaker": "USB headset"}
    assert device_events(before, after, in_use, preferred) == [
        DeviceEvent("camera", "returned", DeviceChoice("2", "2")),
        DeviceEvent("microphone", "returned", DeviceChoice("USB headset", "USB headset")),
    ], "the speaker is in use already: nothing to switch back to"
    assert device_events(after, after, in_use, preferred) == [], "a device that was already there is not news"


SPEAKER_SWITCH = textwrap.dedent(
    """
    import asyncio, json
    from nimeet_desktop.media.audio_output import AudioMixer
    from nimeet_desktop.media.devices import list_speakers
    from nimeet_desktop.media.synthetic import SyntheticAudio

    async def main():
        out = {"speakers": [s.name for s in list_speakers()]}
        if "nimeet_null" not in out["speakers"]:
            print(json.dumps(out))
            return
        mixer = AudioMixer("nimeet_null")
        lost = []
        mixer.on_speaker_lost = lambda: lost.append(mixer.device)
        await mixer.start()
        mixer.add("remote", SyntheticAudio(440.0))
        await asyncio.sleep(0.2)
        out["first"] = [mixer.output_active, mixer.device, mixer.frames_received()["remote"] > 0]
        out["switched"] = await mixer.set_device("nimeet_headset")
        received = mixer.frames_received()["remote"]
        await asyncio.sleep(0.3)  # the replaced stream's end is told meanwhile: it must not close the new one
        out["second"] = [mixer.output_active, mixer.device, mixer.frames_received()["remote"] > received]
        out["refused"] = await mixer.set_device("no speaker has this name")
        out["after_refusal"] = [mixer.output_active, mixer.device]
        out["lost"] = lost
        await mixer.aclose()
        print(json.dumps(out))

    asyncio.run(main())
    """
)


@pytest.mark.usefixtures("portaudio")
@linux_alsa
def test_the_speaker_switches_keeping_everyone_it_plays(tmp_path: Path) -> None:
    (tmp_path / ".asoundrc").write_text(null_devices("nimeet_null", "nimeet_headset"))
    env = {**os.environ, "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", SPEAKER_SWITCH], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    if "first" not in out:
        pytest.skip(f"PortAudio does not list the ALSA null device here: {out}")
    assert out["first"] == [True, "nimeet_null", True]
    assert out["switched"] is True
    assert out["second"] == [True, "nimeet_headset", True]
    assert out["refused"] is False
    assert out["after_refusal"] == [True, "nimeet_headset"], "a speaker that will not open must not stop the mix"
    assert out["lost"] == [], "closing the replaced stream was taken for the loss of the speaker"


RESET = textwrap.dedent(
    """
    import asyncio, json, pathlib, sys, time
    from nimeet_desktop.media import portaudio_reset
    from nimeet_desktop.media.audio_output import AudioMixer
    from nimeet_desktop.media.microphone import MicrophoneSource

    async def main():
        out = {"known_at_start": portaudio_reset.knows("microphone", "nimeet_null")}
        if not out["known_at_start"]:
            print(json.dumps(out))
            return
        mic = MicrophoneSource("nimeet_null")
        mixer = AudioMixer("nimeet_null")
        await mixer.start()
        pathlib.Path(sys.argv[1]).write_text(sys.argv[2])  # the headset is plugged in
        out["known_before_reset"] = portaudio_reset.knows("microphone", "nimeet_headset")
        out["refused_while_open"] = not portaudio_reset.reinitialize()
        started = time.monotonic()
        await mixer.suspend_output()
        mic.stop()
        out["open_streams"] = portaudio_reset.open_streams()
        out["reset"] = portaudio_reset.reinitialize()
        reset_s = time.monotonic() - started
        out["known_after_reset"] = portaudio_reset.knows("microphone", "nimeet_headset")
        headset = MicrophoneSource("nimeet_headset")
        opened_s = time.monotonic() - started
        out["headset_frames"] = len([await headset.recv() for _ in range(5)])
        out["speaker_back"] = await mixer.set_device("nimeet_headset")
        headset.stop()
        await mixer.aclose()
        print(f"closing our streams and re-initializing PortAudio: {reset_s * 1000:.0f} ms, "
              f"and the new microphone open: {opened_s * 1000:.0f} ms", file=sys.stderr)
        print(json.dumps(out))

    asyncio.run(main())
    """
)


@pytest.mark.usefixtures("portaudio")
@linux_alsa
def test_portaudio_is_reinitialized_for_a_new_device_only_with_our_streams_closed(tmp_path: Path) -> None:
    asoundrc = tmp_path / ".asoundrc"
    asoundrc.write_text(null_devices("nimeet_null"))
    env = {**os.environ, "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    plugged = null_devices("nimeet_null", "nimeet_headset")
    done = subprocess.run(
        [sys.executable, "-c", RESET, str(asoundrc), plugged],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    print(done.stderr.strip().splitlines()[-1])
    out = json.loads(done.stdout.strip().splitlines()[-1])
    if not out["known_at_start"]:
        pytest.skip(f"PortAudio does not list the ALSA null device here: {out}")
    assert out == {
        "known_at_start": True,
        "known_before_reset": False,  # PortAudio's list is the one of its start
        "refused_while_open": True,  # re-initializing would free the streams under us
        "open_streams": 0,
        "reset": True,
        "known_after_reset": True,
        "headset_frames": 5,
        "speaker_back": True,
    }


class CountingCameras(SyntheticMediaProvider):
    def __init__(self) -> None:
        super().__init__()
        self.camera_listings = 0

    def cameras(self) -> list[DeviceChoice]:
        self.camera_listings += 1
        return super().cameras()


@pytest.mark.parametrize(("platform_name", "listings"), [("linux", 3), ("win32", 1), ("darwin", 1)])
def test_cameras_are_listed_again_only_where_that_opens_none(
    monkeypatch: pytest.MonkeyPatch, platform_name: str, listings: int
) -> None:
    """Windows and macOS list cameras by opening each OpenCV index (the one in use too): only once there."""
    monkeypatch.setattr(sys, "platform", platform_name)
    provider = CountingCameras()
    lister = watch_lister(provider)
    lists = [lister() for _ in range(3)]
    assert provider.camera_listings == listings
    assert all(listed.cameras == lists[0].cameras and listed.microphones for listed in lists)
