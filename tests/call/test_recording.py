"""``nimeet-bot --record``: a real two-bot call on the loopback server, one bot recording; the file read back with
PyAV (duration, frame rate, both voices, both pictures)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import av
import pytest

from nimeet_desktop.bot import main as bot_main
from nimeet_desktop.call.recording import CallRecording
from nimeet_desktop.call.remote import RemoteParticipant
from nimeet_desktop.call.session import CallSession
from signaling_server.protocol import MediaState, Participant
from tests.call.test_bots import bot, finish
from tests.support import recorded
from tests.support.server import ServerProcess
from tests.support.small_disk import small_disk

REMOTE_HZ, OWN_HZ = 440.0, 1000.0


async def test_a_bot_records_the_call_it_receives(call_server: ServerProcess, tmp_path: Path) -> None:
    # The recorded picture is 1280x720 at 30 fps; the bots send 320x240 to keep the machine's two cores for it.
    first = bot(call_server, "--create", "--resolution", "320x240", "--duration", "9", "--tone-hz", str(REMOTE_HZ))
    assert first.stdout is not None
    line = await asyncio.to_thread(first.stdout.readline)
    assert line.startswith("room: "), line
    room = line.split()[1]
    path = tmp_path / "call.mp4"
    recording = bot(
        call_server,
        f"--room={room}",
        "--resolution",
        "320x240",
        "--duration",
        "5",
        "--tone-hz",
        str(OWN_HZ),
        "--record",
        str(path),
        "--json",
        str(tmp_path / "report.json"),
    )
    await asyncio.to_thread(finish, recording)
    await asyncio.to_thread(finish, first)
    report = json.loads((tmp_path / "report.json").read_text())["recording"]
    assert report["error"] is None and report["path"] == str(path)
    assert (report["container"], report["videoCodec"], report["audioCodec"]) == ("mp4", "libx264", "aac")
    # Recorded from the moment the bot is in the room until it leaves: its 5 s, less the join (well under a second).
    assert 4.0 <= report["durationS"] <= 5.2, report

    got = recorded.read(str(path))
    # The file is as long as the recording: one frame interval (33 ms) and the AAC encoder's padding (one 1024-sample
    # frame, 21 ms) are the most they may differ, plus a tick the loaded machine skipped at either end.
    assert abs(got.video_span_s - report["durationS"]) <= 0.1, (got.video_span_s, report)
    assert abs(got.audio_s - report["durationS"]) <= 0.1, (got.audio_s, report)
    # The call's rate: 30 fps nominal; composing and encoding a 720p picture each tick kept up with it (a tick the
    # thread is late for is skipped, so a loaded machine shows here as a lower measured rate).
    assert got.nominal_fps is not None and abs(got.nominal_fps - 30) < 1
    assert got.measured_fps >= 24, got.measured_fps  # 29.7 measured; 80 % of the rate, for a machine under load
    # Both voices: the other bot's tone (received, decoded) and this bot's own (its microphone as sent); without the
    # remote audio tapped, 440 Hz reads ~23 dB above the floor. Both pictures: two tiles side by side.
    recorded.assert_two_voices_and_two_pictures(got, REMOTE_HZ, OWN_HZ)


def test_record_refuses_a_container_it_cannot_write(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        bot_main(["--create", "--record", "call.avi"])
    assert exit_info.value.code == 2
    assert "a recording is saved as .mp4, .webm, .mkv, not .avi" in capsys.readouterr().err


async def test_a_bot_whose_disk_fills_up_stops_recording_says_why_and_keeps_the_file(
    call_server: ServerProcess, tmp_path: Path
) -> None:
    with small_disk(tmp_path / "small-disk", "128k") as folder:
        path = folder / "call.mkv"
        recording = bot(
            call_server,
            "--create",
            "--resolution",
            "320x240",
            "--duration",
            "3",
            "--record",
            str(path),
            "--json",
            str(tmp_path / "report.json"),
        )
        _, err = await asyncio.to_thread(recording.communicate, timeout=60)
        assert recording.returncode == 1, err
        assert "the disk is full; the part recorded so far is kept" in err
        report = json.loads((tmp_path / "report.json").read_text())["recording"]
        assert report["error"]["kind"] == "disk-full"
        assert report["durationS"] < 2.5  # it stopped early, by itself (128 KiB hold about a second)
        got = recorded.read(str(path))
        assert got.video_frames >= 1


async def test_the_recorded_picture_is_the_grid_and_a_shared_screen_is_featured(tmp_path: Path) -> None:
    """What ``CallRecording`` composes from a session's participants (no network: the session is never joined)."""
    session = CallSession("http://127.0.0.1:9", "token", [])
    recording = CallRecording(session, tmp_path / "never-started.mp4")

    def join(socket_id: str, *, camera: bool, screen: bool) -> RemoteParticipant:
        wire = Participant(
            socket_id=socket_id,
            user_id=f"user-{socket_id}",
            username=socket_id,
            media_state=MediaState(camera=camera, microphone=True, screen=screen),
        )
        remote = session.participants[socket_id] = RemoteParticipant.from_wire(wire, 0.0)
        remote.playout.push(av.VideoFrame(320, 240, "yuv420p"))
        return remote

    join("a", camera=True, screen=False)
    join("b", camera=False, screen=False)
    tiles, screen = recording.picture()
    # Us (no camera: an empty tile), then everyone in the order they came; b's camera is off: no frame shown.
    assert [(t.key, t.frame is not None) for t in tiles] == [("self", False), ("a", True), ("b", False)]
    assert screen is None
    join("c", camera=False, screen=True)
    tiles, screen = recording.picture()
    assert screen is not None and screen.key == "c" and screen.frame is not None
    assert [t.key for t in tiles] == ["self", "a", "b"]
