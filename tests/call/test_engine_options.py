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
