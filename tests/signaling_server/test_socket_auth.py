"""Socket connect is refused for every kind of bad token, with ``connect_error`` message ``unauthorized``."""

from __future__ import annotations

import base64
import json
import time
import uuid

import jwt
import pytest
import socketio

from tests.support.clients import Api, Peer
from tests.support.server import TEST_JWT_SECRET, ServerProcess


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(sub: str, **over: object) -> dict[str, object]:
    now = int(time.time())
    return {"sub": sub, "iat": now, "exp": now + 600, "jti": uuid.uuid4().hex, **over}


def bad_tokens(user_id: str) -> dict[str, object]:
    good = _claims(user_id)
    return {
        "missing": None,
        "empty": "",
        "not a string": 12345,
        "malformed": "not-a-jwt",
        "forged (other key)": jwt.encode(good, "another-key-of-sufficient-length-123456", algorithm="HS256"),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(good)}.",
        "alg HS384": jwt.encode(good, TEST_JWT_SECRET, algorithm="HS384"),
        "expired": jwt.encode(
            _claims(user_id, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600),
            TEST_JWT_SECRET,
            algorithm="HS256",
        ),
        "no jti": jwt.encode({k: v for k, v in good.items() if k != "jti"}, TEST_JWT_SECRET, algorithm="HS256"),
        "no exp": jwt.encode({k: v for k, v in good.items() if k != "exp"}, TEST_JWT_SECRET, algorithm="HS256"),
        "unknown user": jwt.encode(_claims(uuid.uuid4().hex), TEST_JWT_SECRET, algorithm="HS256"),
    }


async def refused_with(url: str, auth: object) -> object:
    """Connect and return the ``connect_error`` payload the server sent (what a JS client receives)."""
    client = socketio.AsyncClient(reconnection=False)
    errors: list[object] = []
    client.on("connect_error", errors.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(url, auth=auth, transports=["websocket"], wait_timeout=5)
    assert not client.connected
    assert len(errors) == 1
    return errors[0]


async def test_connect_refused_for_bad_tokens(server: ServerProcess, api: Api) -> None:
    user = (await api.register())["user"]
    for label, token in bad_tokens(user["id"]).items():
        auth = None if label == "missing" else {"token": token}
        assert await refused_with(server.url, auth) == {"message": "unauthorized"}, label


@pytest.mark.parametrize("auth", ["just-a-string", {"jwt": "x"}, {"token": None}, {"token": ["a"]}])
async def test_connect_refused_when_auth_is_not_a_token_object(server: ServerProcess, auth: object) -> None:
    assert await refused_with(server.url, auth) == {"message": "unauthorized"}


async def test_good_token_connects_on_websocket(server: ServerProcess, api: Api) -> None:
    # WebSocket only: long-polling is refused (tests/signaling_server/test_transport.py).
    token = (await api.register())["token"]
    peer = await Peer(server.url, token).connect()
    assert peer.sio.transport() == "websocket"
    await peer.close()
