"""``nimeet-server`` / ``python -m signaling_server``: serve the signaling and account server."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import uvicorn
from pydantic import ValidationError

from signaling_server import logs, parent_watch
from signaling_server.config import Settings, explain
from signaling_server.fd_limit import raise_open_files_limit
from signaling_server.memory import use_one_malloc_arena

if TYPE_CHECKING:
    from signaling_server.app import ServerApp

# Named, not __name__: run with ``python -m`` its __name__ is "__main__".
logger = logging.getLogger("signaling_server.main")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="nimeet-server",
        description="NIMeet signaling and account server. Every option also reads NIMEET_<NAME> from the "
        "environment; options given here win.",
    )
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on; 0 picks a free one (default 8765)")
    parser.add_argument("--database-url", help="SQLAlchemy async URL (default: SQLite in the data dir)")
    parser.add_argument("--data-dir", help="where the SQLite database and signing key live")
    parser.add_argument("--log-level", choices=["debug", "info", "warning", "error"])
    parser.add_argument("--log-format", choices=["json", "text"])
    parser.add_argument("--parent-pid", type=int, help="shut down when the process with this pid has exited")
    parser.add_argument("--tls-cert", help="serve https:// with this PEM certificate (chain); needs --tls-key")
    parser.add_argument("--tls-key", help="the certificate's unencrypted PEM private key; needs --tls-cert")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", help="instead of serving:")
    delete = commands.add_parser(
        "delete-user",
        help="delete an account (with its rooms) from the server's database and sign it out everywhere",
        description="Delete the account with this email from the database the server uses (same options and "
        "NIMEET_* settings). A running server disconnects that user's sockets within a few seconds.",
    )
    delete.add_argument("email")
    return parser.parse_args(argv)


def given_on_command_line(args: argparse.Namespace) -> dict[str, Any]:
    return {key: value for key, value in vars(args).items() if value is not None and key in Settings.model_fields}


def load_settings(args: argparse.Namespace) -> Settings:
    return Settings(**given_on_command_line(args))


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class DrainingServer(uvicorn.Server):
    """uvicorn, but socket.io transports are closed first on shutdown (see ServerApp.drain), a shutdown asked for
    by a signal counts as success, and with ``parent_pid`` the server stops once that process is gone."""

    PARENT_CHECK_TICKS = 10  # uvicorn ticks every 0.1 s: about once a second

    def __init__(self, config: uvicorn.Config, app: ServerApp, parent_pid: int | None = None) -> None:
        super().__init__(config)
        self._app = app
        self._parent_pid = parent_pid

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await self._app.drain()
        await super().shutdown(sockets)

    async def on_tick(self, counter: int) -> bool:
        if (
            self._parent_pid is not None
            and counter % self.PARENT_CHECK_TICKS == 0
            and not parent_watch.is_alive(self._parent_pid)
        ):
            logger.info("parent process is gone: shutting down", extra={"parent_pid": self._parent_pid})
            self.should_exit = True
        return await super().on_tick(counter)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        with super().capture_signals():
            yield
            # uvicorn re-raises the signal that stopped it once its handlers are restored, so a clean stop by a
            # service manager would end as "killed by SIGTERM" (143). The shutdown ran to the end: exit 0.
            self._captured_signals[:] = [
                sig for sig in self._captured_signals if sig not in (signal.SIGTERM, signal.SIGINT)
            ]


def run_delete_user(settings: Settings, email: str) -> int:
    from signaling_server.accounts.deletion import delete_user
    from signaling_server.accounts.emails import InvalidEmail

    try:
        user_id = asyncio.run(delete_user(settings, email))
    except InvalidEmail as exc:
        print(f"nimeet-server: not an email address: {exc}", file=sys.stderr)
        return 2
    if user_id is None:
        print("nimeet-server: no account with that email", file=sys.stderr)
        return 1
    logger.info("user deleted", extra={"userId": user_id})
    print(f"deleted user {user_id}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    # Whatever the server creates (database, its -wal/-shm, the signing key) is the owner's alone: the database
    # holds password hashes and emails. Set before anything is created.
    os.umask(0o077)
    use_one_malloc_arena()  # first: before any thread (database, password hashing) exists
    args = parse_args(argv)
    try:
        settings = load_settings(args)
    except ValidationError as exc:
        for line in explain(exc, given_on_command_line(args)):
            print(f"nimeet-server: {line}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level, settings.log_format)
    if args.command == "delete-user":
        return run_delete_user(settings, args.email)
    raise_open_files_limit()  # one descriptor per client: take what the hard limit allows
    if settings.parent_pid is not None:
        parent_watch.die_with_parent(settings.parent_pid)
        if not parent_watch.is_alive(settings.parent_pid):
            print(f"nimeet-server: parent process {settings.parent_pid} is gone; not starting", file=sys.stderr)
            return 1
    try:
        sock = bind(settings.host, settings.port)
    except OSError as exc:
        print(f"nimeet-server: cannot listen on {settings.host}:{settings.port}: {exc}", file=sys.stderr)
        return 1
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    url = f"{'https' if settings.tls_cert is not None else 'http'}://{shown}:{port}"

    def ready() -> None:
        # The URL on stdout (flushed) is how scripts and tests learn where we listen, e.g. with --port 0.
        print(f"nimeet-server listening on {url}", flush=True)
        logger.info("serving", extra={"url": url, "database": settings.resolved_database_url().split(":")[0]})

    # The application (FastAPI, socket.io, SQLAlchemy, Alembic: seconds to import here) only now that the settings
    # are known to be good: a mistyped option or --help is answered at once.
    from signaling_server.api.header_limit import header_limited
    from signaling_server.app import create_app

    app = create_app(settings, on_ready=ready)
    config = uvicorn.Config(
        app.asgi,
        log_config=None,
        log_level=settings.log_level,
        access_log=False,
        loop="auto",  # uvloop where installed
        # httptools with a bound on request heads (431), which uvicorn's own protocol does not have.
        http=header_limited(settings.max_header_bytes),
        # X-Forwarded-* only from the configured proxies; uvicorn's default would trust any local process.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
        ws="websockets-sansio",
        ws_per_message_deflate=settings.ws_compression,
        # Transport-level bound: a frame over the limit closes the connection before anything parses it.
        ws_max_size=settings.max_message_bytes + 1024,
        # Engine.IO's own pings detect dead peers; uvicorn's websocket pings would add a timer and a wakeup per
        # connection for nothing.
        ws_ping_interval=None,
        ws_ping_timeout=None,
        lifespan="on",
        timeout_graceful_shutdown=5,
        # TLS in the event loop's transport, under the HTTP protocol: the header limit and WebSockets work as over
        # plain TCP. Checked at load (config.py), so a bad file fails with one line before this.
        ssl_certfile=settings.tls_cert,
        ssl_keyfile=settings.tls_key,
    )
    server = DrainingServer(config, app, settings.parent_pid)
    server.run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
