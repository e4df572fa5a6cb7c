"""Recording works the same in an SFU room (issue 17): ``nimeet-bot --record`` in a room through Janus keeps the
other's picture and voice and its own, as in a mesh (tests/call/test_recording.py)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from tests.call.test_bots import bot, finish
from tests.support import recorded
from tests.support.janus import JanusInstance
from tests.support.server import ServerProcess
from tests.support.sfu_fixtures import janus_media, sfu_room, sfu_server

__all__ = ["janus_media", "sfu_server"]  # fixtures (tests/support/sfu_fixtures.py), used here

REMOTE_HZ, OWN_HZ = 440.0, 1000.0


async def test_a_bot_records_an_sfu_room_it_is_in(
    sfu_server: ServerProcess, janus_media: JanusInstance, tmp_path: Path
) -> None:
    assert janus_media.media_address is not None
    room_id, _ = await sfu_room(sfu_server, 1)
    common = [f"--room={room_id}", "--ice-host", janus_media.media_address, "--resolution", "320x240"]
    other = bot(sfu_server, *common, "--duration", "9", "--tone-hz", str(REMOTE_HZ))
    await asyncio.sleep(1.0)  # in the room first, so that the recording has someone to show from its start
    path = tmp_path / "call.mkv"
    recording = bot(
        sfu_server,
        *common,
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
    await asyncio.to_thread(finish, other)
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["recording"]["error"] is None, report["recording"]
    assert [p["video"]["frames"] > 0 for p in report["peers"]] == [True], report["peers"]

    got = recorded.read(str(path))
    assert abs(got.audio_s - report["recording"]["durationS"]) <= 0.1, (got.audio_s, report["recording"])
    # Both voices (the other's arrives through Janus) and both pictures, as in a mesh.
    recorded.assert_two_voices_and_two_pictures(got, REMOTE_HZ, OWN_HZ)
