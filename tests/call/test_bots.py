"""``nimeet-bot`` as admins run it: separate processes, the real server, the JSON report of docs/bot-report.md."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.call.conftest import frames_from, recorder, wait_until
from tests.support.server import ServerProcess

BOT_ENV = {**os.environ, "NIMEET_ICE_HOSTS": "127.0.0.1"}


def bot(server: ServerProcess, *args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "nimeet_desktop.bot", "--server", server.url, "--register", *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=BOT_ENV)


def finish(proc: subprocess.Popen[str], timeout: float = 60) -> str:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"bot exited {proc.returncode}:\n{err[-3000:]}"
    return out


async def test_three_bots_receive_each_other_at_full_rate(call_server: ServerProcess, tmp_path: Path) -> None:
    first = bot(
        call_server, "--create", "--resolution", "320x240", "--duration", "9", "--json", str(tmp_path / "0.json")
    )
    assert first.stdout is not None
    line = await asyncio.to_thread(first.stdout.readline)
    assert line.startswith("room: "), line
    room = line.split()[1]
    others = [
        bot(
            call_server,
            f"--room={room}",
            "--resolution",
            "320x240",
            "--duration",
            "7",
            "--json",
            str(tmp_path / f"{i}.json"),
        )
        for i in (1, 2)
    ]
    outputs = [await asyncio.to_thread(finish, p) for p in (first, *others)]
    for i, out in enumerate(outputs):
        assert out.strip().splitlines()[-1].startswith("bot: 2 peers, min video fps"), out
        report = json.loads((tmp_path / f"{i}.json").read_text())
        assert report["roomId"] == room and report["errors"] == []
        assert report["sent"]["video"]["codec"] == "VP8" and report["sent"]["video"]["width"] == 320
        assert len(report["peers"]) == 2
        for peer in report["peers"]:
            assert peer["video"]["fps"] >= 25, peer
            assert (peer["video"]["width"], peer["video"]["height"]) == (320, 240)
            assert peer["audio"]["framesPerS"] >= 45, peer
            assert peer["firstFrameMs"] is not None and peer["firstFrameMs"] < 2000
            assert peer["video"]["latencyMs"]["p50"] is not None
            assert peer["bytesReceived"] > 0
            assert [s["state"] for s in peer["connectionStates"]][-2:] in (
                ["connecting", "connected"],
                ["connected", "closed"],
            )


async def test_killed_bot_is_dropped_within_two_seconds(call_server, room_of, sessions) -> None:
    room, (token,) = await room_of(1)
    me = sessions(token)
    await me.join(room)
    proc = bot(call_server, f"--room={room}", "--resolution", "320x240", "--duration", "60")
    try:
        await wait_until(
            lambda: any(r.stats.video_frames > 10 for r in me.participants.values()), timeout=20, what="the bot's video"
        )
        (socket_id,) = list(me.participants)
        proc.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        await wait_until(lambda: socket_id not in me.peers, timeout=5, what="the peer to be dropped")
        left = [at for sid, at in recorder(me).left if sid == socket_id]
        assert left and left[0] - killed_at < 2.0, f"user-left took {left[0] - killed_at:.2f} s"
    finally:
        proc.kill()
        proc.communicate()


async def test_bot_refuses_a_bad_room_link_and_a_missing_room(call_server) -> None:
    junk = bot(call_server, "--room=nimeet://join/../etc", "--duration", "1")
    _, err = await asyncio.to_thread(junk.communicate, timeout=30)
    assert junk.returncode == 2 and "--room" in err
    missing = bot(call_server, "--room=NoSuchRoom123", "--duration", "1")
    _, err = await asyncio.to_thread(missing.communicate, timeout=30)
    assert missing.returncode == 1 and "room-not-found" in err


async def test_calls_come_back_after_a_server_restart(make_server, room_of, sessions, call_server) -> None:
    server: ServerProcess = make_server()
    server.start()
    port = server.port
    from tests.support.clients import Api

    api = Api(server.url)
    tokens = [(await api.register())["token"] for _ in range(2)]
    room = (await api.create_room(tokens[0]))["roomId"]
    await api.aclose()
    a, b = sessions(tokens[0], server_url=server.url), sessions(tokens[1], server_url=server.url)
    await a.join(room)
    await b.join(room)
    await wait_until(lambda: frames_from(a, b) > 10 and frames_from(b, a) > 10, what="video both ways")
    old_ids = (a.self_participant.socket_id, b.self_participant.socket_id)

    server.stop()
    server.start(port=port)
    await wait_until(lambda: a.signaling.reconnects == 1 and b.signaling.reconnects == 1, timeout=20, what="reconnects")
    await wait_until(
        lambda: frames_from(a, b) > 10 and frames_from(b, a) > 10, timeout=20, what="video after the restart"
    )
    assert (a.self_participant.socket_id, b.self_participant.socket_id) != old_ids
    # No ghosts: each sees exactly the other's new socket.
    assert list(a.participants) == [b.self_participant.socket_id]
    assert list(b.participants) == [a.self_participant.socket_id]
