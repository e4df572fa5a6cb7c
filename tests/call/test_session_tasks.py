"""The session's background work goes through the one task owner: failures logged with their stack and told to
the observer; nothing spawned after the loop is gone is left un-awaited."""

from __future__ import annotations

import gc
import logging
import warnings

import pytest

from nimeet_desktop.call.errors import CallErrorKind
from nimeet_desktop.call.session import CallSession
from nimeet_desktop.media.devices import DeviceProblem
from signaling_server.protocol import MediaState
from tests.call.conftest import recorder, wait_until
from tests.support.clients import Peer
from tests.support.server import ServerProcess


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
    room_id, (token, other_token) = await room_of(users=2)
    session = sessions(token, video=False, audio=False)
    await session.join(room_id)
    other = Peer(call_server.url, other_token)
    try:
        await other.connect()
        await other.join(room_id, camera=False, microphone=False)
        await wait_until(lambda: other.sid in session.participants, what="user-joined")
        assert session.self_participant is not None
        not_sdp = "v=0\r\nthis is not a session description\r\n"
        await other.call(
            "offer", {"target": session.self_participant.socket_id, "description": {"type": "offer", "sdp": not_sdp}}
        )
        await wait_until(lambda: bool(recorder(session).errors), what="the failure told to the observer")
    finally:
        await other.close()
    failed = [r for r in caplog.records if r.name == "nimeet_desktop.call.session" and r.levelno == logging.ERROR]
    assert failed, "the failure was not logged as an error"
    assert failed[0].exc_info is not None, "logged without its traceback"
    assert f"offer:{other.sid}" in failed[0].getMessage()
    assert session.media_state == MediaState(camera=False, microphone=False, screen=False)
