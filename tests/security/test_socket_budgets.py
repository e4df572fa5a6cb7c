"""The parts the socket limits are made of, on a fake clock: the budgets' arithmetic, their memory under a sweep of
accounts, the expiry order, and the room state's seats and replacement (the attacks themselves replay against the
real server in the other test_*.py files of this suite)."""

from __future__ import annotations

import asyncio

import pytest

from signaling_server.accounts.tokens import Claims
from signaling_server.ratelimit import RateLimiter
from signaling_server.signaling.expiry import ExpiryQueue
from signaling_server.signaling.limits import Occasionally, RefusalWindow, TokenBucket
from signaling_server.signaling.sessions import Refusal, Sessions, SocketSession
from signaling_server.signaling.state import Member, MemoryRoomState, RoomFull, SeatsTaken
from tests.support.clock import ManualClock


def test_token_bucket_allows_the_burst_then_the_rate() -> None:
    clock = ManualClock()
    bucket = TokenBucket(rate=50, burst=100, clock=clock)
    assert [bucket.take() for _ in range(101)] == [True] * 100 + [False]
    clock.now += 1.0
    assert sum(bucket.take() for _ in range(100)) == 50
    clock.now += 3600
    assert sum(bucket.take() for _ in range(1000)) == 100  # never more than the burst, however long it rested


def test_join_budgets_stay_bounded_under_a_sweep_of_accounts() -> None:
    clock = ManualClock()
    joins = RateLimiter(60, clock=clock, max_keys=1000, burst=10)  # one a second, bursts of 10: the join defaults
    for i in range(20_000):
        assert joins.take(f"user{i}") == 0.0
        clock.now += 0.5  # each bucket refills within 10 s: old ones can be forgotten
    assert len(joins._buckets) <= 1000
    # Forgetting only full buckets never hands out a fresh budget early.
    for _ in range(10):
        joins.take("busy")
    assert joins.take("busy") > 0


def test_refusal_window_counts_within_its_window() -> None:
    clock = ManualClock()
    window = RefusalWindow(limit=200, window_s=10, clock=clock)
    assert not any(window.refused() for _ in range(200))
    assert window.refused()
    clock.now += 10.5
    assert not window.refused()


def session(sid: str, user: str = "u", expires_at: int = 2000, address: str = "192.0.2.1") -> SocketSession:
    claims = Claims(user_id=user, issued_at=0, expires_at=expires_at, token_id=sid)
    return SocketSession(
        sid=sid, claims=claims, address=address, events=TokenBucket(1, 1), refusals=RefusalWindow(1, 1)
    )


def test_expiry_queue_gives_only_what_is_due_and_skips_closed_sockets() -> None:
    clock = ManualClock()
    queue = ExpiryQueue(clock=clock)
    late, early = session("late", expires_at=1005), session("early", expires_at=1001)
    gone = session("gone", expires_at=1001)
    for s in (late, early, gone):
        queue.add(s)
    gone.closed = True
    assert queue.due() == []
    clock.now = 1001
    assert queue.due() == [early]
    clock.now = 1010
    assert queue.due() == [late] and len(queue) == 0


def test_sessions_cap_per_user_and_per_address_and_free_on_remove() -> None:
    sessions = Sessions(max_per_user=2, max_per_address=3)
    a1, a2, a3 = session("a1", "a"), session("a2", "a"), session("a3", "a")
    assert sessions.admit(a1) is None and sessions.admit(a2) is None
    assert sessions.admit(a3) is Refusal.PER_USER
    assert sessions.admit(session("b1", "b")) is None
    assert sessions.admit(session("c1", "c")) is Refusal.PER_ADDRESS
    assert sessions.admit(session("c2", "c", address="198.51.100.7")) is None
    sessions.remove(a1)
    sessions.remove(a1)  # twice: no double free
    assert sessions.admit(a3) is None
    assert sessions.counts() == {"sockets": 4, "users": 3, "addresses": 2}


def member(sid: str, user: str, resume: str | None = None) -> Member:
    return Member(socket_id=sid, user_id=user, username=user, media={}, resume_id=resume)


def test_room_state_seats_and_replacement() -> None:
    async def run() -> None:
        rooms = MemoryRoomState()
        await rooms.join("r", member("a1", "a", "resume-aaaaaaaaaaaa"), capacity=3, seats_per_user=2)
        await rooms.join("r", member("a2", "a"), capacity=3, seats_per_user=2)
        with pytest.raises(SeatsTaken):
            await rooms.join("r", member("a3", "a"), capacity=3, seats_per_user=2)
        # The same account and resume id: replaces, so neither the seat limit nor a full room stands in the way.
        await rooms.join("r", member("b1", "b"), capacity=3, seats_per_user=2)
        joined = await rooms.join("r", member("a4", "a", "resume-aaaaaaaaaaaa"), capacity=3, seats_per_user=2)
        assert joined.replaced is not None and joined.replaced.socket_id == "a1"
        assert [m.socket_id for m in joined.others] == ["a2", "b1"]
        assert await rooms.room_of("a1") is None and await rooms.count("r") == 3
        # Another account's resume id replaces nothing: the room is simply full.
        with pytest.raises(RoomFull):
            await rooms.join("r", member("c1", "c", "resume-aaaaaaaaaaaa"), capacity=3, seats_per_user=2)
        # A stay's row attaches to that stay only, not to a later stay of the same socket.
        old = await rooms.member("a2")
        assert old is not None
        await rooms.leave("a2")
        await rooms.join("r", member("a2", "a"), capacity=3, seats_per_user=2)
        assert not await rooms.set_participation("a2", old.join_id, 7)
        again = await rooms.member("a2")
        assert again is not None and await rooms.set_participation("a2", again.join_id, 8)

    asyncio.run(run())


def test_occasionally_bounds_repeated_log_lines() -> None:
    clock = ManualClock()
    due = Occasionally(60, clock=clock, max_keys=100)
    assert [due("user:a") for _ in range(5)] == [True, False, False, False, False]
    assert due("user:b")
    clock.now += 61
    assert due("user:a")
    for i in range(1000):
        due(f"address:{i}")
    assert len(due) <= 100
