"""Links the app accepts from outside: join links (untrusted input) and server base URLs.

A join link arrives from the clipboard, the command line or the OS (``nimeet://`` handler), so it is parsed
strictly: the whole text must be one of the accepted forms and nothing else, with no percent-decoding, no
path normalisation and no lenient URL parser in between.

Accepted join links (``ROOM_ID_RE`` from the protocol names the room):

- ``nimeet://join/<roomId>``
- ``nimeet://join/<roomId>?server=<base URL, percent-encoded>``: the link a server's ``/join/<roomId>`` page opens
  the app with (contract v1.1). ``server`` is the only parameter, once; its value is made of what
  ``urllib.parse.quote(base, safe="")`` writes (unreserved characters and ``%XX``), is decoded exactly once and must
  then be a server address ``normalize_server_url`` accepts.
- ``https://<server>[/<prefix>]/join/<roomId>`` and ``http://...``: the ``inviteUrl`` people share; the server is
  everything before ``/join/`` (a reverse proxy may serve NIMeet under a path prefix, and ``NIMEET_PUBLIC_URL`` may
  name one).
- ``<roomId>`` alone
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote, urlsplit

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
# "nimeet" is the scheme and "join" the authority, both case-insensitive (RFC 3986); the query is not. The server's
# value is exactly what quote(base, safe="") writes: unreserved characters and %XX escapes, nothing else, so a
# second "?", a "&" (another parameter), a "#" or a raw ":" or "/" all fail here.
_NIMEET = re.compile(r"(?i:nimeet://join)/" + _ROOM + r"(?:\?server=(?P<server>(?:[A-Za-z0-9._~-]|%[0-9A-Fa-f]{2})+))?")
_NIMEET_QUERY = re.compile(r"(?i:nimeet://join)/" + _ROOM + r"[?#]")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
# The authority is checked by normalize_server_url; here it only may not contain "@", "%" or anything else odd.
# The path prefix is made of plain segments (normalize_server_url refuses "." and ".." among them).
# The scheme and the host are case-insensitive (RFC 3986); the path ("/join/") is not.
_WEB = re.compile(
    r"(?P<scheme>[Hh][Tt][Tt][Pp][Ss]?)://(?P<authority>[A-Za-z0-9.:\[\]-]{1,300})"
    r"(?P<prefix>(?:/[A-Za-z0-9._~-]+)*)/join/" + _ROOM
)
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")


class LinkProblem(StrEnum):
    """Why a join link was refused, for the UI to say in the user's language (``message`` is the English line)."""

    NOT_TEXT = "not-text"
    TOO_LONG = "too-long"
    EMPTY = "empty"
    BAD_CHARACTERS = "bad-characters"
    NOT_A_LINK = "not-a-link"  # neither a room id nor a link
    BAD_NIMEET_LINK = "bad-nimeet-link"
    BAD_NIMEET_QUERY = "bad-nimeet-query"  # a nimeet:// link with anything after the room but ?server=<address>
    BAD_WEB_LINK = "bad-web-link"
    BAD_SERVER = "bad-server"  # the server a link names (web link, or ?server=) is not a valid address
    UNSUPPORTED_SCHEME = "unsupported-scheme"


class ServerUrlProblem(StrEnum):
    NOT_TEXT = "not-text"
    TOO_LONG = "too-long"
    EMPTY = "empty"
    BAD_CHARACTERS = "bad-characters"
    NOT_A_URL = "not-a-url"
    BAD_SCHEME = "bad-scheme"
    QUERY_OR_FRAGMENT = "query-or-fragment"
    USER_INFO = "user-info"
    NO_HOST = "no-host"
    BAD_PORT = "bad-port"
    BAD_HOST = "bad-host"
    BAD_PATH = "bad-path"


class InvalidLink(ValueError):
    """The text is not a join link the app accepts; ``problem`` says why, ``message`` in English (logs, the bot)."""

    def __init__(self, problem: LinkProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message


class InvalidServerUrl(ValueError):
    """The text is not a server address the app accepts; ``problem`` says why, ``message`` in English."""

    def __init__(self, problem: ServerUrlProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message


@dataclass(frozen=True, slots=True)
class JoinTarget:
    """What a join link names: the room, and for web links and ``?server=`` links the server (normalised)."""

    room_id: str
    server_url: str | None = None


def parse_join_link(text: str) -> str:
    """The room id named by ``text``; raises InvalidLink for anything but the accepted forms."""
    return parse_join_target(text).room_id


def parse_join_target(text: str) -> JoinTarget:
    """Like parse_join_link, also returning the server a link names (``scheme://host[:port][/prefix]``, normalised)."""
    if not isinstance(text, str):
        raise InvalidLink(LinkProblem.NOT_TEXT, "a join link must be text")
    if len(text) > MAX_LINK_LENGTH:
        raise InvalidLink(LinkProblem.TOO_LONG, "the link is too long")
    text = text.strip()
    if not text:
        raise InvalidLink(LinkProblem.EMPTY, "the link is empty")
    if not _VISIBLE_ASCII.fullmatch(text):
        raise InvalidLink(
            LinkProblem.BAD_CHARACTERS, "the link contains spaces, control characters or characters outside plain ASCII"
        )
    if ROOM_ID_RE.fullmatch(text):
        return JoinTarget(text)
    scheme = _SCHEME.match(text)
    if scheme is None:
        raise InvalidLink(LinkProblem.NOT_A_LINK, "not a room id or a NIMeet join link")
    kind = scheme.group(1).lower()
    if kind == "nimeet":
        return _parse_nimeet(text)
    if kind in ("http", "https"):
        return _parse_web(text)
    raise InvalidLink(
        LinkProblem.UNSUPPORTED_SCHEME,
        "unsupported link type: only nimeet://, https:// and http:// join links are accepted",
    )


def _parse_nimeet(text: str) -> JoinTarget:
    match = _NIMEET.fullmatch(text)
    if match is None:
        if _NIMEET_QUERY.match(text):
            raise InvalidLink(
                LinkProblem.BAD_NIMEET_QUERY,
                f"a NIMeet link may carry only its server: {JOIN_URL_PREFIX}<room id>?server=<address>, once",
            )
        raise InvalidLink(
            LinkProblem.BAD_NIMEET_LINK, f"a NIMeet link must be {JOIN_URL_PREFIX}<room id> and nothing more"
        )
    encoded = match.group("server")
    if encoded is None:
        return JoinTarget(match.group("room"))
    # Decoded once, by hand: every escape becomes one byte, and a byte outside visible ASCII (a control character,
    # a space, UTF-8 of a lookalike) refuses the link before normalize_server_url sees it. "%2541" stays "%41",
    # which no server address may contain.
    decoded = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), encoded)
    if not _VISIBLE_ASCII.fullmatch(decoded):
        raise InvalidLink(LinkProblem.BAD_SERVER, "the link's server contains encoded control or non-ASCII characters")
    return JoinTarget(match.group("room"), _server_of_link(decoded))


def _parse_web(text: str) -> JoinTarget:
    match = _WEB.fullmatch(text)
    if match is None:
        raise InvalidLink(
            LinkProblem.BAD_WEB_LINK, "a web join link must be https://<server>/join/<room id> and nothing more"
        )
    server = _server_of_link(f"{match.group('scheme')}://{match.group('authority')}{match.group('prefix')}")
    return JoinTarget(match.group("room"), server)


def _server_of_link(url: str) -> str:
    try:
        return normalize_server_url(url)
    except InvalidServerUrl as exc:
        raise InvalidLink(LinkProblem.BAD_SERVER, f"the link's server is not valid: {exc.message}") from None


def join_link(room_id: str, server_url: str | None = None) -> str:
    """The app's link for a room: ``nimeet://join/<roomId>`` (the contract's ``joinUrl``), or with ``server_url``
    ``nimeet://join/<roomId>?server=<server_url normalised, percent-encoded>``, exactly what a server whose base is
    that URL puts behind "Open in NIMeet" on its ``/join/<roomId>`` page. Raises InvalidLink for a bad room id and
    InvalidServerUrl for a bad server address."""
    if not isinstance(room_id, str) or not ROOM_ID_RE.fullmatch(room_id):
        raise InvalidLink(LinkProblem.NOT_A_LINK, "not a room id")
    if server_url is None:
        return join_url(room_id)
    return f"{join_url(room_id)}?server={quote(normalize_server_url(server_url), safe='')}"


_DEFAULT_PORTS = {"http": 80, "https": 443}
# A reverse proxy may serve the API under a path prefix; plain segments only (no %-escapes, no ";", no "..").
_PATH = re.compile(r"(?:/[A-Za-z0-9._~-]+)*")


def normalize_server_url(url: str) -> str:
    """The canonical form of a server base URL: ``scheme://host[:port][/path]``, no trailing slash.

    Only http and https; no user name or password, query or fragment; scheme and host in lower case; the
    scheme's default port dropped. Raises InvalidServerUrl otherwise.
    """
    if not isinstance(url, str):
        raise InvalidServerUrl(ServerUrlProblem.NOT_TEXT, "the server address must be text")
    if len(url) > MAX_LINK_LENGTH:
        raise InvalidServerUrl(ServerUrlProblem.TOO_LONG, "the server address is too long")
    text = url.strip()
    if not text:
        raise InvalidServerUrl(ServerUrlProblem.EMPTY, "the server address is empty")
    if not _VISIBLE_ASCII.fullmatch(text):
        raise InvalidServerUrl(
            ServerUrlProblem.BAD_CHARACTERS,
            "the server address contains spaces, control characters or non-ASCII characters",
        )
    if "\\" in text:
        raise InvalidServerUrl(ServerUrlProblem.BAD_CHARACTERS, "the server address must not contain backslashes")
    try:
        parts = urlsplit(text)
    except ValueError:
        raise InvalidServerUrl(ServerUrlProblem.NOT_A_URL, "the server address is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not text[len(scheme) :].startswith("://"):
        raise InvalidServerUrl(ServerUrlProblem.BAD_SCHEME, "the server address must start with https:// or http://")
    if parts.query or parts.fragment or "?" in text or "#" in text:
        raise InvalidServerUrl(
            ServerUrlProblem.QUERY_OR_FRAGMENT, "the server address must not have a query (?) or fragment (#)"
        )
    if "@" in parts.netloc:
        raise InvalidServerUrl(
            ServerUrlProblem.USER_INFO, "the server address must not contain a user name or password"
        )
    host = (parts.hostname or "").lower()
    if not host:
        raise InvalidServerUrl(ServerUrlProblem.NO_HOST, "the server address has no host name")
    try:
        port = parts.port
    except ValueError:
        raise InvalidServerUrl(ServerUrlProblem.BAD_PORT, "the server address has an invalid port") from None
    if parts.netloc.endswith(":") or port == 0:
        raise InvalidServerUrl(ServerUrlProblem.BAD_PORT, "the server address has an invalid port")
    if ":" in host:
        try:
            if "%" in host:  # a zone id names an interface of this machine, not a server
                raise ValueError(host)
            ipaddress.IPv6Address(host)
        except ValueError:
            raise InvalidServerUrl(
                ServerUrlProblem.BAD_HOST, "the server address has an invalid IPv6 address"
            ) from None
        host = f"[{host}]"
    elif not _valid_host_name(host):
        raise InvalidServerUrl(ServerUrlProblem.BAD_HOST, "the server address has an invalid host name")
    path = parts.path.rstrip("/")
    if not _PATH.fullmatch(path) or any(segment in (".", "..") for segment in path.split("/")):
        raise InvalidServerUrl(ServerUrlProblem.BAD_PATH, "the server address has an invalid path")
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
