"""The camera's level follows the mesh, without renegotiation: real aiortc peers through the real server."""

from __future__ import annotations

from nimeet_desktop.call.session import CallSession
from nimeet_desktop.media.synthetic import SyntheticVideo
from tests.call.conftest import frames_from, wait_until


def _height_from(receiver: CallSession, sender: CallSession) -> int | None:
    assert sender.self_participant is not None
    remote = receiver.participants.get(sender.self_participant.socket_id)
    return None if remote is None else remote.stats.height


async def test_a_fourth_participant_steps_the_sent_video_down_to_540p_and_the_receivers_keep_decoding(
    room_of, sessions
) -> None:
    room, tokens = await room_of(4)
    sender = sessions(tokens[0], audio=False)
    # The test's own camera at 720p (the preset's default), the others receive only: the encoder's change is all
    # that is measured, and four sessions in one process stay light.
    sender._camera_factory = lambda: SyntheticVideo(1280, 720, 30)
    viewers = [sessions(token, video=False, audio=False) for token in tokens[1:]]
    await sender.join(room)
    for viewer in viewers[:2]:
        await viewer.join(room)
    first = viewers[0]
    await wait_until(lambda: frames_from(first, sender) > 30, what="720p video with three in the call")
    assert _height_from(first, sender) == 720
    assert sender.quality.level.name == "720p30"
    negotiations = {id(peer): peer.negotiations for peer in sender.peers.values()}

    await viewers[2].join(room)
    await wait_until(lambda: _height_from(first, sender) == 540, timeout=10, what="540p video with four")
    assert sender.camera is not None and sender.camera.encoded_size == (960, 540)
    assert sender.quality.reason == "mesh"
    # Every receiver keeps decoding across the encoder's reopening: the new size's keyframe restarts their decoders.
    counts = {id(v): frames_from(v, sender) for v in viewers}
    await wait_until(
        lambda: (
            all(frames_from(v, sender) >= counts[id(v)] + 30 for v in viewers)
            and _height_from(viewers[2], sender) == 540
        ),
        what="30 more frames at 540p for every receiver",
    )
    assert all(_height_from(v, sender) == 540 for v in viewers)
    # No renegotiation: the connections that were there made no new offer or answer.
    for peer in sender.peers.values():
        if id(peer) in negotiations:
            assert peer.negotiations == negotiations[id(peer)]
    assert sender.errors == [] and all(v.errors == [] for v in viewers)
