"""One running app per user: a join link clicked while NIMeet runs goes to the open window, not a second one.

The OS starts ``nimeet nimeet://join/<id>`` for every click. The new process hands the link to the running one over
a local socket (a Unix socket in the user's runtime dir, or a Windows named pipe) and exits. The receiver parses it
again, strictly: anything local can write to that socket.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, unquote

from PySide6.QtCore import QObject
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from nimeet_desktop.net.links import MAX_LINK_LENGTH, InvalidLink, JoinTarget, parse_join_target
from signaling_server.protocol import join_url

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_MS = 500
ACTIVATE = "activate"  # sent when started without a link: just bring the window forward
# ``nimeet --ics FILE`` while NIMeet runs: the file's absolute path, percent-encoded (the line is ASCII), after this.
ICS_PREFIX = "ics:"


def socket_name(config_dir: str) -> str:
    """Per user and per settings directory (so tests and portable installs don't collide)."""
    digest = hashlib.sha256(f"{getpass.getuser()}\0{config_dir}".encode()).hexdigest()[:16]
    return f"nimeet-{digest}"


def link_message(text: str) -> str:
    """What a later launch forwards for the link ``text`` it was given (already parsed, so visible ASCII within
    MAX_LINK_LENGTH): the link itself, ``?server=`` and all, unless it is a room id that reads ``activate``."""
    text = text.strip()
    return join_url(text) if text == ACTIVATE else text


def ics_message(path: Path) -> str | None:
    """What a later launch forwards for ``nimeet --ics FILE``; None for a path too long to forward."""
    message = ICS_PREFIX + quote(str(path.resolve()), safe="/")
    return message if len(message) <= MAX_LINK_LENGTH else None


def forward(name: str, message: str) -> bool:
    """Hand ``message`` (a link, or ``ACTIVATE``) to a running instance; False if none answers."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
        return False
    socket.write(message.encode("ascii", errors="replace") + b"\n")
    socket.waitForBytesWritten(CONNECT_TIMEOUT_MS)
    socket.disconnectFromServer()
    return True


class InstanceServer(QObject):
    """Listens for links from later launches; ``on_link(target)`` or ``on_activate()`` runs on the UI thread."""

    def __init__(
        self,
        name: str,
        on_link: Callable[[JoinTarget], None],
        on_activate: Callable[[], None],
        on_bad: Callable[[InvalidLink], None],
        on_ics: Callable[[Path], None] | None = None,
    ) -> None:
        super().__init__()
        self._on_ics = on_ics
        self._on_link = on_link
        self._on_activate = on_activate
        self._on_bad = on_bad
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)
        if not self._server.listen(name):
            # A socket file left by a crashed instance: nobody answered forward(), so it is stale.
            QLocalServer.removeServer(name)
            if not self._server.listen(name):
                logger.warning("single instance: cannot listen on %s: %s", name, self._server.errorString())

    @property
    def listening(self) -> bool:
        return self._server.isListening()

    def _accept(self) -> None:
        while (socket := self._server.nextPendingConnection()) is not None:
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(socket.deleteLater)

    def _read(self, socket: QLocalSocket) -> None:
        if not socket.canReadLine():
            if socket.bytesAvailable() > MAX_LINK_LENGTH + 2:
                socket.abort()  # no line in sight: not one of ours
            return
        raw = bytes(socket.readLine(MAX_LINK_LENGTH + 2).data()).rstrip(b"\r\n")
        socket.disconnectFromServer()
        text = raw.decode("ascii", errors="replace")
        if text == ACTIVATE:
            self._on_activate()
            return
        if text.startswith(ICS_PREFIX):
            # A path from anyone local: only ever opened as a calendar file (read, size-capped, parsed strictly).
            path = Path(unquote(text.removeprefix(ICS_PREFIX)))
            if self._on_ics is not None and path.is_absolute() and path.suffix.lower() == ".ics":
                self._on_ics(path)
            return
        try:
            target = parse_join_target(text)
        except InvalidLink as exc:
            self._on_bad(exc)
            return
        self._on_link(target)

    def close(self) -> None:
        self._server.close()
