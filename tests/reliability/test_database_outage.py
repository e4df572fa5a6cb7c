"""PostgreSQL briefly unavailable mid-call (issue 17, "Restarts"): the call goes on, what was acknowledged is kept.

The real server on a PostgreSQL of the test's own, two engine sessions (real aiortc peers, synthetic media) in a
call. PostgreSQL is stopped for a few seconds: media keeps flowing both ways, the room's own events (a chat message,
a camera turned off) are acknowledged and reach the other side, and a newcomer refused meanwhile (the server says
``unavailable``) joins once the database is back and finds the acknowledged message and both people.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest

from nimeet_desktop.call.session import CallSession
from nimeet_desktop.net.signaling import SignalingError
from signaling_server.protocol import ErrorCode, JoinAck
from tests.call.conftest import frames_from, synthetic_session, wait_until
from tests.support.clients import Api
from tests.support.postgres import PostgresCluster, find_bin_dir
from tests.support.server import ServerProcess
from tests.support.system_packages import POSTGRESQL, require

WIDTH, HEIGHT, FPS = 160, 96, 15
OUTAGE_S = 4.0


@pytest.fixture
def own_postgres() -> Iterator[PostgresCluster]:
    """A cluster of this test's own: it is stopped and started again, which a shared one must not be."""
    bin_dir = find_bin_dir()
    require(bin_dir is not None, POSTGRESQL)
    assert bin_dir is not None
    cluster = PostgresCluster(bin_dir)
    cluster.start()
    yield cluster
    cluster.stop()


def session_for(url: str, token: str) -> CallSession:
    return synthetic_session(url, token, size=(WIDTH, HEIGHT), fps=FPS)


async def test_a_call_goes_on_while_postgresql_is_down_and_nothing_acknowledged_is_lost(
    make_server: Callable[..., ServerProcess], own_postgres: PostgresCluster, loopback_ice: None
) -> None:
    server = make_server(database_url=own_postgres.new_database())
    url = server.start()
    api = Api(url)
    made: list[CallSession] = []
    try:
        tokens = [(await api.register())["token"] for _ in range(3)]
        room = await api.create_room(tokens[0], maxParticipants=4)
        ann, bob = session_for(url, tokens[0]), session_for(url, tokens[1])
        made += [ann, bob]
        await ann.join(room["roomId"])
        await bob.join(room["roomId"])
        await wait_until(lambda: frames_from(ann, bob) >= 10 and frames_from(bob, ann) >= 10, 20, "the call")

        own_postgres.stop_server()
        down_at = asyncio.get_running_loop().time()
        before = frames_from(ann, bob), frames_from(bob, ann)
        message = await ann.send_chat("said while the database was down")  # acknowledged: must not be lost
        await bob.set_camera(False)
        assert bob.self_participant is not None
        bob_sid = bob.self_participant.socket_id
        await wait_until(lambda: any(m.id == message.id for m in bob.meeting.chat), 5, "the message at Bob's")
        await wait_until(lambda: not ann.participants[bob_sid].media.camera, 5, "Bob's camera off at Ann's")
        # A newcomer meanwhile: refused with a reason to try again, not left hanging.
        cat = session_for(url, tokens[2])
        made.append(cat)
        with pytest.raises(SignalingError) as refused:
            await cat.join(room["roomId"], mode="mesh")
        assert refused.value.code == ErrorCode.UNAVAILABLE, refused.value
        await asyncio.sleep(max(0.0, OUTAGE_S - (asyncio.get_running_loop().time() - down_at)))
        during = frames_from(bob, ann) - before[1]
        print(f"PostgreSQL down {OUTAGE_S:.0f} s: Bob decoded {during} frames of Ann's ({during / OUTAGE_S:.1f} fps)")
        assert during >= FPS * OUTAGE_S / 2, "Ann's video stopped reaching Bob"
        assert frames_from(ann, bob) > before[0] - 1  # Bob's camera went off: nothing more is owed
        own_postgres.start_server()

        # Back: the newcomer gets in, with the acknowledged message and both people.
        cat = session_for(url, tokens[2])
        made.append(cat)
        for _ in range(50):
            try:
                ack = await cat.join(room["roomId"], mode="mesh")
                break
            except SignalingError as exc:
                if exc.code != ErrorCode.UNAVAILABLE:
                    raise
                await cat.leave()
                cat = session_for(url, tokens[2])
                made.append(cat)
                await asyncio.sleep(0.2)
        else:
            pytest.fail("the newcomer never got in after the database came back")
        assert isinstance(ack, JoinAck)
        assert any(m.id == message.id for m in ack.chat), "an acknowledged chat message was lost"
        assert {p.socket_id for p in ack.participants} >= {bob_sid}
        await wait_until(lambda: frames_from(cat, ann) >= 5, 20, "the newcomer sees Ann")
        assert [p.signaling.reconnects for p in (ann, bob)] == [0, 0], "the call was not interrupted"
    finally:
        for session in made:
            await session.leave()
        await api.aclose()
