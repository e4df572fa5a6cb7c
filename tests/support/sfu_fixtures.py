"""Fixtures of the tests that need a server with an SFU: import them into a test module (``from
tests.support.sfu_fixtures import janus_media, sfu_server``) to use them there.

``janus_media``: one Janus per module, in a network namespace of its own that this process's aiortc peers reach
(``tests/support/janus.py``). ``sfu_server``: the real server with it (``NIMEET_JANUS_URL``), checked for logged
errors at the end. ``sfu_room``: a room of more than 8 places there, and accounts to join it with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.support.clients import Api
from tests.support.janus import JanusInstance, janus_for_media
from tests.support.server import ServerProcess


@pytest.fixture(scope="module")
def janus_media(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JanusInstance]:
    with janus_for_media(tmp_path_factory.mktemp("janus-media")) as instance:
        yield instance


@pytest.fixture
def sfu_server(make_server: Callable[..., ServerProcess], janus_media: JanusInstance) -> Iterator[ServerProcess]:
    proc = make_server({"NIMEET_JANUS_URL": janus_media.url, "NIMEET_JANUS_ADMIN_KEY": janus_media.admin_key})
    proc.start()
    yield proc
    assert proc.errors_logged() == [], "".join(proc.stderr_lines[-60:])


async def sfu_room(server: ServerProcess, people: int, places: int = 12) -> tuple[str, list[str]]:
    """A new room of ``places`` (an SFU room: more than 8) made by the first of ``people`` new accounts; (its id,
    their tokens)."""
    api = Api(server.url)
    try:
        tokens = [(await api.register())["token"] for _ in range(people)]
        room = await api.create_room(tokens[0], maxParticipants=places)
    finally:
        await api.aclose()
    assert room["mode"] == "sfu", room
    return room["roomId"], tokens
