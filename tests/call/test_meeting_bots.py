"""``nimeet-bot`` in a meeting (contract v1.1), as separate processes against the real server: a host socket
(``tests.support.clients.Peer``) admits, denies, mutes and removes it; chat and files go both ways; the bot's JSON
report (docs/bot-report.md) and exit status say what happened."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

from nimeet_desktop.net.rest import ApiClient
from signaling_server.protocol import FileInfo
from tests.call.test_bots import bot
from tests.support.clients import Api, Peer, unique_name
from tests.support.server import ServerProcess

QUIET = ("--video", "none", "--audio", "none")  # the host is a bare socket: no media to exchange, less CPU


async def host_of(server: ServerProcess, **room: Any) -> tuple[Peer, str, str, str]:
    """A new user's room (``room``: the creation body) and that user's socket in it: (peer, room id, token, name)."""
    api = Api(server.url)
    name = unique_name("host")
    token = (await api.register(name))["token"]
    room_id = (await api.create_room(token, **room))["roomId"]
    await api.aclose()
    peer = await Peer(server.url, token).connect()
    ack = await peer.join(room_id, camera=False, microphone=False)
    assert ack.get("waiting") is None and ack["self"]["role"] == "host"
    return peer, room_id, token, name


async def finished(proc: subprocess.Popen[str], timeout: float = 90) -> tuple[int, str, str]:
    out, err = await asyncio.to_thread(proc.communicate, timeout=timeout)
    return proc.returncode, out, err


def report_of(path: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(path.read_text())
    return report


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_a_bot_waits_in_the_lobby_until_admitted_and_chats_both_ways(
    call_server: ServerProcess, tmp_path: Path
) -> None:
    host, room_id, _, host_name = await host_of(call_server, isPrivate=True, password="open sesame")
    report = tmp_path / "bot.json"
    proc = bot(
        call_server,
        f"--room={room_id}",
        "--room-password",
        "open sesame",
        "--chat",
        "hello from the bot",
        "--raise-hand",
        "--react",
        "\u2764",  # the heart typed without its variation selector
        "--duration",
        "4",
        "--json",
        str(report),
        *QUIET,
    )
    try:
        knock = await host.log.next("lobby-knock", timeout=60)
        await asyncio.sleep(1.0)  # the bot waits: the time shows in its report
        assert await host.log.quiet("user-joined", 0.1), "nobody is in the room before the host admits them"
        await host.call("admit", {"target": knock["socketId"]})
        joined = await host.log.next("user-joined", timeout=10)
        assert joined["socketId"] == knock["socketId"]
        chat = await host.log.next("chat-message", timeout=20)
        assert (chat["text"], chat["from"], chat["to"]) == ("hello from the bot", knock["socketId"], None)
        hand = await host.log.next("hand-raised", timeout=10)
        assert hand["socketId"] == knock["socketId"] and hand["raised"] is True
        reaction = await host.log.next("reaction", timeout=10)
        assert reaction == {"socketId": knock["socketId"], "emoji": "\u2764\ufe0f"}
        await host.call("chat-message", {"text": "hello, bot"})
        await host.call("chat-message", {"text": "just for you", "to": knock["socketId"]})
        code, out, err = await finished(proc)
    finally:
        proc.kill()
        await host.close()
    assert host.violations == []  # every event the host got matched protocol.py
    assert code == 0, err[-3000:]
    assert out.strip().splitlines()[-1].startswith("bot: 1 peers"), out
    got = report_of(report)
    assert got["errors"] == [], got["errors"]
    assert got["self"]["socketId"] == knock["socketId"] and got["self"]["role"] == "participant"
    assert got["lobby"]["outcome"] == "admitted" and got["lobby"]["waitedS"] >= 1.0
    assert got["moderation"] == {"mutedByHost": [], "ended": None}
    assert [m["text"] for m in got["chat"]["sent"]] == ["hello from the bot"]
    received = [(m["text"], m["username"], m["to"]) for m in got["chat"]["received"]]
    assert received == [("hello, bot", host_name, None), ("just for you", host_name, knock["socketId"])]
    assert got["reactions"]["sent"] == ["\u2764\ufe0f"]


async def test_a_denied_bot_and_a_wrong_password(call_server: ServerProcess, tmp_path: Path) -> None:
    host, room_id, _, _ = await host_of(call_server, isPrivate=True, password="open sesame")
    wrong = bot(call_server, f"--room={room_id}", "--room-password", "open sesam", "--duration", "1", *QUIET)
    report = tmp_path / "denied.json"
    denied = bot(
        call_server, f"--room={room_id}", "--room-password=open sesame", "--duration", "30", "--json", str(report)
    )
    try:
        knock = await host.log.next("lobby-knock", timeout=60)
        await host.call("deny", {"target": knock["socketId"]})
        code, out, err = await finished(denied)
        wrong_code, _, wrong_err = await finished(wrong)
    finally:
        denied.kill()
        wrong.kill()
        await host.close()
    assert host.violations == []  # every event the host got matched protocol.py
    assert code == 3, err[-3000:]
    got = report_of(report)
    assert got["lobby"]["outcome"] == "denied"
    assert got["moderation"]["ended"]["reason"] == "denied"
    assert got["peers"] == [] and got["durationS"] < 30
    assert out.strip().splitlines()[-1].startswith("bot: 0 peers"), out
    assert wrong_code == 1 and "wrong-password" in wrong_err, wrong_err[-2000:]


async def test_files_go_up_and_down_checked(call_server: ServerProcess, tmp_path: Path) -> None:
    host, room_id, token, host_name = await host_of(call_server)
    to_send = tmp_path / "from the bot.bin"
    to_send.write_bytes(os.urandom(700_000))
    from_host = tmp_path / "from-host.txt"
    from_host.write_bytes(b"the host's notes\n" * 5000)
    saved = tmp_path / "saved"
    report = tmp_path / "bot.json"
    proc = bot(
        call_server,
        f"--room={room_id}",
        "--send-file",
        str(to_send),
        "--save-files",
        str(saved),
        "--duration",
        "8",
        "--json",
        str(report),
        *QUIET,
    )
    try:
        message = await host.log.next("chat-message", timeout=60)
        assert message["text"] == "" and message["file"]["name"] == "from the bot.bin"
        shared = FileInfo.model_validate(message["file"])
        async with ApiClient(call_server.url, token) as api:
            fetched = await api.download_file(room_id, shared, tmp_path / "fetched.bin")
            assert fetched.read_bytes() == to_send.read_bytes()
            mine = await api.upload_file(room_id, from_host)
        code, _, err = await finished(proc)
    finally:
        proc.kill()
        await host.close()
    assert host.violations == []  # every event the host got matched protocol.py
    assert code == 0, err[-3000:]
    got = report_of(report)
    assert got["errors"] == [], got["errors"]
    assert got["files"]["sent"] == [
        {"id": shared.id, "name": "from the bot.bin", "size": 700_000, "sha256": sha256_of(to_send)}
    ]
    (received,) = got["files"]["received"]
    assert received["id"] == mine.id and received["username"] == host_name
    assert (received["name"], received["size"], received["sha256"]) == ("from-host.txt", 85_000, sha256_of(from_host))
    assert received["verified"] is True and received["error"] is None
    assert Path(received["savedTo"]) == saved / "from-host.txt"
    assert (saved / "from-host.txt").read_bytes() == from_host.read_bytes()
    # Each file is posted to the chat as a message with the file and no text, to its sender too.
    assert [(m["text"], m["file"]["id"]) for m in got["chat"]["received"]] == [("", mine.id)]
    assert [(m["text"], m["file"]["id"]) for m in got["chat"]["sent"]] == [("", shared.id)]


async def test_a_host_mutes_the_bot_then_removes_it(call_server: ServerProcess, tmp_path: Path) -> None:
    host, room_id, _, host_name = await host_of(call_server)
    report = tmp_path / "bot.json"
    proc = bot(call_server, f"--room={room_id}", "--video", "none", "--duration", "60", "--json", str(report))
    try:
        joined = await host.log.next("user-joined", timeout=60)
        target = joined["socketId"]
        assert joined["mediaState"]["microphone"] is True
        await host.call("mute-participant", {"target": target, "mediaType": "microphone"})
        toggled = await host.log.next("media-toggled", timeout=10)
        assert toggled == {"socketId": target, "mediaType": "microphone", "enabled": False}
        # The server told the room; the bot, muted, does not tell it a second time.
        assert await host.log.quiet("media-toggled", 1.5)
        await host.call("remove-participant", {"target": target})
        left = await host.log.next("user-left", timeout=10)
        assert left["socketId"] == target
        code, out, err = await finished(proc, timeout=30)
        # Removed, the bot does not come back (its reconnect loop would rejoin as a new socket).
        assert await host.log.quiet("user-joined", 1.0)
    finally:
        proc.kill()
        await host.close()
    assert host.violations == []  # every event the host got matched protocol.py
    assert code == 3, err[-3000:]
    got = report_of(report)
    assert got["self"]["media"] == {"camera": False, "microphone": False, "screen": False}
    (muted,) = got["moderation"]["mutedByHost"]
    assert (muted["media"], muted["byUsername"]) == ("microphone", host_name)
    ended = got["moderation"]["ended"]
    assert (ended["reason"], ended["byUsername"]) == ("removed", host_name)
    assert ended["atS"] > muted["atS"] and got["durationS"] < 60
    assert got["lobby"] is None and got["errors"] == [], got["errors"]
    assert out.strip().splitlines()[-1].startswith("bot: 1 peers"), out
