"""The call engine in an SFU room (issue 17): ``CallSession`` as the app and ``nimeet-bot`` use it, against the real
server with a real Janus (in a network namespace, tests/support/janus.py), synthetic camera and tone.

The session learns the room's mode itself (``GET /api/rooms/{id}``), publishes once and receives everyone through
one connection; participants, tracks and frames reach the observer per person as in a mesh.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aioice.ice
import pytest

from nimeet_desktop.call import ice
from nimeet_desktop.call.errors import CallErrorKind
from nimeet_desktop.call.quality import Quality, QualityMeter
from nimeet_desktop.call.session import CallSession
from tests.call.conftest import Recorder, synthetic_session, wait_until
from tests.support.janus import janus_process
from tests.support.server import ServerProcess
from tests.support.sfu_fixtures import janus_media, sfu_room, sfu_server

__all__ = ["janus_media", "sfu_server"]  # fixtures (tests/support/sfu_fixtures.py), used here

# Small and slow: four sessions (4 encoders, 12 decoders) share this process with the server's clients.
WIDTH, HEIGHT, FPS = 160, 96, 10


@pytest.fixture
async def sfu_sessions(sfu_server: ServerProcess) -> AsyncIterator[Callable[[str], CallSession]]:
    made: list[CallSession] = []

    def make(token: str) -> CallSession:
        session = synthetic_session(sfu_server.url, token, size=(WIDTH, HEIGHT), fps=FPS)
        made.append(session)
        return session

    yield make
    for session in made:
        await session.leave()


def sid(session: CallSession) -> str:
    assert session.self_participant is not None
    return session.self_participant.socket_id


def receives_everyone(people: list[CallSession], frames: int) -> Callable[[], bool]:
    def check() -> bool:
        for me in people:
            for other in people:
                if other is me:
                    continue
                remote = me.participants.get(sid(other))
                if remote is None or remote.stats.video_frames < frames or remote.stats.audio_frames < frames:
                    return False
        return True

    return check


async def test_sessions_in_an_sfu_room_send_once_and_receive_everyone_as_people_come_and_go(
    sfu_server: ServerProcess, sfu_sessions: Callable[[str], CallSession]
) -> None:
    room_id, tokens = await sfu_room(sfu_server, 4, places=20)
    people = [sfu_sessions(token) for token in tokens[:3]]
    for person in people:
        await person.join(room_id)  # the mode is not given: the session asks for it
    assert all(p.mode == "sfu" and p.sfu is not None and not p.peers for p in people)
    await wait_until(receives_everyone(people, 5), 20, "three sessions decode video and audio from the two others")
    # One connection out and one in, whatever the number of people.
    assert all(len(p.sfu.sending.getTransceivers()) == 2 for p in people if p.sfu is not None)
    assert all(remote.connection_state == "connected" for p in people for remote in p.participants.values()), (
        "every remote is as connected as the link that carries it"
    )
    # Each person's packets, counted from the one connection that carries everyone.
    await wait_until(
        lambda: all(r.stats.packets_received > 0 for p in people for r in p.participants.values()),
        5,
        "packets counted per person",
    )
    recorders = [p.observer for p in people if isinstance(p.observer, Recorder)]
    await wait_until(
        lambda: all(r.stats_told == set(p.participants) for r, p in zip(recorders, people, strict=True)),
        5,
        "the app told each one's counters",
    )
    meter = QualityMeter()
    for p in people:
        assert {meter.update(r, time.monotonic()) for r in p.participants.values()} == {Quality.GOOD}

    # One leaves: the others drop them (user-left), and the SFU's next offer says their streams went inactive.
    leaving = people.pop(1)
    gone = sid(leaving)
    await leaving.leave()
    await wait_until(lambda: all(gone not in p.participants for p in people), 10, "the others see them leave")
    await wait_until(
        lambda: all(p.sfu is not None and gone not in p.sfu.owners() for p in people), 10, "their streams end"
    )

    # A fourth arrives later: the SFU may give them the leaver's m-lines; frames go to the right person anyway.
    newcomer = sfu_sessions(tokens[3])
    await newcomer.join(room_id, mode="sfu")
    people.append(newcomer)
    before = {
        (id(p), sid(o)): p.participants[sid(o)].stats.video_frames for p in people[:2] for o in people[:2] if o is not p
    }
    await wait_until(receives_everyone(people, 5), 20, "three sessions decode everyone after a newcomer")
    # The newcomer's packets arrive on m-lines the leaver had: counted for the newcomer, from zero.
    await wait_until(
        lambda: all(p.participants[sid(newcomer)].stats.packets_received > 0 for p in people[:2]),
        5,
        "the newcomer's packets counted",
    )
    for p in people[:2]:
        for o in people[:2]:
            if o is not p:
                assert p.participants[sid(o)].stats.video_frames > before[id(p), sid(o)], "an old stream stopped"
    assert not any(r.errors for p in people for r in [p.observer] if isinstance(r, Recorder))
    assert [p.signaling.reconnects for p in people] == [0, 0, 0], "a live link was taken for dead"


async def test_show_only_pauses_the_video_of_those_not_shown_and_keeps_their_audio(
    sfu_server: ServerProcess, sfu_sessions: Callable[[str], CallSession]
) -> None:
    room_id, tokens = await sfu_room(sfu_server, 3, places=12)
    viewer, shown, hidden = people = [sfu_sessions(token) for token in tokens]
    for person in people:
        await person.join(room_id)
    await wait_until(receives_everyone(people, 5), 20, "everyone decodes everyone")

    # A grid filling up wishes for a new view with every newcomer: only the latest wish is sent, one at a time.
    assert viewer.sfu is not None
    for _ in range(10):
        await viewer.show_only([sid(hidden)])
        await viewer.show_only([sid(shown), sid(hidden)])
    await viewer.show_only([sid(shown)])
    await wait_until(lambda: not viewer.view_pending, 10, "the views sent")
    assert viewer.sfu.views_sent <= 2, viewer.sfu.views_sent
    await asyncio.sleep(1.0)  # what was in flight when the SFU paused it
    seen = {who: viewer.participants[sid(who)].stats for who in (shown, hidden)}
    video = {who: stats.video_frames for who, stats in seen.items()}
    audio = {who: stats.audio_frames for who, stats in seen.items()}
    await asyncio.sleep(2.0)
    assert seen[shown].video_frames - video[shown] >= 10, "the one shown still comes"
    assert seen[hidden].video_frames - video[hidden] <= 2, "the one not shown is paused"
    assert seen[hidden].audio_frames - audio[hidden] >= 50, "their audio flows"

    await viewer.show_only(None)
    resumed = seen[hidden].video_frames
    await wait_until(lambda: seen[hidden].video_frames >= resumed + 5, 10, "everyone's video again")


async def test_a_janus_restart_mid_call_brings_the_media_back(
    make_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    with janus_process(tmp_path, media=True) as janus:
        instance = janus.instance
        assert instance.media_address is not None
        previous = aioice.ice.get_host_addresses
        ice.restrict_host_addresses([instance.media_address])
        server = make_server({"NIMEET_JANUS_URL": instance.url, "NIMEET_JANUS_ADMIN_KEY": instance.admin_key})
        server.start()
        made: list[CallSession] = []
        try:
            room_id, tokens = await sfu_room(server, 2, places=10)
            for token in tokens:
                session = synthetic_session(server.url, token, size=(WIDTH, HEIGHT), fps=FPS)
                made.append(session)
                await session.join(room_id)
            await wait_until(receives_everyone(made, 5), 20, "both decode each other")

            janus.kill()  # a crash: its rooms, sessions and connections are gone
            # Each session finds its link silent within seconds and joins again while Janus is still down: the
            # server refuses sfu-publish (the SFU unreachable), the session says so once and tries again.
            rejoined = await wait_until(
                lambda: all(p.signaling.reconnects >= 1 for p in made), 15, "both sessions to join again"
            )
            print(f"Janus killed: both sessions found their link dead and joined again within {rejoined:.2f} s")
            await wait_until(
                lambda: (
                    all(e.kind is CallErrorKind.SFU_UNREACHABLE for p in made for e in p.errors)
                    and all(p.errors for p in made)
                ),
                10,
                "both told that publishing failed",
            )
            janus.start()
            took = await wait_until(receives_everyone(made, 5), 30, "both decode each other again")
            print(f"after Janus came back, both decoded each other again within {took:.2f} s")
            assert [len(p.errors) for p in made] == [1, 1], "said once each, while it was retried"
            server_errors = server.errors_logged()
        finally:
            for session in made:
                await session.leave()
            aioice.ice.get_host_addresses = previous
    # Janus down is said once per outage (an error), never more: one line, and the call went on.
    assert len([line for line in server_errors if "Janus" in line]) <= 1, server_errors
