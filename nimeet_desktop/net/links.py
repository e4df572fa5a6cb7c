"""Links the app accepts from outside: join links (untrusted input) and server base URLs.

A join link arrives from the clipboard, the command line or the OS (``nimeet://`` handler), so it is parsed
strictly: the whole text must be one of the accepted forms and nothing else, with no percent-decoding, no
path normalisation and no lenient URL parser in between.

Accepted join links (``ROOM_ID_RE`` from the protocol names the room):

- ``nimeet://join/<roomId>``
- ``https://<server>/join/<roomId>`` and ``http://<server>/join/<roomId>``
- ``<roomId>`` alone
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from signaling_server.protocol import JOIN_URL_PREFIX, ROOM_ID_RE, join_url

__all__ = [
    "MAX_LINK_LENGTH",
    "InvalidLink",
    "InvalidServerUrl",
    "JoinTarget",
    "join_link",
    "normalize_server_url",
    "parse_join_link",
    "parse_join_target",
]

# Far above any real link (a room id is at most 64 characters, a host name 253): refuse before any work.
MAX_LINK_LENGTH = 2048

# Visible ASCII only: whitespace inside, control characters and every non-ASCII character (lookalikes such as
# a fullwidth solidus or a Cyrillic "о") fail here, before any other rule is looked at.
_VISIBLE_ASCII = re.compile(r"[\x21-\x7e]+")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_ROOM = r"(?P<room>[A-Za-z0-9_-]{1,64})"
_NIMEET = re.compile(r"nimeet://join/" + _ROOM, re.IGNORECASE)
# The authority is checked by normalize_server_url; here it only may not contain "@", "%" or anything else odd.
# The scheme and the host are case-insensitive (RFC 3986); the path ("/join/") is not.
_WEB = re.compile(r"(?P<scheme>[Hh][Tt][Tt][Pp][Ss]?)://(?P<authority>[A-Za-z0-9.:\[\]-]{1,300})/join/" + _ROOM)
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")


class InvalidLink(ValueError):
    """The text is not a join link the app accepts; ``message`` is fit to show to people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidServerUrl(ValueError):
    """The text is not a server address the app accepts; ``message`` is fit to show to people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class JoinTarget:
    """What a join link names: the room, and for ``https://<server>/join/...`` links the server they point at."""

    room_id: str
    server_url: str | None = None


def parse_join_link(text: str) -> str:
    """The room id named by ``text``; raises InvalidLink for anything but the accepted forms."""
    return parse_join_target(text).room_id


def parse_join_target(text: str) -> JoinTarget:
    """Like parse_join_link, also returning the server of a web link (``scheme://host[:port]``, normalised)."""
    if not isinstance(text, str):
        raise InvalidLink("a join link must be text")
    if len(text) > MAX_LINK_LENGTH:
        raise InvalidLink("the link is too long")
    text = text.strip()
    if not text:
        raise InvalidLink("the link is empty")
    if not _VISIBLE_ASCII.fullmatch(text):
        raise InvalidLink("the link contains spaces, control characters or characters outside plain ASCII")
    if ROOM_ID_RE.fullmatch(text):
        return JoinTarget(text)
    scheme = _SCHEME.match(text)
    if scheme is None:
        raise InvalidLink("not a room id or a NIMeet join link")
    kind = scheme.group(1).lower()
    if kind == "nimeet":
        match = _NIMEET.fullmatch(text)
        if match is None:
            raise InvalidLink(f"a NIMeet link must be {JOIN_URL_PREFIX}<room id> and nothing more")
        return JoinTarget(match.group("room"))
    if kind in ("http", "https"):
        return _parse_web(text)
    raise InvalidLink("unsupported link type: only nimeet://, https:// and http:// join links are accepted")


def _parse_web(text: str) -> JoinTarget:
    match = _WEB.fullmatch(text)
    if match is None:
        raise InvalidLink("a web join link must be https://<server>/join/<room id> and nothing more")
    try:
        server = normalize_server_url(f"{match.group('scheme')}://{match.group('authority')}")
    except InvalidServerUrl as exc:
        raise InvalidLink(f"the link's server is not valid: {exc.message}") from None
    return JoinTarget(match.group("room"), server)


def join_link(room_id: str) -> str:
    """The ``nimeet://join/<roomId>`` link for a room (the contract's ``joinUrl``)."""
    if not isinstance(room_id, str) or not ROOM_ID_RE.fullmatch(room_id):
        raise InvalidLink("not a room id")
    return join_url(room_id)


_DEFAULT_PORTS = {"http": 80, "https": 443}
# A reverse proxy may serve the API under a path prefix; plain segments only (no %-escapes, no ";", no "..").
_PATH = re.compile(r"(?:/[A-Za-z0-9._~-]+)*")


def normalize_server_url(url: str) -> str:
    """The canonical form of a server base URL: ``scheme://host[:port][/path]``, no trailing slash.

    Only http and https; no user name or password, query or fragment; scheme and host in lower case; the
    scheme's default port dropped. Raises InvalidServerUrl otherwise.
    """
    if not isinstance(url, str):
        raise InvalidServerUrl("the server address must be text")
    if len(url) > MAX_LINK_LENGTH:
        raise InvalidServerUrl("the server address is too long")
    text = url.strip()
    if not text:
        raise InvalidServerUrl("the server address is empty")
    if not _VISIBLE_ASCII.fullmatch(text):
        raise InvalidServerUrl("the server address contains spaces, control characters or non-ASCII characters")
    if "\\" in text:
        raise InvalidServerUrl("the server address must not contain backslashes")
    try:
        parts = urlsplit(text)
    except ValueError:
        raise InvalidServerUrl("the server address is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not text[len(scheme) :].startswith("://"):
        raise InvalidServerUrl("the server address must start with https:// or http://")
    if parts.query or parts.fragment or "?" in text or "#" in text:
        raise InvalidServerUrl("the server address must not have a query (?) or fragment (#)")
    if "@" in parts.netloc:
        raise InvalidServerUrl("the server address must not contain a user name or password")
    host = (parts.hostname or "").lower()
    if not host:
        raise InvalidServerUrl("the server address has no host name")
    try:
        port = parts.port
    except ValueError:
        raise InvalidServerUrl("the server address has an invalid port") from None
    if parts.netloc.endswith(":") or port == 0:
        raise InvalidServerUrl("the server address has an invalid port")
    if ":" in host:
        try:
            if "%" in host:  # a zone id names an interface of this machine, not a server
                raise ValueError(host)
            ipaddress.IPv6Address(host)
        except ValueError:
            raise InvalidServerUrl("the server address has an invalid IPv6 address") from None
        host = f"[{host}]"
    elif not _valid_host_name(host):
        raise InvalidServerUrl("the server address has an invalid host name")
    path = parts.path.rstrip("/")
    if not _PATH.fullmatch(path) or any(segment in (".", "..") for segment in path.split("/")):
        raise InvalidServerUrl("the server address has an invalid path")
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    return f"{scheme}://{netloc}{path}"


def _valid_host_name(host: str) -> bool:
    if len(host) > 253 or not _HOST_NAME.fullmatch(host):
        return False
    if host.replace(".", "").isdigit():
        # All-numeric names are IPv4 addresses, and then valid ones in dotted form (no 999.1.1.1, no 2130706433).
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return False
    return True
