"""Is a server there, and starting the bundled one: shared by start-up and the server screen."""

from __future__ import annotations

import logging

from nimeet_desktop.local_server import LocalServer, LocalServerError
from nimeet_desktop.net.lan_address import lan_address
from nimeet_desktop.net.rest import ApiClient, RestError
from nimeet_desktop.settings import DEFAULT_SERVER_PORT, DEFAULT_SERVER_URL
from nimeet_desktop.ui.context import AppContext

logger = logging.getLogger(__name__)

__all__ = [
    "LocalServerError",
    "adopts_a_server_it_did_not_start",
    "plans_local_server",
    "server_answers",
    "start_local_server",
]


async def server_answers(url: str) -> bool:
    async with ApiClient(url, connect_timeout=2.0, total_timeout=4.0) as api:
        try:
            await api.healthz()
        except RestError:
            return False
    return True


async def start_local_server(context: AppContext) -> str:
    """Start the bundled server on the default port, for this computer only or for the local network as the
    settings say; returns the URL this app uses (loopback either way). One already running for the other choice,
    or for a LAN address the computer no longer has, is restarted. With network hosting chosen but no network
    (``lan_address`` None) the server is for this computer only, and ui/network_hosting.py says so."""
    address = lan_address() if context.settings.host_on_network else None
    server = context.local_server
    wanted = None if address is None else f"http://{address}:{DEFAULT_SERVER_PORT}"
    if server is not None and server.running:
        if server.lan_url == wanted:
            assert server.url is not None
            return server.url
        await server.stop()
    if context.settings.host_on_network and address is None:
        logger.warning("hosting on the network was chosen, but there is no network: this computer only")
    context.local_server = LocalServer(lan_address=address)
    return await context.local_server.start()


def plans_local_server(context: AppContext, url: str) -> bool:
    """``url`` is this machine's default address and the settings say to run our own server there."""
    return url == DEFAULT_SERVER_URL and context.settings.start_local_server


def adopts_a_server_it_did_not_start(context: AppContext, url: str) -> bool:
    """The plan is our own local server, and ``url`` (which answers) is its address, but we did not start what
    answers there: another user's server, a developer's, one a crashed older version left. Using it is right (the
    port is taken anyway), doing so silently is not: the caller says so."""
    ours = context.local_server is not None and context.local_server.running
    return plans_local_server(context, url) and not ours
