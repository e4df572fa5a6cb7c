"""Version 1.1, "Hands, reactions, recording notice"."""

from __future__ import annotations

from typing import Any

import pytest

from tests.signaling_server.meetings import Connect, in_room, newcomer, nothing_more, promote, refused, when
from tests.support.clients import Api

# The contract's eight, spelled out here (not taken from protocol.py) so that a change there fails this test.
EMOJI = [
    "\U0001f44d",  # 👍
    "\U0001f44f",  # 👏
    "\U0001f602",  # 😂
    "\U0001f62e",  # 😮
    "\u2764\ufe0f",  # ❤️ (with its emoji presentation selector, as the contract writes it)
    "\U0001f389",  # 🎉
    "\U0001f914",  # 🤔
    "\U0001f44b",  # 👋
]


async def test_raise_and_lower_a_hand(api: Api, peers: Connect) -> None:
    room_id, (a, b, c), _ = await in_room(api, peers, 3)
    assert await b.call("raise-hand", {"raised": True}) == {"ok": True}
    raised = await a.log.next("hand-raised")
    assert raised["socketId"] == b.sid and raised["raised"] is True
    at = when(raised["at"])
    assert await c.log.next("hand-raised") == raised
    await nothing_more("hand-raised", b)  # everyone else
    late = await newcomer(api, peers)
    hands = {p["socketId"]: p["handRaisedAt"] for p in (await late.join(room_id))["participants"]}
    assert hands[a.sid] is None and hands[c.sid] is None
    assert when(hands[b.sid]) == at
    for peer in (a, b, c):
        await peer.log.next("user-joined")

    assert await b.call("raise-hand", {"raised": False}) == {"ok": True}
    for peer in (a, c, late):
        assert await peer.log.next("hand-raised") == {"socketId": b.sid, "raised": False, "at": None}
    later = await newcomer(api, peers)
    hands = {p["socketId"]: p["handRaisedAt"] for p in (await later.join(room_id))["participants"]}
    assert set(hands.values()) == {None}


@pytest.mark.parametrize("emoji", EMOJI)
async def test_each_of_the_eight_reactions_reaches_everyone_else(api: Api, peers: Connect, emoji: str) -> None:
    _, (a, b, c), _ = await in_room(api, peers, 3)
    assert await b.call("reaction", {"emoji": emoji}) == {"ok": True}
    for peer in (a, c):
        assert await peer.log.next("reaction") == {"socketId": b.sid, "emoji": emoji}
    await nothing_more("reaction", b)


@pytest.mark.parametrize(
    "emoji",
    [
        "\u2764",  # ❤ without the selector: not one of the eight strings
        "\U0001f44d\U0001f3fb",  # 👍🏻
        "\U0001f44d\U0001f44d",
        "\U0001f642",  # 🙂
        "+1",
        "",
        42,
        None,
        ["\U0001f44d"],
    ],
)
async def test_any_other_reaction_is_invalid_input(api: Api, peers: Connect, emoji: Any) -> None:
    _, (a, b), _ = await in_room(api, peers, 2)
    assert refused(await b.call("reaction", {"emoji": emoji})) == "invalid-input"
    await nothing_more("reaction", a)


async def test_more_than_five_reactions_in_five_seconds_are_rate_limited(api: Api, peers: Connect) -> None:
    _, (a, b, c), _ = await in_room(api, peers, 3)
    for emoji in EMOJI[:5]:
        assert await b.call("reaction", {"emoji": emoji}) == {"ok": True}
    assert refused(await b.call("reaction", {"emoji": EMOJI[5]})) == "rate-limited"
    assert [(await a.log.next("reaction"))["emoji"] for _ in range(5)] == EMOJI[:5]
    await nothing_more("reaction", a)
    # Per socket: someone else may still react.
    assert await c.call("reaction", {"emoji": EMOJI[7]}) == {"ok": True}
    assert await a.log.next("reaction") == {"socketId": c.sid, "emoji": EMOJI[7]}


async def test_a_host_announces_recording_to_everyone_else(api: Api, peers: Connect) -> None:
    room_id, (a, b, c), _ = await in_room(api, peers, 3)
    assert await a.call("recording", {"active": True}) == {"ok": True}
    for peer in (b, c):
        assert await peer.log.next("recording-changed") == {"socketId": a.sid, "active": True}
    await nothing_more("recording-changed", a)
    late = await newcomer(api, peers)
    recording = {p["socketId"]: p["recording"] for p in (await late.join(room_id))["participants"]}
    assert recording == {a.sid: True, b.sid: False, c.sid: False}
    for peer in (a, b, c):
        await peer.log.next("user-joined")

    assert await a.call("recording", {"active": False}) == {"ok": True}
    for peer in (b, c, late):
        assert await peer.log.next("recording-changed") == {"socketId": a.sid, "active": False}
    later = await newcomer(api, peers)
    assert {p["recording"] for p in (await later.join(room_id))["participants"]} == {False}


async def test_only_hosts_may_record(api: Api, peers: Connect) -> None:
    _, (a, b, c), _ = await in_room(api, peers, 3)
    assert refused(await b.call("recording", {"active": True})) == "forbidden"
    await nothing_more("recording-changed", a, c)
    await promote(a, b, [a, b, c])
    assert await b.call("recording", {"active": True}) == {"ok": True}
    for peer in (a, c):
        assert await peer.log.next("recording-changed") == {"socketId": b.sid, "active": True}


async def test_a_host_made_a_participant_no_longer_shows_as_recording(api: Api, peers: Connect) -> None:
    """Recording is a host's right; a demoted host could not even say it stopped (``recording`` is hosts only), so
    the server says it for them: everyone, them included, hears ``recording-changed {active: false}``."""
    room_id, (a, b, c), _ = await in_room(api, peers, 3)
    await promote(a, b, [a, b, c])
    assert await b.call("recording", {"active": True}) == {"ok": True}
    for peer in (a, c):
        assert await peer.log.next("recording-changed") == {"socketId": b.sid, "active": True}
    assert await a.call("set-role", {"target": b.sid, "role": "participant"}) == {"ok": True}
    for peer in (a, b, c):
        assert await peer.log.next("role-changed") == {"socketId": b.sid, "role": "participant"}
        assert await peer.log.next("recording-changed") == {"socketId": b.sid, "active": False}
    late = await newcomer(api, peers)
    assert {p["recording"] for p in (await late.join(room_id))["participants"]} == {False}
    for peer in (a, b, c):
        await peer.log.next("user-joined")
    # A host who did not record is demoted without a word about recording.
    await promote(a, c, [a, b, c, late])
    assert await a.call("set-role", {"target": c.sid, "role": "participant"}) == {"ok": True}
    await nothing_more("recording-changed", a, b, c)


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("raise-hand", {}),
        ("raise-hand", {"raised": "true"}),
        ("raise-hand", {"raised": 1}),
        ("raise-hand", None),
        ("reaction", {}),
        ("reaction", "\U0001f44d"),
        ("recording", {"active": "true"}),
        ("recording", {"active": None}),
        ("recording", []),
    ],
)
async def test_malformed_payloads_are_invalid_input_before_membership(
    api: Api, peers: Connect, event: str, payload: Any
) -> None:
    outsider = await newcomer(api, peers)
    assert refused(await outsider.call(event, payload)) == "invalid-input"


@pytest.mark.parametrize(
    ("event", "payload"),
    [("raise-hand", {"raised": True}), ("reaction", {"emoji": EMOJI[0]}), ("recording", {"active": True})],
)
async def test_hands_reactions_and_recording_need_a_room(api: Api, peers: Connect, event: str, payload: Any) -> None:
    outsider = await newcomer(api, peers)
    assert refused(await outsider.call(event, payload)) == "not-in-room"
