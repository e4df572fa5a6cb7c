"""The pure pieces, table-driven: rate limiter, size checks, tokens, GC policy, settings parsing."""

from __future__ import annotations

import gc
import time

import jwt
import pytest
from redis.asyncio import Redis

from signaling_server.accounts.tokens import InvalidToken, Tokens, load_or_create_key
from signaling_server.config import Settings
from signaling_server.gc_policy import NEVER, GcPolicy
from signaling_server.protocol import MAX_CANDIDATE_BYTES, MAX_SDP_BYTES, oversize_field
from signaling_server.ratelimit import RateLimiter, retry_after_header
from signaling_server.shared_limits import SharedRateLimiter
from tests.support.clock import ManualClock
from tests.support.redis_server import RedisServer


def test_rate_limiter_allows_a_burst_then_refills() -> None:
    clock = ManualClock()
    limiter = RateLimiter(6, clock=clock)  # 6 a minute: one every 10 s
    assert [limiter.take("ip") for _ in range(6)] == [0.0] * 6
    wait = limiter.take("ip")
    assert wait == pytest.approx(10.0)
    assert limiter.take("other-ip") == 0.0  # budgets are per key
    clock.now += 10
    assert limiter.take("ip") == 0.0
    assert limiter.take("ip") > 0
    assert retry_after_header(0.2) == "1"
    assert retry_after_header(9.01) == "10"


async def test_nodes_share_one_budget_per_client(redis_server: RedisServer) -> None:
    redis = Redis.from_url(redis_server.url)
    try:
        name = f"test{time.monotonic_ns()}"
        one, two = SharedRateLimiter(redis, name, 6), SharedRateLimiter(redis, name, 6)  # two nodes, 6 a minute
        spent = [await (one if i % 2 else two).spend("ip") for i in range(6)]
        assert spent == [0.0] * 6
        assert await two.spend("ip") == pytest.approx(10.0, abs=0.5)  # as RateLimiter: one every 10 s
        assert await one.spend("other-ip") == 0.0  # budgets are per key
        ttl = await redis.pttl(f"nimeet:limit:{name}:ip")
        assert 0 < ttl <= 62_000  # forgotten once it would be full again
    finally:
        await redis.aclose()


def test_rate_limiter_memory_is_bounded() -> None:
    clock = ManualClock()
    limiter = RateLimiter(60, clock=clock, max_keys=100)
    for i in range(100):
        limiter.take(f"10.0.0.{i}")
    clock.now += 120  # every bucket has refilled: forgettable
    limiter.take("new")
    assert len(limiter._buckets) == 1


@pytest.mark.parametrize(
    ("event", "payload", "too_large"),
    [
        ("offer", {"description": {"sdp": "a" * MAX_SDP_BYTES}}, False),
        ("offer", {"description": {"sdp": "a" * (MAX_SDP_BYTES + 1)}}, True),
        ("answer", {"description": {"sdp": "€" * (MAX_SDP_BYTES // 3)}}, False),
        ("answer", {"description": {"sdp": "€" * (MAX_SDP_BYTES // 3 + 1)}}, True),
        ("offer", {"description": {"sdp": "\ud800" * (MAX_SDP_BYTES // 3 + 1)}}, True),  # lone surrogates: 3 each
        ("offer", {"description": "not an object"}, False),
        ("offer", {"description": {"sdp": 12}}, False),
        ("offer", ["not", "an", "object"], False),
        ("ice-candidate", {"candidate": {"candidate": "c" * MAX_CANDIDATE_BYTES}}, False),
        ("ice-candidate", {"candidate": {"candidate": "c" * (MAX_CANDIDATE_BYTES + 1)}}, True),
        ("ice-candidate", {"candidate": None}, False),
        ("toggle-media", {"description": {"sdp": "a" * (MAX_SDP_BYTES + 1)}}, False),  # only relays carry SDP
    ],
)
def test_oversize_field(event: str, payload: object, too_large: bool) -> None:
    assert (oversize_field(event, payload) is not None) is too_large


def test_tokens_round_trip_and_refusals() -> None:
    key = b"k" * 32
    tokens = Tokens(key, ttl_s=60)
    token = tokens.issue("user-1")
    claims = tokens.verify(token)
    assert claims.user_id == "user-1"
    assert claims.expires_at - claims.issued_at == 60
    expired = tokens.issue("user-1", now=time.time() - 120)
    refused = [
        expired,
        token + "x",
        token.replace(".", "", 1),
        "",
        None,
        5,
        "a" * 5000,
        jwt.encode({"sub": "u", "iat": 1, "exp": 2**40}, key, algorithm="HS256"),  # no jti
        jwt.encode({"sub": 7, "iat": 1, "exp": 2**40, "jti": "j"}, key, algorithm="HS256"),
    ]
    for bad in refused:
        with pytest.raises(InvalidToken):
            tokens.verify(bad)
    with pytest.raises(ValueError, match="32 bytes"):
        Tokens(b"short", 60)


def test_signing_key_is_created_once(tmp_path) -> None:
    first = load_or_create_key(tmp_path / "d")
    assert len(first) == 64
    assert load_or_create_key(tmp_path / "d") == first


async def test_gc_policy_freezes_start_up_state_and_restores() -> None:
    saved = gc.get_threshold()
    policy = GcPolicy(interval_s=0)
    policy.start()
    try:
        assert gc.get_freeze_count() > 0  # start-up objects are out of every later pass
        assert gc.get_threshold() == saved  # automatic collection otherwise as usual
    finally:
        await policy.stop()
    assert gc.get_freeze_count() == 0


async def test_gc_policy_timer_takes_over_full_passes() -> None:
    saved = gc.get_threshold()
    policy = GcPolicy(interval_s=3600, thaw_every=2)
    policy.start()
    try:
        assert gc.get_threshold()[2] == NEVER  # automatic full passes off
        frozen = gc.get_freeze_count()
        garbage = []
        for _ in range(1000):
            cycle: list[object] = []
            cycle.append(cycle)
            garbage.append(cycle)
        survivors = [object() for _ in range(10)]
        del garbage, cycle
        policy.maintain()  # collects the cycles, freezes the survivors
        assert gc.get_freeze_count() >= frozen
        policy.maintain()  # a thaw round: everything is walked once more, then frozen again
        assert gc.get_freeze_count() > 0
        assert survivors
    finally:
        await policy.stop()
    assert gc.get_threshold() == saved
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize(
    ("env", "field", "expected"),
    [
        ("stun:a.test:3478,stun:b.test", "stun_urls", ["stun:a.test:3478", "stun:b.test"]),
        ('["stun:a.test"]', "stun_urls", ["stun:a.test"]),
        ("", "cors_origins", []),
        ("https://a.test, https://b.test", "cors_origins", ["https://a.test", "https://b.test"]),
    ],
)
def test_settings_lists_from_env(monkeypatch: pytest.MonkeyPatch, env: str, field: str, expected: list[str]) -> None:
    monkeypatch.setenv(f"NIMEET_{field.upper()}", env)
    assert getattr(Settings(), field) == expected


def test_one_malloc_arena_is_requested_unless_the_environment_says_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from signaling_server.memory import use_one_malloc_arena

    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert use_one_malloc_arena() is False  # the admin's setting wins
    monkeypatch.delenv("MALLOC_ARENA_MAX")
    assert use_one_malloc_arena() is sys.platform.startswith("linux")  # glibc on the Linux machines we test on
