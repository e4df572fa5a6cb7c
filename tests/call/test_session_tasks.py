"""The session's background work goes through the one task owner: failures logged with their stack and told to
the observer; nothing spawned after the loop is gone is left un-awaited."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import warnings
from collections.abc import AsyncIterator

import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription

from nimeet_desktop.call.errors import CallErrorKind
from nimeet_desktop.call.session import CallSession
from nimeet_desktop.media.devices import DeviceProblem
from nimeet_desktop.media.synthetic import SyntheticAudio
from signaling_server.protocol import MediaState
from tests.call.conftest import recorder, wait_until
from tests.support.clients import Peer
from tests.support.server import ServerProcess


@contextlib.asynccontextmanager
async def with_raw_participant(
    call_server: ServerProcess, room_of, sessions, **media: bool
) -> AsyncIterator[tuple[CallSession, Peer]]:
    """Our session in a new room, and a raw socket.io client (the "other" side a test drives by hand) beside it."""
    room_id, (token, other_token) = await room_of(users=2)
    session = sessions(token, **media)
    await session.join(room_id)
    other = Peer(call_server.url, other_token)
    try:
        await other.connect()
        await other.join(room_id, camera=False, microphone=False)
        await wait_until(lambda: other.sid in session.participants, what="user-joined")
        assert session.self_participant is not None
        yield session, other
    finally:
        await other.close()


async def offer_to(session: CallSession, other: Peer, sdp: str) -> None:
    assert session.self_participant is not None
    offer = {"type": "offer", "sdp": sdp}
    await other.call("offer", {"target": session.self_participant.socket_id, "description": offer})


def test_a_device_lost_outside_the_loop_leaves_no_coroutine_unawaited() -> None:
    """Regression (issue 9, item 17): ``_on_source_ended`` built the announce coroutine, then looked for the loop:
    "RuntimeWarning: coroutine 'CallSession._announce' was never awaited"."""
    session = CallSession("http://127.0.0.1:9", "token", [])
    session.room_id = "room"  # as in a call
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        session._on_source_ended("camera", "unplugged")
        gc.collect()
    [error] = session.errors
    assert (error.kind, error.media, error.problem) == (CallErrorKind.DEVICE_STOPPED, "camera", DeviceProblem.LOST)
    assert str(error) == "camera stopped: unplugged"


async def test_a_failing_engine_task_is_logged_with_its_stack(
    call_server: ServerProcess, room_of, sessions, caplog: pytest.LogCaptureFixture
) -> None:
    """Regression (item 2): a failed offer/answer task was one warning line, without the traceback."""
    async with with_raw_participant(call_server, room_of, sessions, video=False, audio=False) as (session, other):
        # Parses, but aiortc refuses it: a media section without ICE credentials or a DTLS fingerprint.
        not_sdp = (
            "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\n"
        )
        await offer_to(session, other, not_sdp)
        await wait_until(lambda: bool(recorder(session).errors), what="the failure told to the observer")
    failed = [r for r in caplog.records if r.name == "nimeet_desktop.call.session" and r.levelno == logging.ERROR]
    assert failed, "the failure was not logged as an error"
    assert failed[0].exc_info is not None, "logged without its traceback"
    assert f"offer:{other.sid}" in failed[0].getMessage()
    assert session.media_state == MediaState(camera=False, microphone=False, screen=False)


async def test_answering_someone_who_just_left_is_no_error(call_server: ServerProcess, room_of, sessions) -> None:
    """Someone offers and leaves at once: our answer finds no target. That race is normal in a meeting, not a
    failure to show people (it used to toast "answer:… failed: unknown-target")."""
    pc = RTCPeerConnection()
    try:
        async with with_raw_participant(call_server, room_of, sessions, video=False, audio=False) as (session, other):
            pc.addTransceiver("audio")
            await pc.setLocalDescription(await pc.createOffer())
            await offer_to(session, other, pc.localDescription.sdp)
            await other.close()
            await wait_until(lambda: other.sid not in session.participants, what="user-left")
            await asyncio.sleep(1.0)  # the answer, if any, has met the server by now
    finally:
        await pc.close()
    assert recorder(session).errors == []


async def test_a_client_offering_audio_only_is_answered_and_heard(
    call_server: ServerProcess, room_of, sessions
) -> None:
    """Regression: an offer with no video section (a client with only a microphone) failed to be answered: aiortc
    cannot answer with a transceiver the offer does not have, and we added one."""
    pc = RTCPeerConnection()
    try:
        async with with_raw_participant(call_server, room_of, sessions) as (session, other):
            pc.addTrack(SyntheticAudio())
            await pc.setLocalDescription(await pc.createOffer())
            await offer_to(session, other, pc.localDescription.sdp)
            answer = await other.log.next("receive-answer")
            await pc.setRemoteDescription(RTCSessionDescription(**answer["description"]))
            remote = session.participants[other.sid]
            await wait_until(lambda: remote.stats.audio_frames > 10, what="their audio heard")
    finally:
        await pc.close()
    assert recorder(session).errors == []
