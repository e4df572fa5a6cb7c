"""A connect the server refuses for a reason other than the token reaches the app as that reason, not as "cannot
reach the server": ``too-many-connections`` (contract v1.1, an account over its socket cap) is something the person
can act on (close the app elsewhere), and a server that is reachable must not be reported as unreachable."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from nimeet_desktop.net.signaling import SignalingClient, SignalingError, Unauthorized
from signaling_server.protocol import ErrorCode
from tests.security.sockets_attacks import limits
from tests.support.clients import Api, Peer
from tests.support.server import ServerProcess


class Ignore:
    async def on_user_joined(self, *_: object) -> None: ...
    async def on_user_left(self, *_: object) -> None: ...
    async def on_description(self, *_: object) -> None: ...
    async def on_candidate(self, *_: object) -> None: ...
    async def on_media_toggled(self, *_: object) -> None: ...
    async def on_connection_state(self, *_: object) -> None: ...


async def test_an_account_over_its_socket_cap_is_told_so(make_server: Callable[..., ServerProcess]) -> None:
    server = make_server(env=limits(max_sockets_per_user=1))
    url = server.start()
    api = Api(url)
    token = (await api.register())["token"]
    elsewhere = await Peer(url, token).connect()  # the same account, open on another device
    client = SignalingClient(url, token, Ignore())
    try:
        with pytest.raises(SignalingError) as refused:
            await client.connect()
        assert not isinstance(refused.value, Unauthorized)
        assert refused.value.code == ErrorCode.TOO_MANY_CONNECTIONS, refused.value
        # Once the other device is gone, the same client connects.
        await elsewhere.close()
        await client.connect()
        assert client.socket_id
    finally:
        await client.close()
        await api.aclose()
    server.stop_gracefully()
