"""Statistics (contract v1.1): a user's own (``/api/stats/me``, days of a time zone) and the server's for its admins,
on both databases. Stays days ago are written into the server's database through the server's own store (a test
cannot wait days), then read through the real server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from signaling_server.db.engine import create_engine, sessions
from signaling_server.db.history_store import HistoryStore
from signaling_server.protocol import AdminStatsResponse, MyStatsResponse
from signaling_server.usage import peak_concurrent, seconds_per_day, union, whole_minutes
from tests.signaling_server.meetings import emptied
from tests.support.clients import Api, Peer, bearer
from tests.support.server import ServerProcess

UTC_ZONE = ZoneInfo("UTC")


def utc(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


# ---- the arithmetic ----
def test_a_stay_across_midnight_counts_in_both_days_of_the_zone() -> None:
    day = date(2026, 11, 20)
    stay = (utc(day, 23, 30), utc(day + timedelta(days=1), 0, 45))
    assert seconds_per_day([stay], [day, day + timedelta(days=1)], UTC_ZONE) == [30 * 60, 45 * 60]
    # In Moscow (UTC+3) the same stay is 02:30-03:45 of one day.
    moscow = ZoneInfo("Europe/Moscow")
    assert seconds_per_day([stay], [day, day + timedelta(days=1)], moscow) == [0, 75 * 60]


def test_a_daylight_saving_day_has_its_own_length() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    change = date(2026, 10, 25)  # clocks go back: a 25-hour day
    whole_day = (utc(change, 0, 0) - timedelta(hours=2), utc(change, 23, 0))
    assert seconds_per_day([whole_day], [change], berlin) == [25 * 3600]


def test_one_persons_overlapping_stays_count_once() -> None:
    day = date(2026, 11, 20)
    stays = [
        (utc(day, 10, 0), utc(day, 11, 0)),
        (utc(day, 10, 30), utc(day, 11, 30)),
        (utc(day, 12, 0), utc(day, 12, 0)),
    ]
    assert union(stays) == [(utc(day, 10, 0), utc(day, 11, 30))]
    assert seconds_per_day(stays, [day], UTC_ZONE) == [90 * 60]


def test_minutes_round_to_the_nearest_and_peaks_do_not_count_touching_stays() -> None:
    assert [whole_minutes(s) for s in (0, 29, 30, 89, 90)] == [0, 0, 1, 1, 2]
    day = date(2026, 11, 20)
    assert peak_concurrent([(utc(day, 10, 0), utc(day, 11, 0)), (utc(day, 11, 0), utc(day, 12, 0))]) == 1
    assert peak_concurrent([(utc(day, 10, 0), utc(day, 11, 0)), (utc(day, 10, 59), utc(day, 12, 0))]) == 2


# ---- through the server ----
def database_for(backend: str, database_url_for: Callable[[str], str], tmp_path: Path) -> str:
    return database_url_for(backend) or f"sqlite+aiosqlite:///{tmp_path / 'stats.sqlite3'}"


async def stats_of(api: Api, token: str, tz: str | None = None) -> dict[str, Any]:
    r = await api.http.get("/api/stats/me", headers=bearer(token), params={} if tz is None else {"tz": tz})
    assert r.status_code == 200, r.text
    MyStatsResponse.model_validate(r.json())
    body: dict[str, Any] = r.json()
    return body


def nonzero(days: list[dict[str, Any]]) -> dict[str, int]:
    return {day["date"]: day["minutes"] for day in days if day["minutes"]}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_my_statistics_are_the_last_30_days_of_my_time_zone_with_zeros(
    make_server: Callable[..., ServerProcess], database_url_for: Callable[[str], str], tmp_path: Path, backend: str
) -> None:
    url_db = database_for(backend, database_url_for, tmp_path)
    api = Api(make_server(database_url=url_db).start())
    engine = create_engine(url_db)
    history = HistoryStore(sessions(engine))
    try:
        alice, bob, newcomer = await api.register(), await api.register(), await api.register()
        alices = (await api.create_room(alice["token"]))["roomId"]
        bobs = (await api.create_room(bob["token"]))["roomId"]
        today = datetime.now(UTC).date()
        three, two, ten = (today - timedelta(days=n) for n in (3, 2, 10))
        a, b = alice["user"]["id"], bob["user"]["id"]
        # In the order they happened: the server's store opens and closes sessions as the real server does.
        old = await history.start_stay(alices, a, utc(today - timedelta(days=40), 9, 0))  # before the 30 days
        await history.end_stay(old, utc(today - timedelta(days=40), 10, 0))
        night = await history.start_stay(alices, a, utc(three, 23, 30))  # across midnight, UTC
        guest = await history.start_stay(alices, b, utc(three, 23, 40))
        second_device = await history.start_stay(alices, a, utc(three, 23, 45))  # the same time again: counted once
        await history.end_stay(guest, utc(three, 23, 50))
        await history.end_stay(second_device, utc(two, 0, 15))
        await history.end_stay(night, utc(two, 0, 30))
        visit = await history.start_stay(bobs, a, utc(ten, 12, 0))  # in Bob's room
        await history.end_stay(visit, utc(ten, 12, 20))

        mine = await stats_of(api, alice["token"])
        assert [day["date"] for day in mine["days"]] == [str(today - timedelta(days=n)) for n in range(29, -1, -1)]
        assert nonzero(mine["days"]) == {str(three): 30, str(two): 30, str(ten): 20}
        assert (mine["meetings"], mine["minutes"], mine["hosted"]) == (2, 80, 1)
        # The night's meeting had time on two days: it counts in both.
        meetings = {day["date"]: day["meetings"] for day in mine["days"] if day["meetings"]}
        assert meetings == {str(three): 1, str(two): 1, str(ten): 1}
        assert (await stats_of(api, alice["token"], "UTC")) == mine

        # Tokyo is UTC+9: the night's stay is 08:30-09:30 of one Tokyo day, the visit 21:00-21:20.
        tokyo = ZoneInfo("Asia/Tokyo")
        in_tokyo = await stats_of(api, alice["token"], "Asia/Tokyo")
        assert in_tokyo["days"][-1]["date"] == str(datetime.now(tokyo).date())
        assert nonzero(in_tokyo["days"]) == {str(two): 60, str(ten): 20}
        assert (in_tokyo["meetings"], in_tokyo["minutes"], in_tokyo["hosted"]) == (2, 80, 1)

        guests = await stats_of(api, bob["token"])
        assert (guests["meetings"], guests["minutes"], guests["hosted"]) == (1, 10, 0)
        nothing = await stats_of(api, newcomer["token"])
        assert (nothing["meetings"], nothing["minutes"], nothing["hosted"]) == (0, 0, 0)
        assert len(nothing["days"]) == 30 and all(day["minutes"] == 0 for day in nothing["days"])

        r = await api.http.get("/api/stats/me", headers=bearer(alice["token"]), params={"tz": "Mars/Olympus_Mons"})
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid-input"
        r = await api.http.get("/api/stats/me")
        assert r.status_code == 401
    finally:
        await api.aclose()
        await engine.dispose()


async def test_a_meeting_held_now_counts_at_once(api: Api) -> None:
    """Real joins: the meeting is counted while it goes on (its minutes so far, rounded)."""
    owner = await api.register()
    room_id = (await api.create_room(owner["token"]))["roomId"]
    peer = await Peer(api.base_url, owner["token"]).connect()
    try:
        assert (await peer.join(room_id))["ok"]
        mine = await stats_of(api, owner["token"])
        assert (mine["meetings"], mine["hosted"]) == (1, 1)
    finally:
        await peer.close()
    await emptied(api, room_id)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_admin_statistics_for_the_configured_emails_only(
    make_server: Callable[..., ServerProcess], database_url_for: Callable[[str], str], tmp_path: Path, backend: str
) -> None:
    env = {"NIMEET_ADMIN_EMAILS": " Boss_adm@EXAMPLE.test , someone@example.org"}
    url = make_server(env=env, database_url=database_for(backend, database_url_for, tmp_path)).start()
    api = Api(url)
    try:
        boss = await api.register("boss_adm")  # boss_adm@example.test: the configured address in other case
        alice = await api.register()
        r = await api.http.get("/api/admin/stats", headers=bearer(alice["token"]))
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
        r = await api.http.get("/api/admin/stats")
        assert r.status_code == 401

        room_id = (await api.create_room(alice["token"]))["roomId"]
        await api.create_room(alice["token"])
        a, b = await Peer(url, alice["token"]).connect(), await Peer(url, boss["token"]).connect()
        try:
            assert (await a.join(room_id))["ok"] and (await b.join(room_id))["ok"]
            r = await api.http.get("/api/admin/stats", headers=bearer(boss["token"]))
            assert r.status_code == 200, r.text
            AdminStatsResponse.model_validate(r.json())
            live = r.json()
            assert (live["users"], live["rooms"], live["activeRooms"], live["activeParticipants"]) == (2, 2, 1, 2)
            assert live["meetingsToday"] == 1
        finally:
            await a.close()
            await b.close()
        await emptied(api, room_id)
        r = await api.http.get("/api/admin/stats", headers=bearer(boss["token"]))
        after = r.json()
        assert (after["activeRooms"], after["activeParticipants"], after["meetingsToday"]) == (0, 0, 1)
        assert after["peakParticipants"] == 2 and after["minutesToday"] == 0  # seconds, not minutes, of meeting
    finally:
        await api.aclose()


@pytest.mark.parametrize("tz", ["America", "zone.tab", "posix/Europe/Berlin", "Europe//Berlin", "CEST"])
async def test_a_tz_that_is_no_iana_zone_name_is_invalid_input(api: Api, tz: str) -> None:
    """Regression: ``tz=America`` (a folder of the zone database) was a 500, from ZoneInfo's IsADirectoryError; the
    zone database's other files and its posix/ copies were taken for zones. Only IANA names are zones, as for
    meetings."""
    person = await api.register()
    r = await api.http.get("/api/stats/me", headers=bearer(person["token"]), params={"tz": tz})
    assert r.status_code == 422, r.text
    assert r.json()["error"] == {
        "code": "invalid-input",
        "message": "tz must be an IANA time zone name",
        "field": "tz",
    }
