"""Version 1.1, "Chat and files", the socket.io part: `chat-message`, its limits, private messages and the history."""

from __future__ import annotations

from typing import Any

import pytest

from tests.signaling_server.meetings import Connect, in_room, knock, lobby_room, newcomer, nothing_more, refused, when
from tests.support.clients import Api

MESSAGE_KEYS = {"id", "from", "userId", "username", "text", "sentAt", "to", "file"}


async def test_the_server_stamps_each_message_and_delivers_it_to_the_others(api: Api, peers: Connect) -> None:
    _, (a, b, c), acks = await in_room(api, peers, 3)
    spoofed = {
        "text": "hello, room",
        "from": c.sid,
        "userId": acks[2]["self"]["userId"],
        "username": "mallory",
        "sentAt": "2000-01-01T00:00:00Z",
        "id": "chosen-by-the-client",
        "file": {"id": "f", "name": "evil.exe", "size": 1, "sha256": "0" * 64, "mime": "x/y"},
    }
    ack = await a.call("chat-message", spoofed)
    assert set(ack) == {"ok", "message"}
    message = ack["message"]
    assert set(message) == MESSAGE_KEYS
    me = acks[0]["self"]
    assert (message["from"], message["userId"], message["username"]) == (a.sid, me["userId"], me["username"])
    assert (message["text"], message["to"], message["file"]) == ("hello, room", None, None)
    assert message["id"] and message["id"] != "chosen-by-the-client"
    when(message["sentAt"])
    for peer in (b, c):
        assert await peer.log.next("chat-message") == message
    await nothing_more("chat-message", a)  # the sender has it in its ack
    second = (await a.call("chat-message", {"text": "again"}))["message"]
    assert second["id"] != message["id"]
    assert when(second["sentAt"]) >= when(message["sentAt"])


async def test_a_private_message_reaches_its_target_alone(api: Api, peers: Connect) -> None:
    _, (a, b, c), _ = await in_room(api, peers, 3)
    message = (await b.call("chat-message", {"text": "just you", "to": c.sid}))["message"]
    assert message["to"] == c.sid and message["from"] == b.sid
    assert await c.log.next("chat-message") == message
    await nothing_more("chat-message", a, b)
    # To the host as well, in the other direction.
    reply = (await c.call("chat-message", {"text": "and you", "to": a.sid}))["message"]
    assert await a.log.next("chat-message") == reply
    await nothing_more("chat-message", b, c)


async def test_a_private_message_needs_its_target_in_the_room(api: Api, peers: Connect) -> None:
    _, (a, b), _ = await in_room(api, peers, 2)
    elsewhere = await lobby_room(api, peers, inside=1, waiting=1)
    outside = await newcomer(api, peers)
    gone = await newcomer(api, peers)
    await gone.close()
    for target in (elsewhere.host.sid, elsewhere.inside[0].sid, elsewhere.waiting[0].sid, outside.sid, gone.sid, "x"):
        ack = await a.call("chat-message", {"text": "psst", "to": target})
        assert refused(ack) == "unknown-target", target
    await nothing_more("chat-message", b, elsewhere.host, elsewhere.inside[0], elsewhere.waiting[0], outside)
    # Someone waiting in this room's lobby is not in the room either.
    lobbied = await lobby_room(api, peers, waiting=1)
    assert refused(await lobbied.host.call("chat-message", {"text": "hi", "to": lobbied.waiting[0].sid})) == (
        "unknown-target"
    )


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "invalid-input"),
        ("   ", "invalid-input"),
        (" \n\t\r\n ", "invalid-input"),
        ("x" * 4001, "too-large"),
        ("  " + "x" * 4001 + "  ", "too-large"),
        ("\u00e9" * 4001, "too-large"),
        ("x" * 4000, None),
        (" " * 50 + "x" * 4000 + "\n" * 50, None),  # 4000 characters once trimmed
        ("\u00e9" * 4000, None),  # characters, not bytes
        ("two\nlines\tand a tab", None),
    ],
)
async def test_chat_text_length_is_counted_after_trimming(
    api: Api, peers: Connect, text: str, code: str | None
) -> None:
    _, (a, b), _ = await in_room(api, peers, 2)
    ack = await a.call("chat-message", {"text": text})
    if code is None:
        assert ack["message"]["text"].strip() == text.strip()
        assert await b.log.next("chat-message") == ack["message"]
    else:
        assert refused(ack) == code
        await nothing_more("chat-message", b)


@pytest.mark.parametrize(
    "payload",
    [{}, {"text": 42}, {"text": None}, {"text": ["hi"]}, {"text": "hi", "to": 5}, {"text": "hi", "to": ["x"]}, "hi"],
)
async def test_a_malformed_chat_message_is_invalid_input(api: Api, peers: Connect, payload: Any) -> None:
    _, (a, b), _ = await in_room(api, peers, 2)
    assert refused(await a.call("chat-message", payload)) == "invalid-input"
    await nothing_more("chat-message", b)


async def test_chat_checks_size_then_shape_then_membership(api: Api, peers: Connect) -> None:
    outsider = await newcomer(api, peers)
    assert refused(await outsider.call("chat-message", {"text": "x" * 4001, "to": 5})) == "too-large"
    assert refused(await outsider.call("chat-message", {"text": " "})) == "invalid-input"
    assert refused(await outsider.call("chat-message", {"text": "hi", "to": "nobody"})) == "not-in-room"


async def test_more_than_ten_messages_in_ten_seconds_are_rate_limited(api: Api, peers: Connect) -> None:
    _, (a, b, c), _ = await in_room(api, peers, 3)
    sent = []
    for i in range(10):  # private ones count too
        payload = {"text": f"m{i}", "to": b.sid} if i % 3 == 0 else {"text": f"m{i}"}
        sent.append((await a.call("chat-message", payload))["message"])
    assert refused(await a.call("chat-message", {"text": "one too many"})) == "rate-limited"
    assert refused(await a.call("chat-message", {"text": "and another", "to": b.sid})) == "rate-limited"
    assert [await b.log.next("chat-message") for _ in range(10)] == sent
    await nothing_more("chat-message", b)
    assert c.log.untaken("chat-message") == [m for m in sent if m["to"] is None]
    c.log.take_all()
    # Per socket: the others may still talk.
    assert (await b.call("chat-message", {"text": "my turn"}))["ok"] is True
    assert (await c.log.next("chat-message"))["from"] == b.sid


async def test_a_later_joiner_gets_the_room_wide_history_oldest_first(api: Api, peers: Connect) -> None:
    room_id, (a, b), _ = await in_room(api, peers, 2)
    history = [(await a.call("chat-message", {"text": "first"}))["message"]]
    await b.call("chat-message", {"text": "secret", "to": a.sid})
    history.append((await b.call("chat-message", {"text": "second"}))["message"])
    await a.call("chat-message", {"text": "also secret", "to": b.sid})
    history.append((await a.call("chat-message", {"text": "third"}))["message"])
    late = await newcomer(api, peers)
    assert (await late.join(room_id))["chat"] == history
    # And in `admitted`, for a private room.
    lobbied = await lobby_room(api, peers, inside=1, waiting=1)
    said = (await lobbied.inside[0].call("chat-message", {"text": "welcome"}))["message"]
    await lobbied.inside[0].call("chat-message", {"text": "psst", "to": lobbied.host.sid})
    assert await lobbied.host.call("admit", {"target": lobbied.waiting[0].sid}) == {"ok": True}
    assert (await lobbied.waiting[0].log.next("admitted"))["chat"] == [said]


async def test_the_history_keeps_the_last_two_hundred(api: Api, peers: Connect) -> None:
    room_id, (a,), _ = await in_room(api, peers, 1)
    writer = await api.register()
    texts = [f"m{i}" for i in range(205)]
    for i in range(5):
        assert (await a.call("chat-message", {"text": texts[i]}))["ok"] is True
    # Ten per socket is the rate limit: each further ten come from a fresh socket of one writer.
    for start in range(5, 205, 10):
        socket = await peers(writer["token"])
        assert (await socket.join(room_id))["ok"] is True
        for text in texts[start : start + 10]:
            assert (await socket.call("chat-message", {"text": text}))["ok"] is True
        await socket.close()
    late = await newcomer(api, peers)
    chat = (await late.join(room_id))["chat"]
    assert [m["text"] for m in chat] == texts[5:]


async def test_waiting_people_get_the_history_only_when_admitted(api: Api, peers: Connect) -> None:
    lobbied = await lobby_room(api, peers)
    said = (await lobbied.host.call("chat-message", {"text": "soon"}))["message"]
    guest = await newcomer(api, peers)
    ack = await knock(guest, lobbied.room_id)
    assert "chat" not in ack
    assert await lobbied.host.call("admit", {"target": guest.sid}) == {"ok": True}
    assert (await guest.log.next("admitted"))["chat"] == [said]
