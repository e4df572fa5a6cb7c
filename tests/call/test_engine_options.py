"""``EngineOptions`` really switch the engine: what the benchmarks compare is the engine, not a patched copy."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiortc.jitterbuffer import JitterBuffer

from nimeet_desktop.call import aiortc_compat
from nimeet_desktop.call.jitter import MarkerJitterBuffer
from nimeet_desktop.call.options import EngineOptions
from nimeet_desktop.call.session import CallSession
from nimeet_desktop.call.shared_encoder import SharedVideoEncoder
from nimeet_desktop.call.video_feed import RawVideoFeed
from tests.call.conftest import frames_from, wait_until

RoomOf = Callable[..., Awaitable[tuple[str, list[str]]]]


def aiortc_encoders(session: CallSession) -> list[object]:
    """The libvpx context aiortc's own sender opened for each peer (``None`` where it only packetized our packets:
    aiortc's ``Vp8Encoder`` opens its ``codec`` on the first frame it encodes)."""
    encoders = []
    for peer in session.peers.values():
        sender = next(t.sender for t in peer.pc.getTransceivers() if t.kind == "video")
        packer = vars(sender)["_RTCRtpSender__encoder"]
        encoders.append(packer.codec)
    return encoders


async def mesh_of_three(
    room_of: RoomOf, sessions: Callable[..., CallSession], options: EngineOptions
) -> tuple[CallSession, list[CallSession]]:
    room, tokens = await room_of(3)
    sender = sessions(tokens[0], audio=False, options=options)
    receivers = [sessions(t, video=False, audio=False, options=options) for t in tokens[1:]]
    for session in (sender, *receivers):
        await session.join(room)
    for receiver in receivers:
        await wait_until(lambda r=receiver: frames_from(r, sender) >= 15, 20, "video from the sender")  # type: ignore[misc]
    return sender, receivers


async def test_encode_once_feeds_every_peer_from_one_encoder(
    room_of: RoomOf, sessions: Callable[..., CallSession]
) -> None:
    sender, _ = await mesh_of_three(room_of, sessions, EngineOptions())
    assert isinstance(sender.camera, SharedVideoEncoder)
    assert sender.camera.subscriber_count == 2
    assert aiortc_encoders(sender) == [None, None]  # aiortc packetizes our packets and encodes nothing itself


async def test_per_sender_encoding_gives_every_peer_an_encoder_of_its_own(
    room_of: RoomOf, sessions: Callable[..., CallSession]
) -> None:
    sender, _ = await mesh_of_three(room_of, sessions, EngineOptions(encode_once=False))
    assert isinstance(sender.camera, RawVideoFeed)
    assert sender.camera.subscriber_count == 2
    encoders = aiortc_encoders(sender)
    assert all(e is not None for e in encoders), encoders
    assert len({id(e) for e in encoders}) == 2


async def test_stock_jitter_mode_leaves_aiortcs_buffer_and_still_shows_video(
    room_of: RoomOf, sessions: Callable[..., CallSession]
) -> None:
    _, receivers = await mesh_of_three(room_of, sessions, EngineOptions(marker_jitter_buffer=False))
    for receiver in receivers:
        for peer in receiver.peers.values():
            video = next(t.receiver for t in peer.pc.getTransceivers() if t.kind == "video")
            buffer = aiortc_compat.jitter_buffer(video)
            assert type(buffer) is JitterBuffer and not isinstance(buffer, MarkerJitterBuffer)


async def test_peer_only_with_connects_to_that_user_and_ignores_the_rest_of_the_room(
    room_of: RoomOf, sessions: Callable[..., CallSession]
) -> None:
    room, tokens = await room_of(3)
    hub = sessions(tokens[0], audio=False)
    await hub.join(room)
    assert hub.self_participant is not None
    only_hub = EngineOptions(peer_only_with=hub.self_participant.user_id)
    # The first spoke hears of the second by user-joined, the second finds the first in its join ack: both ways of
    # learning about someone must leave them out.
    spokes = [sessions(token, audio=False, options=only_hub) for token in tokens[1:]]
    for spoke in spokes:
        await spoke.join(room)
    for spoke in spokes:
        await wait_until(lambda s=spoke: frames_from(hub, s) >= 15, 20, "video from a spoke")  # type: ignore[misc]
        await wait_until(lambda s=spoke: frames_from(s, hub) >= 15, 20, "video from the hub")  # type: ignore[misc]
    assert len(hub.peers) == 2
    for spoke in spokes:
        assert list(spoke.participants) == [hub.self_participant.socket_id]
        assert list(spoke.peers) == [hub.self_participant.socket_id]
        assert spoke.ignored_relays == 0  # and nobody else called it
