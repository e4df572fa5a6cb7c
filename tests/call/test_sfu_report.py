"""What a session's remotes report in an SFU room (the figures of ``nimeet-bot``'s report, docs/bot-report.md): the
same keys with the same meaning as in a mesh, for everyone, whenever they came.

In a mesh every remote has a connection of its own, whose state changes, selected candidate pair and received
bytes its entry records. In an SFU room everyone comes through the one link: someone who arrives after the link is
connected must start with the link's state and candidate pair, or their report entry says they never connected; and
what arrives on the link is counted per person by the streams the SFU's offers say are theirs, or everyone's
``bytesReceived`` stays 0 (and the observer, the app's quality indicator, never hears of their packets).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from nimeet_desktop.call.remote import RemoteParticipant
from nimeet_desktop.call.report import peer_report
from nimeet_desktop.call.session import CallSession
from tests.call.conftest import Recorder, wait_until
from tests.call.test_sfu_session import receives_everyone, sfu_sessions, sid
from tests.support.server import ServerProcess
from tests.support.sfu_fixtures import janus_media, sfu_room, sfu_server

__all__ = ["janus_media", "sfu_server", "sfu_sessions"]  # fixtures of the SFU session tests, used here


async def test_someone_arriving_after_the_link_connected_reports_its_state_and_candidate_pair(
    sfu_server: ServerProcess, sfu_sessions: Callable[[str], CallSession]
) -> None:
    room_id, tokens = await sfu_room(sfu_server, 3, places=12)
    early = [sfu_sessions(token) for token in tokens[:2]]
    first = early[0]
    for person in early:
        await person.join(room_id)
    await wait_until(receives_everyone(early, 3), 20, "the first two decode each other")
    assert first.sfu is not None and first.sfu.state == "connected"

    late = sfu_sessions(tokens[2])
    await late.join(room_id)
    people = [*early, late]
    await wait_until(receives_everyone(people, 3), 20, "everyone decodes the one who came late")
    for me in people:
        for other in people:
            if other is me:
                continue
            entry = peer_report(me.participants[sid(other)])
            states = [s["state"] for s in entry["connectionStates"]]
            assert states and states[-1] == "connected", (states, "seen by the one who came late" if me is late else "")
            assert entry["candidatePair"] == {"local": "host", "remote": "host"}, entry


class StatsRecorder(Recorder):
    def __init__(self) -> None:
        super().__init__()
        self.stats: Counter[str] = Counter()

    def on_stats(self, participant: RemoteParticipant) -> None:
        super().on_stats(participant)
        self.stats[participant.socket_id] += 1


async def test_what_arrives_through_the_link_is_counted_for_whom_it_is_from(
    sfu_server: ServerProcess, sfu_sessions: Callable[[str], CallSession]
) -> None:
    room_id, tokens = await sfu_room(sfu_server, 3, places=12)
    sending = [sfu_sessions(token) for token in tokens[:2]]
    watcher = StatsRecorder()
    # The third sends nothing (no camera, no microphone): what comes from them is next to nothing.
    quiet = CallSession(sfu_server.url, tokens[2], [], observer=watcher)
    try:
        for person in (*sending, quiet):
            await person.join(room_id)
        await wait_until(receives_everyone(sending, 20), 30, "the two who send decode each other")
        await wait_until(
            lambda: all(quiet.participants[sid(p)].stats.video_frames >= 20 for p in sending), 20, "the quiet one sees"
        )
        for me in sending:
            other = sending[1] if me is sending[0] else sending[0]
            loud, silent = me.participants[sid(other)].stats, me.participants[sid(quiet)].stats
            assert loud.packets_received > 0 and loud.bytes_received > 0, loud
            # 20 frames of video and 2 s of audio at the least, against whatever the quiet one's empty tracks send.
            assert loud.bytes_received > 4 * max(silent.bytes_received, 1), (loud, silent)
            assert peer_report(me.participants[sid(other)])["bytesReceived"] == loud.bytes_received
        for p in sending:
            assert quiet.participants[sid(p)].stats.bytes_received > 0
            assert watcher.stats[sid(p)] >= 2, "the observer hears of the counters as they grow"
    finally:
        await quiet.leave()
