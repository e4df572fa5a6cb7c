"""Join links are untrusted input: a table of what is accepted and what is refused."""

from __future__ import annotations

import pytest

from nimeet_desktop.net.links import (
    MAX_LINK_LENGTH,
    InvalidLink,
    InvalidServerUrl,
    JoinTarget,
    LinkProblem,
    ServerUrlProblem,
    join_link,
    normalize_server_url,
    parse_join_link,
    parse_join_target,
)
from signaling_server.api.invitations import app_link
from signaling_server.join_links import invite_url
from signaling_server.protocol import ROOM_ID_RE

ROOM = "Ab3_-xYz0123456789abcd"  # 22 characters, like secrets.token_urlsafe(16)
DASHED = "-leading-dash_id"
UNDERSCORED = "_underscore"

VALID: list[tuple[str, str, str | None]] = [
    # (text, room id, server of a web link)
    (ROOM, ROOM, None),
    (DASHED, DASHED, None),
    (UNDERSCORED, UNDERSCORED, None),
    ("a" * 64, "a" * 64, None),
    (f"nimeet://join/{ROOM}", ROOM, None),
    (f"NIMEET://JOIN/{ROOM}", ROOM, None),
    (f"nimeet://join/{DASHED}", DASHED, None),
    (f"  nimeet://join/{ROOM}\n", ROOM, None),
    (f"\t{ROOM} ", ROOM, None),
    (f"https://meet.example.com/join/{ROOM}", ROOM, "https://meet.example.com"),
    (f"HTTPS://Meet.Example.COM/join/{ROOM}", ROOM, "https://meet.example.com"),
    (f"http://localhost:8080/join/{ROOM}", ROOM, "http://localhost:8080"),
    (f"https://meet.example.com:443/join/{ROOM}", ROOM, "https://meet.example.com"),
    (f"http://127.0.0.1:5000/join/{ROOM}", ROOM, "http://127.0.0.1:5000"),
    (f"http://[::1]:5000/join/{ROOM}", ROOM, "http://[::1]:5000"),
    (f"https://xn--bcher-kva.example/join/{ROOM}", ROOM, "https://xn--bcher-kva.example"),
    # A server behind a reverse proxy under a path prefix (NIMEET_PUBLIC_URL=https://meet.example.com/app).
    (f"https://meet.example.com/app/join/{ROOM}", ROOM, "https://meet.example.com/app"),
    (f"https://meet.example.com/a/b-c/join/{ROOM}", ROOM, "https://meet.example.com/a/b-c"),
    # A prefix that is itself called "join": the last /join/<id> is the invitation.
    (f"https://meet.example.com/join/join/{ROOM}", ROOM, "https://meet.example.com/join"),
    # The "Open in NIMeet" link of a server's /join/<id> page: the server, percent-encoded, decoded once.
    (f"nimeet://join/{ROOM}?server=https%3A%2F%2Fmeet.example.com", ROOM, "https://meet.example.com"),
    (f"nimeet://join/{ROOM}?server=http%3A%2F%2F127.0.0.1%3A8765", ROOM, "http://127.0.0.1:8765"),
    (f"nimeet://join/{ROOM}?server=http%3a%2f%2f127.0.0.1%3a8765", ROOM, "http://127.0.0.1:8765"),
    (f"nimeet://join/{ROOM}?server=https%3A%2F%2Fmeet.example.com%2Fapp", ROOM, "https://meet.example.com/app"),
    (f"nimeet://join/{ROOM}?server=http%3A%2F%2F%5B%3A%3A1%5D%3A5000", ROOM, "http://[::1]:5000"),
    (f"NIMEET://JOIN/{ROOM}?server=HTTPS%3A%2F%2FMeet.Example.COM%3A443%2F", ROOM, "https://meet.example.com"),
]

INVALID: list[tuple[str, str]] = [
    # (why, text)
    ("empty", ""),
    ("only whitespace", "   \n\t "),
    ("room id too long", "a" * 65),
    ("overlong input", "a" * (MAX_LINK_LENGTH + 1)),
    ("overlong link", "nimeet://join/" + "a" * 5000),
    ("dot-dot in nimeet link", "nimeet://join/../x"),
    ("dot-dot after the room", f"nimeet://join/{ROOM}/../x"),
    ("percent-encoded dot-dot", "nimeet://join/%2e%2e"),
    ("percent-encoded dot-dot in web link", "https://meet.example.com/join/%2e%2e/x"),
    ("percent-encoded room", "nimeet://join/%41bc"),
    ("bare dot-dot", ".."),
    ("bare path", f"../{ROOM}"),
    ("extra path segment", f"nimeet://join/{ROOM}/extra"),
    ("trailing slash", f"nimeet://join/{ROOM}/"),
    ("extra segment in web link", f"https://meet.example.com/join/{ROOM}/x"),
    ("dot-dot prefix in web link", f"https://meet.example.com/../join/{ROOM}"),
    ("dot prefix in web link", f"https://meet.example.com/./join/{ROOM}"),
    ("empty prefix segment in web link", f"https://meet.example.com//join/{ROOM}"),
    ("percent in prefix", f"https://meet.example.com/%61pp/join/{ROOM}"),
    ("double slash", f"nimeet://join//{ROOM}"),
    ("empty room", "nimeet://join/"),
    ("no room", "nimeet://join"),
    ("other nimeet action", f"nimeet://leave/{ROOM}"),
    ("nimeet without authority", f"nimeet:join/{ROOM}"),
    ("nimeet with three slashes", f"nimeet:///join/{ROOM}"),
    ("query", f"nimeet://join/{ROOM}?x=1"),
    ("query in web link", f"https://meet.example.com/join/{ROOM}?redirect=https://evil.example"),
    ("fragment", f"nimeet://join/{ROOM}#frag"),
    ("fragment in web link", f"https://meet.example.com/join/{ROOM}#x"),
    ("fragment hiding the real host", f"https://evil.example#@meet.example.com/join/{ROOM}"),
    ("semicolon parameter", f"nimeet://join/{ROOM};x=1"),
    ("whitespace inside", f"nimeet://join/{ROOM[:5]} {ROOM[5:]}"),
    ("tab inside", f"nimeet://join/\t{ROOM}"),
    ("newline inside", f"https://meet.example.com/join/{ROOM}\nhttps://evil.example"),
    ("space in bare id", "abc def"),
    ("userinfo", f"https://user:pass@meet.example.com/join/{ROOM}"),
    ("userinfo name only", f"https://meet.example.com@evil.example/join/{ROOM}"),
    ("javascript scheme", "javascript:alert(1)"),
    ("javascript scheme shaped like a link", f"javascript://join/{ROOM}"),
    ("file scheme", "file:///etc/passwd"),
    ("file scheme shaped like a link", f"file://join/{ROOM}"),
    ("data scheme", "data:text/html,<script>alert(1)</script>"),
    ("ftp scheme", f"ftp://meet.example.com/join/{ROOM}"),
    ("scheme-relative", f"//meet.example.com/join/{ROOM}"),
    ("missing host", f"https:///join/{ROOM}"),
    ("empty port", f"https://meet.example.com:/join/{ROOM}"),
    ("port out of range", f"https://meet.example.com:70000/join/{ROOM}"),
    ("port zero", f"https://meet.example.com:0/join/{ROOM}"),
    ("bad IPv4", f"http://999.1.1.1/join/{ROOM}"),
    ("bad IPv6", f"http://[::g]/join/{ROOM}"),
    ("IPv6 zone id", f"http://[fe80::1%25eth0]/join/{ROOM}"),
    ("host label too long", f"https://{'a' * 64}.example/join/{ROOM}"),
    ("host with underscore", f"https://bad_host.example/join/{ROOM}"),
    ("backslash", f"https://meet.example.com\\join\\{ROOM}"),
    ("backslash host trick", f"https://evil.example\\@meet.example.com/join/{ROOM}"),
    ("NUL", f"{ROOM}\x00"),
    ("NUL inside", f"nimeet://join/{ROOM[:3]}\x00{ROOM[3:]}"),
    ("escape character", f"nimeet://join/{ROOM}\x1b[31m"),
    ("DEL", f"{ROOM}\x7f"),
    ("bidi override", f"nimeet://join/\u202e{ROOM}"),
    ("zero-width space", f"nimeet://join/{ROOM[:4]}\u200b{ROOM[4:]}"),
    ("fullwidth solidus", f"nimeet://join\uff0f{ROOM}"),
    ("fullwidth letters in id", "\uff21\uff42\uff43"),
    ("cyrillic lookalike in id", "r\u043e\u043em"),
    ("cyrillic lookalike in scheme", f"nim\u0435et://join/{ROOM}"),
    ("unicode host", f"https://b\u00fccher.example/join/{ROOM}"),
    ("non-breaking space inside", f"nimeet://join/\u00a0{ROOM}"),
    ("dot in bare id", "abc.def"),
    ("slash in bare id", "abc/def"),
    ("colon in bare id", "abc:def"),
    # ?server= links: the one parameter the server writes, encoded as it encodes it, and nothing else.
    ("server not encoded", f"nimeet://join/{ROOM}?server=https://meet.example.com"),
    ("server half encoded", f"nimeet://join/{ROOM}?server=https%3A//meet.example.com"),
    ("empty server", f"nimeet://join/{ROOM}?server="),
    ("server without value", f"nimeet://join/{ROOM}?server"),
    ("server twice", f"nimeet://join/{ROOM}?server=https%3A%2F%2Fa.example&server=https%3A%2F%2Fb.example"),
    ("second question mark", f"nimeet://join/{ROOM}?server=https%3A%2F%2Fa.example?server=x"),
    ("another parameter after", f"nimeet://join/{ROOM}?server=https%3A%2F%2Fa.example&next=x"),
    ("another parameter before", f"nimeet://join/{ROOM}?next=x&server=https%3A%2F%2Fa.example"),
    ("parameter in capitals", f"nimeet://join/{ROOM}?SERVER=https%3A%2F%2Fa.example"),
    ("parameter with a space", f"nimeet://join/{ROOM}?server =https%3A%2F%2Fa.example"),
    ("empty query", f"nimeet://join/{ROOM}?"),
    ("fragment after server", f"nimeet://join/{ROOM}?server=https%3A%2F%2Fa.example#x"),
    ("encoded fragment in server", f"nimeet://join/{ROOM}?server=https%3A%2F%2Fa.example%23x"),
    ("encoded query in server", f"nimeet://join/{ROOM}?server=https%3A%2F%2Fa.example%3Fx%3D1"),
    ("slash before the query", f"nimeet://join/{ROOM}/?server=https%3A%2F%2Fa.example"),
    ("server on a web link", f"https://a.example/join/{ROOM}?server=https%3A%2F%2Fb.example"),
    ("encoded NUL", f"nimeet://join/{ROOM}?server=https%3A%2F%2Fa.example%00"),
    ("encoded newline", f"nimeet://join/{ROOM}?server=https%3A%2F%2Fa.example%0A"),
    ("encoded escape", f"nimeet://join/{ROOM}?server=https%3A%2F%2Fa.example%1B%5B2J"),
    ("encoded DEL", f"nimeet://join/{ROOM}?server=https%3A%2F%2Fa.example%7F"),
    ("encoded space", f"nimeet://join/{ROOM}?server=https%3A%2F%2Fa.example%20"),
    ("encoded UTF-8 lookalike", f"nimeet://join/{ROOM}?server=https%3A%2F%2Fa.%D0%B5xample"),
    ("encoded bidi override", f"nimeet://join/{ROOM}?server=https%3A%2F%2F%E2%80%AEa.example"),
    ("double-encoded server", f"nimeet://join/{ROOM}?server=https%253A%252F%252Fa.example"),
    ("double-encoded dot-dot", f"nimeet://join/{ROOM}?server=https%3A%2F%2Fa.example%2F%252e%252e"),
    ("encoded dot-dot path", f"nimeet://join/{ROOM}?server=https%3A%2F%2Fa.example%2F..%2Fx"),
    ("encoded userinfo", f"nimeet://join/{ROOM}?server=https%3A%2F%2Fa.example%40evil.example"),
    ("encoded backslash", f"nimeet://join/{ROOM}?server=https%3A%2F%2Fevil.example%5C%40a.example"),
    ("server of another scheme", f"nimeet://join/{ROOM}?server=javascript%3Aalert(1)"),
    ("server of the file scheme", f"nimeet://join/{ROOM}?server=file%3A%2F%2F%2Fetc%2Fpasswd"),
    ("server that is a nimeet link", f"nimeet://join/{ROOM}?server=nimeet%3A%2F%2Fjoin%2Fx"),
    ("bad escape", f"nimeet://join/{ROOM}?server=https%3A%2F%2Fa.example%G0"),
    ("truncated escape", f"nimeet://join/{ROOM}?server=https%3A%2F%2Fa.example%2"),
    ("server port out of range", f"nimeet://join/{ROOM}?server=https%3A%2F%2Fa.example%3A70000"),
    ("server raw unicode", f"nimeet://join/{ROOM}?server=https%3A%2F%2Fb\u00fccher.example"),
]


@pytest.mark.parametrize(("text", "room_id", "server"), VALID)
def test_valid_links(text: str, room_id: str, server: str | None) -> None:
    assert parse_join_link(text) == room_id
    assert parse_join_target(text) == JoinTarget(room_id, server)
    assert ROOM_ID_RE.fullmatch(room_id)


@pytest.mark.parametrize(("why", "text"), INVALID, ids=[why for why, _ in INVALID])
def test_invalid_links(why: str, text: str) -> None:
    with pytest.raises(InvalidLink) as caught:
        parse_join_link(text)
    assert caught.value.message
    # The message is for people: short, and never the untrusted text itself.
    assert len(caught.value.message) < 200
    if len(text.strip()) > 20:
        assert text.strip() not in caught.value.message


def test_non_text_is_refused() -> None:
    with pytest.raises(InvalidLink):
        parse_join_link(b"nimeet://join/abc")  # type: ignore[arg-type]


def test_invalid_link_is_a_value_error() -> None:
    assert issubclass(InvalidLink, ValueError)


@pytest.mark.parametrize("room_id", [ROOM, DASHED, UNDERSCORED, "a" * 64])
def test_join_link_round_trip(room_id: str) -> None:
    link = join_link(room_id)
    assert link == f"nimeet://join/{room_id}"
    assert parse_join_link(link) == room_id


@pytest.mark.parametrize(
    "base",
    [
        "https://meet.example.com",
        "http://127.0.0.1:8765",
        "http://[::1]:5000",
        "https://meet.example.com/app",
        "https://meet.example.com/a/b~c.d_e-f",
        "http://localhost:8080",
    ],
)
@pytest.mark.parametrize("room_id", [ROOM, DASHED, "a" * 64])
def test_the_app_link_is_what_the_servers_join_page_links_to(base: str, room_id: str) -> None:
    """join_link with a server writes, byte for byte, the "Open in NIMeet" link of that server's /join page, and
    the parser reads it back to the same room and server."""
    link = join_link(room_id, base)
    assert link == app_link(base, room_id)
    assert parse_join_target(link) == JoinTarget(room_id, base)


@pytest.mark.parametrize(
    ("base", "normalized"),
    [
        ("HTTPS://Meet.Example.COM:443/", "https://meet.example.com"),
        ("http://127.0.0.1:80", "http://127.0.0.1"),
        ("https://meet.example.com/app/", "https://meet.example.com/app"),
    ],
)
def test_a_servers_link_reads_back_to_its_normalised_address(base: str, normalized: str) -> None:
    """A server's NIMEET_PUBLIC_URL is not normalised: the link it writes still names the app's form of it."""
    assert parse_join_target(app_link(base, ROOM)) == JoinTarget(ROOM, normalized)
    assert parse_join_target(invite_url(base.rstrip("/"), ROOM)) == JoinTarget(ROOM, normalized)
    assert join_link(ROOM, base) == app_link(normalized, ROOM)


@pytest.mark.parametrize("server", ["", "ftp://a.example", "https://a.example?x=1", "https://user@a.example"])
def test_join_link_refuses_a_bad_server(server: str) -> None:
    with pytest.raises(InvalidServerUrl):
        join_link(ROOM, server)


def test_the_longest_accepted_server_link_still_fits() -> None:
    """A host name of 253 characters and a port, encoded: far below MAX_LINK_LENGTH."""
    host = ".".join(["a" * 63] * 3 + ["b" * 61])
    link = join_link(ROOM.ljust(64, "x"), f"https://{host}:65535/{'p' * 200}")
    assert len(link) < MAX_LINK_LENGTH
    assert parse_join_target(link).server_url == f"https://{host}:65535/{'p' * 200}"


@pytest.mark.parametrize("room_id", ["", "../x", "a/b", "a b", "a" * 65, "%2e%2e", "r\u043e\u043em"])
def test_join_link_refuses_non_ids(room_id: str) -> None:
    with pytest.raises(InvalidLink):
        join_link(room_id)


@pytest.mark.parametrize(
    ("url", "normalized"),
    [
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),
        ("  HTTPS://Meet.Example.COM:443/ ", "https://meet.example.com"),
        ("http://meet.example.com:80", "http://meet.example.com"),
        ("https://meet.example.com:8443", "https://meet.example.com:8443"),
        ("https://example.com/nimeet/", "https://example.com/nimeet"),
        ("http://[::1]:5000", "http://[::1]:5000"),
        ("http://[::1]", "http://[::1]"),
    ],
)
def test_server_urls_are_normalized(url: str, normalized: str) -> None:
    assert normalize_server_url(url) == normalized


@pytest.mark.parametrize(
    "url",
    [
        "",
        "meet.example.com",
        "ftp://meet.example.com",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "https:meet.example.com",
        "https://",
        "https://user:pw@meet.example.com",
        "https://meet.example.com?x=1",
        "https://meet.example.com#x",
        "https://meet.example.com:99999",
        "https://meet.example.com:",
        "https://meet.example.com:0",
        "https://meet example.com",
        "https://meet.example.com/a/../b",
        "https://meet.example.com/%2e%2e",
        "https://meet.example.com//x",
        "https://b\u00fccher.example",
        "https://meet.example.com\\evil",
        "http://[::1",
        "http://[fe80::1%25eth0]",
        "http://999.0.0.1",
        "https://" + "a" * 3000,
    ],
)
def test_bad_server_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidServerUrl):
        normalize_server_url(url)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", LinkProblem.EMPTY),
        ("x" * 5000, LinkProblem.TOO_LONG),
        ("nimeet://join/abc def", LinkProblem.BAD_CHARACTERS),
        ("nimeet://call/abc", LinkProblem.BAD_NIMEET_LINK),
        ("nimeet://join/abc?next=x", LinkProblem.BAD_NIMEET_QUERY),
        ("nimeet://join/abc?server=a&server=b", LinkProblem.BAD_NIMEET_QUERY),
        ("nimeet://join/abc#x", LinkProblem.BAD_NIMEET_QUERY),
        ("nimeet://join/abc?server=https%3A%2F%2Fa.example%0A", LinkProblem.BAD_SERVER),
        ("nimeet://join/abc?server=ftp%3A%2F%2Fa.example", LinkProblem.BAD_SERVER),
        ("https://a.example/../join/abc", LinkProblem.BAD_SERVER),
        ("https://example.org/rooms/abc", LinkProblem.BAD_WEB_LINK),
        ("ftp://example.org/join/abc", LinkProblem.UNSUPPORTED_SCHEME),
    ],
)
def test_a_refused_link_says_why_as_a_code(text: str, problem: LinkProblem) -> None:
    """The UI translates by ``problem``, never by matching the English message."""
    with pytest.raises(InvalidLink) as caught:
        parse_join_target(text)
    assert caught.value.problem is problem


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("", ServerUrlProblem.EMPTY),
        ("ftp://example.org", ServerUrlProblem.BAD_SCHEME),
        ("https://example.org/?a=1", ServerUrlProblem.QUERY_OR_FRAGMENT),
        ("https://user:pw@example.org", ServerUrlProblem.USER_INFO),
        ("https://example.org:99999", ServerUrlProblem.BAD_PORT),
        ("https://exa_mple.org", ServerUrlProblem.BAD_HOST),
    ],
)
def test_a_refused_server_address_says_why_as_a_code(url: str, problem: ServerUrlProblem) -> None:
    with pytest.raises(InvalidServerUrl) as caught:
        normalize_server_url(url)
    assert caught.value.problem is problem
