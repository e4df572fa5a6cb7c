"""The mail outbox and its sender against a real SMTP server on loopback and both databases: each mail goes out
once however many senders share the database, a refused one is tried again, an expired one never goes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from signaling_server.db.engine import create_engine, migrate, sessions
from signaling_server.db.models import utcnow
from signaling_server.mail.outbox import MAX_ATTEMPTS, Mail, MailOutbox
from signaling_server.mail.sender import MailService
from signaling_server.mail.smtp import Mailer, parse_smtp_url
from tests.support.smtp import SmtpSink

CALENDAR = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"


@pytest.fixture(params=["sqlite", "postgresql"])
async def engine(
    request: pytest.FixtureRequest, database_url_for: Callable[[str], str], tmp_path: Path
) -> AsyncIterator[AsyncEngine]:
    url = database_url_for(request.param) or f"sqlite+aiosqlite:///{tmp_path / 'mail.sqlite3'}"
    engine = create_engine(url)
    await migrate(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


def outbox_of(engine: AsyncEngine) -> MailOutbox:
    return MailOutbox(sessions(engine), engine.dialect.name)


def service(engine: AsyncEngine, sink: SmtpSink, url: str | None = None) -> MailService:
    mailer = Mailer(parse_smtp_url(url or f"smtp://127.0.0.1:{sink.port}"))
    return MailService(outbox_of(engine), mailer, "nimeet@meet.example.org", poll_s=60)


def mail(key: str, recipient: str = "ada@example.org", minutes_left: int = 60, calendar: str | None = None) -> Mail:
    now = utcnow()
    return Mail(
        key, recipient, f"Subject {key}", f"Body of {key}", calendar, now, now + timedelta(minutes=minutes_left)
    )


async def test_two_senders_on_one_database_send_each_mail_once(engine: AsyncEngine, sink: SmtpSink) -> None:
    first, second = service(engine, sink), service(engine, sink)
    keys = [f"reminder:m{i}" for i in range(8)]
    # Both processes notice the same due mails: the database keeps one row per key.
    added = await asyncio.gather(*(outbox_of(engine).add([mail(k) for k in keys]) for _ in range(2)))
    assert sum(added) == len(keys)
    sent = await asyncio.gather(first.run_once(), second.run_once())
    assert sum(sent) == len(keys)
    received = sink.wait_for(len(keys))
    await asyncio.sleep(0.3)  # nothing more arrives
    assert sorted(str(r.message["Subject"]) for r in sink.messages()) == sorted(f"Subject {k}" for k in keys)
    assert len(received) == len(keys)
    # A later round (a restart, say) finds nothing left to send.
    assert await first.run_once() == 0
    assert await outbox_of(engine).pending() == []


async def test_a_mail_recorded_twice_is_one_mail(engine: AsyncEngine) -> None:
    outbox = outbox_of(engine)
    assert await outbox.add([mail("invite:m1:ada"), mail("invite:m1:ada")]) == 1
    assert await outbox.add([mail("invite:m1:ada")]) == 0
    assert len(await outbox.pending()) == 1


async def test_a_refused_mail_is_tried_again_later_and_then_sent(engine: AsyncEngine, sink: SmtpSink) -> None:
    mails = service(engine, sink)
    await outbox_of(engine).add([mail("reminder:m1:ada")])
    sink.refusing = True
    assert await mails.run_once() == 0
    [row] = await outbox_of(engine).pending()
    assert row.attempts == 1
    assert row.last_error is not None and "451" in row.last_error
    # Not again at once: the next attempt waits a minute.
    assert await mails.run_once() == 0
    assert (await outbox_of(engine).pending())[0].attempts == 1
    sink.refusing = False
    assert await mails.run_once(now=utcnow() + timedelta(minutes=1, seconds=5)) == 1
    [received] = sink.wait_for(1)
    assert received.envelope_to == ["ada@example.org"]


async def test_a_mail_past_its_time_is_never_sent(engine: AsyncEngine, sink: SmtpSink) -> None:
    mails = service(engine, sink)
    await outbox_of(engine).add([mail("reminder:late", minutes_left=1)])
    assert await mails.run_once(now=utcnow() + timedelta(minutes=2)) == 0
    assert sink.messages() == []


async def test_a_mail_out_of_attempts_stops_being_tried(engine: AsyncEngine, sink: SmtpSink) -> None:
    mails = service(engine, sink)
    await outbox_of(engine).add([mail("reminder:m2", minutes_left=10_000)])
    sink.refusing = True
    now = utcnow()
    for attempt in range(MAX_ATTEMPTS + 2):
        await mails.run_once(now=now + timedelta(minutes=2**attempt + attempt))
        now += timedelta(minutes=2**attempt + 1)
    [row] = await outbox_of(engine).pending()
    assert row.attempts == MAX_ATTEMPTS


async def test_an_unreachable_smtp_server_keeps_the_mail(engine: AsyncEngine, sink: SmtpSink) -> None:
    port = sink.port
    sink.stop()  # nothing listens there now
    mails = service(engine, sink, url=f"smtp://127.0.0.1:{port}")
    await outbox_of(engine).add([mail("reminder:m3")])
    assert await mails.run_once() == 0
    [row] = await outbox_of(engine).pending()
    assert row.attempts == 1
    assert row.last_error


async def test_the_message_carries_sender_id_and_calendar(engine: AsyncEngine, sink: SmtpSink) -> None:
    url = f"smtp://mailer%40example.org:p%40ss:w@127.0.0.1:{sink.port}"
    mails = service(engine, sink, url=url)
    await outbox_of(engine).add([mail("invite:m9:ada", calendar=CALENDAR)])
    assert await mails.run_once() == 1
    [received] = sink.wait_for(1)
    message = received.message
    assert message["From"] == "nimeet@meet.example.org"
    assert message["To"] == "ada@example.org"
    assert str(message["Message-ID"]).endswith("@meet.example.org>")
    body = message.get_body(("plain",))
    assert body is not None and "Body of invite:m9:ada" in body.get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "REQUEST"
    assert "METHOD:REQUEST" in attachment.get_content()
    # The user name and password from the URL, percent-decoded, reached the SMTP server's AUTH.
    assert sink.logins == [("mailer@example.org", "p@ss:w")]


def test_smtp_urls_are_read_and_wrong_ones_named() -> None:
    target = parse_smtp_url("smtps://u:pw@mail.example.org")
    assert (target.host, target.port, target.implicit_tls, target.username) == ("mail.example.org", 465, True, "u")
    assert parse_smtp_url("smtp://relay").port == 25
    assert "pw" not in repr(target)
    for bad, says in [
        ("http://mail.example.org", "smtp://"),
        ("smtp://", "no host"),
        ("smtp://host:port", "not a number"),
        ("smtp://host/path", "nothing after"),
    ]:
        with pytest.raises(ValueError, match=says):
            parse_smtp_url(bad)
