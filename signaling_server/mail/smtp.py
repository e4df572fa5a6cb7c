"""Where mail goes (``NIMEET_SMTP_URL``) and the one call that hands a message to that SMTP server."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib

logger = logging.getLogger(__name__)

# An SMTP server that neither answers nor refuses must not hold a sender (and its database lease) for minutes.
SEND_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    username: str | None
    password: str | None = field(repr=False)
    # smtps://: TLS from the first byte (port 465). smtp:// upgrades with STARTTLS when the server offers it.
    implicit_tls: bool


def parse_smtp_url(url: str) -> SmtpTarget:
    """``smtp://[user:password@]host[:port]`` or ``smtps://…``; ValueError says what is wrong, never the password."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ValueError("must look like smtp://[user:password@]host[:port] (the port is not a number)") from None
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError("must start with smtp:// or smtps://")
    if not parts.hostname:
        raise ValueError("names no host: smtp://[user:password@]host[:port]")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("must be smtp://[user:password@]host[:port] with nothing after the port")
    implicit_tls = parts.scheme == "smtps"
    return SmtpTarget(
        host=parts.hostname,
        port=port if port is not None else (465 if implicit_tls else 25),
        # Percent-decoded: a password with @ or : in it is written %40 / %3A in a URL.
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        implicit_tls=implicit_tls,
    )


class Mailer:
    """Sends one message at a time to the configured SMTP server; raises on any refusal or failure."""

    def __init__(self, target: SmtpTarget) -> None:
        self._target = target

    async def send(self, message: EmailMessage) -> None:
        target = self._target
        await aiosmtplib.send(
            message,
            hostname=target.host,
            port=target.port,
            username=target.username,
            password=target.password,
            use_tls=target.implicit_tls,
            # None: STARTTLS when the server offers it, plain otherwise (a relay on the same host often has none).
            start_tls=None if not target.implicit_tls else False,
            timeout=SEND_TIMEOUT_S,
        )
