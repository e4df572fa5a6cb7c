"""The VideoRoom plugin's requests (Janus 1.1's multistream API) on a ``JanusHandle``.

Three roles, each on a handle of its own:

- ``RoomAdmin``: the server's: creates a room (with the plugin's ``admin_key``, and a ``secret`` and ``pin`` of the
  room's own that only the server knows), destroys it, kicks a participant, lists them.
- ``Publisher``: one per participant: joins the room (``ptype: publisher``; every participant joins so, even one
  who sends nothing, which gives the plugin's events about the others), then publishes its camera and microphone:
  the client's offer goes in, Janus's answer comes back.
- ``Subscriber``: one per participant, for all it receives: joins with the feeds it wants (``streams: [{feed}]``),
  Janus offers, the client's answer goes back with ``start``; ``update`` adds and removes feeds later (Janus offers
  again, answered with ``start`` again); ``configure`` pauses and resumes streams without renegotiating.

Room and participant ids are strings (``string_ids = true`` in deploy/janus/janus.plugin.videoroom.jcfg): the server
uses its own ids for both.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from signaling_server.sfu.janus_session import BAD_REPLY, JSON, JanusError, JanusHandle, Jsep

PLUGIN = "janus.plugin.videoroom"

# Janus's default publisher limit is 3; large rooms go up to 100 participants, each of whom may publish.
MAX_PUBLISHERS = 100
# Each publisher's video is capped at this (Janus sends it REMB): at 100 publishers a subscriber could otherwise be
# sent more than any client can take. 512 kb/s carries 640x360 at 30 fps in VP8 well.
BITRATE_BPS = 512_000
# How often Janus asks publishers for a keyframe (a subscriber that joins gets one at once anyway).
FIR_FREQ_S = 10


@dataclass(frozen=True)
class RoomKeys:
    """A room's own secrets: ``secret`` to destroy it and kick, ``pin`` to join it. Only the server holds them."""

    secret: str
    pin: str

    @classmethod
    def generate(cls) -> RoomKeys:
        return cls(secrets.token_urlsafe(24), secrets.token_urlsafe(24))


@dataclass(frozen=True)
class Joined:
    """A publisher's ``joined`` reply: its id, the ``private_id`` its subscriptions may name, who already publishes
    (``[{"id", "display", "streams": [{"type", "mid", "codec", ...}]}]``)."""

    id: str
    private_id: int
    publishers: list[JSON]


@dataclass(frozen=True)
class SubscriberOffer:
    """Janus's offer to a subscriber and what each of its m-lines carries
    (``[{"mindex", "mid", "type", "feed_id", "feed_mid", "feed_display", "active", ...}]``)."""

    jsep: Jsep
    streams: list[JSON]


def _expect(data: JSON, videoroom: str) -> None:
    if data.get("videoroom") != videoroom:
        raise JanusError(BAD_REPLY, f"expected {videoroom!r}, got {data.get('videoroom')!r}")


class RoomAdmin:
    """Room management: only the holder of the plugin's ``admin_key`` may create rooms, and only the holder of a
    room's ``secret`` may destroy it or kick."""

    def __init__(self, handle: JanusHandle, admin_key: str) -> None:
        self.handle = handle
        self._admin_key = admin_key

    async def create(
        self,
        room: str,
        keys: RoomKeys,
        *,
        description: str | None = None,
        publishers: int = MAX_PUBLISHERS,
        bitrate_bps: int = BITRATE_BPS,
        notify_joining: bool = False,
        require_private_id: bool = False,
    ) -> None:
        """Create ``room`` (not permanent: it lives as long as this Janus runs or until destroyed).

        ``notify_joining``: the others hear of participants who join without publishing (``joining`` events).
        ``require_private_id``: a subscription must name the ``private_id`` of a publisher in the room."""
        body: JSON = {
            "request": "create",
            "room": room,
            "admin_key": self._admin_key,
            "permanent": False,
            "description": description or room,
            "secret": keys.secret,
            "pin": keys.pin,
            "is_private": True,  # never in the plugin's public ``list``
            "publishers": publishers,
            "bitrate": bitrate_bps,
            "bitrate_cap": True,
            "fir_freq": FIR_FREQ_S,
            "audiocodec": "opus",
            "videocodec": "vp8",
            "notify_joining": notify_joining,
            "require_pvtid": require_private_id,
        }
        _expect((await self.handle.message(body)).data, "created")

    async def destroy(self, room: str, keys: RoomKeys) -> None:
        """Destroy ``room``: everyone in it receives ``{"videoroom": "destroyed"}`` and is out."""
        body = {"request": "destroy", "room": room, "secret": keys.secret, "permanent": False}
        _expect((await self.handle.message(body)).data, "destroyed")

    async def kick(self, room: str, keys: RoomKeys, participant: str) -> None:
        """Remove ``participant``: its publisher handle receives ``{"videoroom": "event", "leaving": "ok",
        "reason": "kicked"}`` and its PeerConnection is closed; the others see it leave."""
        body = {"request": "kick", "room": room, "secret": keys.secret, "id": participant}
        _expect((await self.handle.message(body)).data, "success")

    async def exists(self, room: str) -> bool:
        data = (await self.handle.message({"request": "exists", "room": room})).data
        return bool(data.get("exists"))

    async def participants(self, room: str) -> list[JSON]:
        """``[{"id", "display", "publisher": bool, "talking"?}]`` (anyone may list a room's participants who knows
        its id: Janus asks no pin for this, one reason its API stays with the server)."""
        data = (await self.handle.message({"request": "listparticipants", "room": room})).data
        _expect(data, "participants")
        return list(data.get("participants") or [])


class Publisher:
    """A participant's presence in the room, and the camera and microphone it sends."""

    def __init__(self, handle: JanusHandle) -> None:
        self.handle = handle

    async def join(self, room: str, participant: str, pin: str, display: str | None = None) -> Joined:
        body: JSON = {"request": "join", "ptype": "publisher", "room": room, "id": participant, "pin": pin}
        if display is not None:
            body["display"] = display
        data = (await self.handle.message(body)).data
        _expect(data, "joined")
        return Joined(str(data["id"]), int(data["private_id"]), list(data.get("publishers") or []))

    async def publish(self, offer: Jsep, *, descriptions: Sequence[JSON] = (), display: str | None = None) -> Jsep:
        """Send the client's ``offer``; returns Janus's answer. ``descriptions``: ``[{"mid", "description"}]``
        naming streams for the others (e.g. which m-line is the screen)."""
        body: JSON = {"request": "publish", "audiocodec": "opus", "videocodec": "vp8"}
        if descriptions:
            body["descriptions"] = list(descriptions)
        if display is not None:
            body["display"] = display
        reply = await self.handle.message(body, offer)
        if reply.jsep is None:
            raise JanusError(BAD_REPLY, "publish was answered without a JSEP")
        return reply.jsep

    async def configure(self, *, streams: Sequence[JSON] = (), offer: Jsep | None = None) -> Jsep | None:
        """Change what is published: ``streams`` ``[{"mid", "send": bool}]`` pauses or resumes an m-line (mute
        without renegotiating); an ``offer`` renegotiates (a stream added), answered by the returned JSEP."""
        body: JSON = {"request": "configure"}
        if streams:
            body["streams"] = list(streams)
        return (await self.handle.message(body, offer)).jsep

    async def unpublish(self) -> None:
        """Stop sending (the others receive ``unpublished``); the participant stays in the room."""
        await self.handle.message({"request": "unpublish"})

    async def leave(self) -> None:
        await self.handle.message({"request": "leave"})


class Subscriber:
    """Everything one participant receives, on one PeerConnection: one m-line per subscribed stream."""

    def __init__(self, handle: JanusHandle) -> None:
        self.handle = handle

    async def join(
        self, room: str, feeds: Sequence[str], pin: str, *, private_id: int | None = None
    ) -> SubscriberOffer:
        """Subscribe to every stream of ``feeds`` (publisher ids); returns Janus's offer, to be answered with
        ``start``."""
        body: JSON = {
            "request": "join",
            "ptype": "subscriber",
            "room": room,
            "pin": pin,
            "streams": [{"feed": feed} for feed in feeds],
        }
        if private_id is not None:
            body["private_id"] = private_id
        reply = await self.handle.message(body)
        _expect(reply.data, "attached")
        return _offer(reply.data, reply.jsep)

    async def start(self, answer: Jsep) -> None:
        """The client's answer to Janus's offer (after ``join`` or an ``update``): media starts flowing."""
        reply = await self.handle.message({"request": "start"}, answer)
        if reply.data.get("started") != "ok":
            raise JanusError(BAD_REPLY, f"start was answered with {reply.data.get('videoroom')!r}")

    async def configure(self, streams: Sequence[JSON]) -> None:
        """Pause or resume streams without renegotiating: ``[{"mid": "3", "send": False}]`` (the grid's page
        no longer shows that person); Janus stops relaying that m-line, and on ``send: True`` asks the publisher
        for a keyframe so the picture comes back at once."""
        reply = await self.handle.message({"request": "configure", "streams": list(streams)})
        if reply.data.get("configured") != "ok":
            raise JanusError(BAD_REPLY, f"configure was answered with {reply.data.get('videoroom')!r}")

    async def update(
        self, subscribe: Sequence[str] = (), unsubscribe_mids: Sequence[str] = ()
    ) -> SubscriberOffer | None:
        """Add the streams of the ``subscribe`` feeds and drop the subscription's own m-lines ``unsubscribe_mids``;
        returns Janus's new offer (answered with ``start``), or ``None`` when nothing changed.

        By mid, not by feed: to unsubscribe a feed, Janus looks its publisher up in the room, and one just kicked is
        not there any more, so nothing would change. By mid, the stream goes whatever became of its publisher."""
        body: JSON = {"request": "update"}
        if subscribe:
            body["subscribe"] = [{"feed": feed} for feed in subscribe]
        if unsubscribe_mids:
            body["unsubscribe"] = [{"sub_mid": mid} for mid in unsubscribe_mids]
        reply = await self.handle.message(body)
        if reply.jsep is None:
            return None
        return _offer(reply.data, reply.jsep)

    async def leave(self) -> None:
        await self.handle.message({"request": "leave"})


def _offer(data: JSON, jsep: Jsep | None) -> SubscriberOffer:
    if jsep is None or jsep.type != "offer":
        raise JanusError(BAD_REPLY, f"{data.get('videoroom')!r} came without an offer")
    streams: Any = data.get("streams") or []
    return SubscriberOffer(jsep, list(streams))
