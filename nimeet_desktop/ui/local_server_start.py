"""Is a server there, and starting the bundled one: shared by start-up and the server screen."""

from __future__ import annotations

from nimeet_desktop.local_server import LocalServer, LocalServerError
from nimeet_desktop.net.rest import ApiClient, RestError
from nimeet_desktop.ui.context import AppContext

__all__ = ["LocalServerError", "server_answers", "start_local_server"]


async def server_answers(url: str) -> bool:
    async with ApiClient(url, connect_timeout=2.0, total_timeout=4.0) as api:
        try:
            await api.healthz()
        except RestError:
            return False
    return True


async def start_local_server(context: AppContext) -> str:
    """Start the bundled server on the default local address; returns its URL."""
    if context.local_server is None or not context.local_server.running:
        context.local_server = LocalServer()
    return await context.local_server.start()
