"""Calls through the real server: real aiortc peers in this process, synthetic media as real tracks."""

from __future__ import annotations

import asyncio

import av
import numpy as np
import pytest

from nimeet_desktop.call.remote import RemoteParticipant
from nimeet_desktop.call.session import CallSession
from nimeet_desktop.media.audio_output import SILENCE_DBFS
from nimeet_desktop.media.synthetic import SyntheticVideo
from nimeet_desktop.net.signaling import SignalingError, Unauthorized
from tests.call.conftest import HEIGHT, WIDTH, frames_from, recorder, wait_until


def sid(session: CallSession) -> str:
    assert session.self_participant is not None
    return session.self_participant.socket_id


def remote_of(session: CallSession, other: CallSession) -> RemoteParticipant:
    return session.participants[sid(other)]


async def in_call(room_of, sessions) -> tuple[CallSession, CallSession]:
    """Two sessions with synthetic media in a new room, b already receiving a's video."""
    room, (t1, t2) = await room_of(2)
    a, b = sessions(t1), sessions(t2)
    await a.join(room)
    await b.join(room)
    await wait_until(lambda: frames_from(b, a) > 10, what="video from a")
    return a, b


async def test_two_sessions_exchange_video_and_audio(room_of, sessions) -> None:
    room, (t1, t2) = await room_of(2)
    a, b = sessions(t1), sessions(t2)
    await a.join(room)
    ack = await b.join(room)
    assert [p.socket_id for p in ack.participants] == [sid(a)]
    await wait_until(lambda: frames_from(a, b) > 30 and frames_from(b, a) > 30, what="30 frames each way")
    for me, other in ((a, b), (b, a)):
        remote = remote_of(me, other)
        assert (remote.stats.width, remote.stats.height) == (WIDTH, HEIGHT)
        assert remote.stats.audio_frames > 0
        assert remote.stats.latencies_ms, "the synthetic stamp was not decoded"
        assert remote.connection_state == "connected"
    assert a.errors == [] and b.errors == []


async def test_toggles_reach_the_others_and_stop_the_video(room_of, sessions) -> None:
    a, b = await in_call(room_of, sessions)
    seen_by_b = remote_of(b, a)

    await a.set_camera(False)
    await wait_until(lambda: not seen_by_b.media.camera, timeout=3, what="media-toggled camera off")
    assert a.camera is None  # the device is released, not just muted
    await asyncio.sleep(0.3)  # frames already in flight
    frozen = frames_from(b, a)
    await asyncio.sleep(0.7)
    assert frames_from(b, a) == frozen, "video kept flowing with the camera off"

    await a.set_camera(True)
    await wait_until(lambda: seen_by_b.media.camera, timeout=3, what="media-toggled camera on")
    await wait_until(lambda: frames_from(b, a) > frozen + 10, what="video back after camera on")

    await a.set_microphone(False)
    await wait_until(lambda: not seen_by_b.media.microphone, timeout=3, what="media-toggled microphone off")
    assert recorder(b).updates[-1] == (
        sid(a),
        {"camera": True, "microphone": False, "screen": False},
    )


async def test_screen_share_switches_video_without_renegotiation(room_of, sessions) -> None:
    a, b = await in_call(room_of, sessions)
    negotiations = (
        a.peers[sid(b)].negotiations,
        b.peers[sid(a)].negotiations,
    )
    seen_by_b = remote_of(b, a)

    await a.start_screen_share(SyntheticVideo(480, 270, 15, label="screen"))
    await wait_until(lambda: seen_by_b.media.screen, timeout=3, what="media-toggled screen on")
    await wait_until(lambda: seen_by_b.stats.width == 480, what="screen-sized frames")
    before = seen_by_b.stats.video_frames
    await wait_until(lambda: seen_by_b.stats.video_frames > before + 10, what="screen frames flowing")

    await a.stop_screen_share()
    await wait_until(lambda: seen_by_b.stats.width == WIDTH, what="camera frames again")
    after = (a.peers[sid(b)].negotiations, b.peers[sid(a)].negotiations)
    assert after == negotiations, "switching the video track renegotiated"


async def test_a_session_with_no_devices_still_receives(room_of, sessions) -> None:
    room, (t1, t2) = await room_of(2)
    a, watcher = sessions(t1), sessions(t2, video=False, audio=False)
    await a.join(room)
    await watcher.join(room, camera=False, microphone=False)
    assert watcher.media_state.model_dump() == {"camera": False, "microphone": False, "screen": False}
    await wait_until(lambda: frames_from(watcher, a) > 20, what="video at the receive-only session")
    assert remote_of(watcher, a).stats.audio_frames > 0
    await wait_until(lambda: remote_of(a, watcher).connection_state == "connected", what="a connected to watcher")
    assert frames_from(a, watcher) == 0
    assert not remote_of(a, watcher).media.camera


async def test_joining_muted_sends_silence_until_unmuted(room_of, sessions) -> None:
    """Regression: a session that joined with the microphone off had no audio stream, so unmuting sent nothing."""
    room, (t1, t2) = await room_of(2)
    a, b = sessions(t1), sessions(t2, video=False)
    await a.join(room, microphone=False)
    await b.join(room)
    assert a.media_state.microphone is False and a.audio is not None
    await wait_until(lambda: remote_of(b, a).stats.audio_frames > 10, what="a's (silent) audio stream at b")
    assert a.audio.level_dbfs == SILENCE_DBFS
    await a.set_microphone(True)
    await wait_until(lambda: a.audio is not None and a.audio.level_dbfs > -30, what="the tone sent after unmuting")
    await wait_until(lambda: remote_of(b, a).media.microphone, what="b told a unmuted")


async def test_join_errors_are_clear(room_of, sessions, call_server) -> None:
    room, (t1, t2, t3) = await room_of(3, max_participants=2)
    await sessions(t1, video=False, audio=False).join(room)
    await sessions(t2, video=False, audio=False).join(room)
    with pytest.raises(SignalingError) as full:
        await sessions(t3, video=False, audio=False).join(room)
    assert full.value.code == "room-full"
    with pytest.raises(SignalingError) as missing:
        await sessions(t3, video=False, audio=False).join("no-such-room")
    assert missing.value.code == "room-not-found"
    with pytest.raises(Unauthorized):
        await sessions("not-a-token", video=False, audio=False).join(room)


async def test_a_dead_connection_is_rebuilt(room_of, sessions) -> None:
    a, b = await in_call(room_of, sessions)
    peer_at_a = a.peers[sid(b)]
    # b's network path dies without a word (as when a NAT binding or a route goes away): its ICE sockets close
    # under DTLS, so no close_notify reaches a, which sees only silence.
    for transceiver in b.peers[sid(a)].pc.getTransceivers():
        await transceiver.receiver.transport.transport.stop()
    await wait_until(lambda: peer_at_a.rebuilds == 1, timeout=10, what="a to notice and rebuild")
    before = frames_from(b, a)
    await wait_until(lambda: frames_from(b, a) > before + 20, timeout=10, what="video over the rebuilt connection")


async def test_a_connection_closed_under_us_is_rebuilt(room_of, sessions) -> None:
    """aiortc closes a connection by itself when its STUN consent expires (a loop that fell seconds behind, a
    path that went quiet for 30 s): the peer is still in the room, so the call must come back, not stay frozen
    (seen in benchmarks/app_mesh.py: every sender's tile at 0 fps for the rest of the call)."""
    a, b = await in_call(room_of, sessions)
    peer_at_a = a.peers[sid(b)]
    await peer_at_a.pc.close()  # what RTCPeerConnection does on "Consent to send expired"
    assert peer_at_a.pc.connectionState == "closed"
    await wait_until(lambda: peer_at_a.rebuilds == 1, timeout=10, what="a to notice and rebuild")
    before = frames_from(b, a)
    await wait_until(lambda: frames_from(b, a) > before + 20, timeout=15, what="video over the rebuilt connection")


async def test_a_newcomer_announced_before_our_own_join_ack_is_not_lost(room_of, sessions) -> None:
    """Two people joining at once: the server puts A in the room, B joins and is announced to A (``user-joined``,
    then B's offer), and only then does A's own join ack arrive, or get its turn on A's loop. A must keep B's
    announcement and offer, not drop them as coming from a stranger (seen in CI: two of three bots never met)."""
    room, (t1, t2, t3) = await room_of(3)
    first, a, b = sessions(t1), sessions(t2), sessions(t3)
    await first.join(room)
    b_joined = asyncio.Event()
    join = a.signaling.join

    async def ack_after_b_joined(*args, **kwargs):
        ack = await join(*args, **kwargs)
        await b_joined.wait()
        await asyncio.sleep(0.5)  # B's user-joined and offer are in A's inbox by now
        return ack

    a.signaling.join = ack_after_b_joined
    joining = asyncio.create_task(a.join(room))
    await wait_until(lambda: len(first.participants) == 1, what="A in the room")
    await b.join(room)
    b_joined.set()
    await joining
    await wait_until(lambda: frames_from(a, b) > 15 and frames_from(b, a) > 15, what="A and B see each other")
    await wait_until(lambda: frames_from(a, first) > 15 and frames_from(first, a) > 15, what="A and the first")
    assert a.errors == [] and b.errors == []


class SlideVideo(SyntheticVideo):
    """A flat dark-blue slide: whatever is not blue in what arrives was put there by the presenter's corner."""

    async def _next(self) -> av.VideoFrame:
        frame = await super()._next()
        flat = np.empty((self.height, self.width, 3), dtype=np.uint8)
        flat[:] = (20, 40, 160)
        out = av.VideoFrame.from_ndarray(flat, format="rgb24").reformat(format="yuv420p")
        out.pts, out.time_base = frame.pts, frame.time_base
        return out


def corner_and_middle(frame: av.VideoFrame) -> tuple[float, float]:
    """How far from the slide's blue the bottom-right corner and the middle are (mean absolute RGB difference)."""
    picture = frame.to_ndarray(format="rgb24").astype(int)
    h, w = picture.shape[:2]
    blue = np.array([20, 40, 160])
    corner = picture[int(h * 0.8) : int(h * 0.95), int(w * 0.83) : int(w * 0.95)]
    middle = picture[h // 3 : h // 2, w // 3 : w // 2]
    return float(np.abs(corner - blue).mean()), float(np.abs(middle - blue).mean())


async def test_the_presenters_camera_shows_in_a_corner_of_the_shared_screen(room_of, sessions) -> None:
    a, b = await in_call(room_of, sessions)
    seen_by_b = remote_of(b, a)
    await a.start_screen_share(SlideVideo(640, 360, 15, label="slides"))
    await wait_until(lambda: seen_by_b.stats.width == 640 and seen_by_b.media.screen, what="the slides")
    await wait_until(lambda: seen_by_b.playout.current() is not None, what="a slide decoded")
    await asyncio.sleep(0.5)  # past the first keyframe's blur
    frame = seen_by_b.playout.current()
    assert frame is not None
    corner, middle = corner_and_middle(frame)
    assert middle < 12 and corner > 30, (corner, middle)

    await a.set_camera(False)  # the corner goes with the camera
    await asyncio.sleep(1.0)
    frame = seen_by_b.playout.current()
    assert frame is not None
    corner, middle = corner_and_middle(frame)
    assert corner < 12 and middle < 12, (corner, middle)
    await a.stop_screen_share()
