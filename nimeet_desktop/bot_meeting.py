"""What ``nimeet-bot`` does and sees in a meeting (contract v1.1): the room's password, waiting in a lobby, chat, files,
a raised hand, reactions; and what was done to it (a host's mute, removal, denial, the meeting's end). Its options,
the actions it takes once in the room, and its part of the report (``docs/bot-report.md``)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nimeet_desktop.call.errors import CallError, CallErrorKind
from nimeet_desktop.call.meeting import EndReason, MeetingSnapshot
from nimeet_desktop.call.session import CallSession
from nimeet_desktop.net.rest import ApiClient, FileIntegrityError, RestError
from nimeet_desktop.net.signaling import SignalingError
from signaling_server.protocol import CHAT_TEXT_MAX, REACTIONS, ChatMessage, FileInfo, ModeratedMedia

logger = logging.getLogger("nimeet_desktop.bot")

ROOM_PASSWORD_ENV = "NIMEET_ROOM_PASSWORD"  # noqa: S105 (the variable's name, not a password)
LOBBY_TIMEOUT_S = 300.0
# At the end of the call, downloads still running get this long to finish (the files go with the meeting).
DOWNLOAD_GRACE_S = 30.0


def add_arguments(p: argparse.ArgumentParser) -> None:
    meeting = p.add_argument_group("meeting")
    meeting.add_argument(
        "--room-password",
        metavar="TEXT",
        default=os.environ.get(ROOM_PASSWORD_ENV),
        help=f"the room's password (not the account's: that is --password); also {ROOM_PASSWORD_ENV}, which `ps`"
        " does not show",
    )
    meeting.add_argument(
        "--lobby-timeout",
        type=float,
        default=LOBBY_TIMEOUT_S,
        metavar="S",
        help="in a private room, wait this long for a host to admit the bot, then give up (exit 1); 0 = no limit;"
        " --duration counts from the admission (default %(default)s)",
    )
    meeting.add_argument(
        "--chat", action="append", default=[], metavar="TEXT", help="send this chat message in the room (repeatable)"
    )
    meeting.add_argument(
        "--send-file", action="append", default=[], metavar="PATH", help="share this file once in the room (repeatable)"
    )
    meeting.add_argument("--raise-hand", action="store_true", help="raise the bot's hand once in the room")
    meeting.add_argument(
        "--react",
        action="append",
        default=[],
        metavar="EMOJI",
        help=f"send this reaction once in the room (repeatable): one of {' '.join(REACTIONS)}",
    )
    meeting.add_argument(
        "--save-files",
        metavar="DIR",
        help="download every file shared in the meeting into DIR (made if missing), checking its SHA-256",
    )


def check_arguments(args: argparse.Namespace) -> None:
    """Raises ValueError for a value the server would refuse anyway (the bot exits 2 before signing in)."""
    for text in args.chat:
        if not text.strip():
            raise ValueError("--chat: the message is empty")
        if len(text.strip()) > CHAT_TEXT_MAX:
            raise ValueError(f"--chat: a message is at most {CHAT_TEXT_MAX} characters")
    args.react = [_reaction(emoji) for emoji in args.react]
    for path in args.send_file:
        if not os.path.isfile(path) or not os.access(path, os.R_OK):
            raise ValueError(f"--send-file: {path} is not a readable file")
    if args.save_files is not None:
        try:
            Path(args.save_files).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ValueError(f"--save-files: cannot use {args.save_files}: {exc.strerror}") from None
    if args.lobby_timeout < 0:
        raise ValueError("--lobby-timeout: must be 0 or more seconds")


def _reaction(emoji: str) -> str:
    # The heart is the one reaction with a variation selector; typed without it, it is still the heart.
    for candidate in (emoji, emoji + "\ufe0f"):
        if candidate in REACTIONS:
            return candidate
    raise ValueError(f"--react: {emoji!r} is not one of {' '.join(REACTIONS)}")


def _at(started: float) -> float:
    return round(time.monotonic() - started, 1)


class BotMeeting:
    """The bot's meeting: told by ``BotObserver`` (on the loop), acting through the session and the REST client."""

    def __init__(self, args: argparse.Namespace, started: float) -> None:
        self.args = args
        self.started = started
        self.in_room = asyncio.Event()
        self.call_ended = asyncio.Event()
        self.lobby_since: float | None = None
        self.lobby: dict[str, Any] | None = None  # the report's ``lobby``
        self.role: str | None = None
        self.chat: list[ChatMessage] = []
        self.sent_ids: set[str] = set()
        self.files_sent: list[dict[str, Any]] = []
        self.files_received: dict[str, dict[str, Any]] = {}
        self.reactions_sent: list[str] = []
        self.reactions_received: list[dict[str, Any]] = []
        self.muted: list[dict[str, Any]] = []
        self.ended: dict[str, Any] | None = None
        self._downloads: set[asyncio.Task[None]] = set()
        self._api: ApiClient | None = None
        self._session: CallSession | None = None
        self._room_id = ""

    def attach(self, api: ApiClient, session: CallSession, room_id: str) -> None:
        self._api, self._session, self._room_id = api, session, room_id

    # ---- what the session tells (via BotObserver) ------------------------------------------------------------

    def meeting_changed(self, snapshot: MeetingSnapshot) -> None:
        if snapshot.me is not None:
            self.role = snapshot.me.role
        if snapshot.waiting and self.lobby_since is None:
            self.lobby_since = time.monotonic()
            logger.info("waiting in the lobby for a host")
        if not snapshot.waiting and snapshot.me is not None and snapshot.ended is None and not self.in_room.is_set():
            if self.lobby_since is not None:
                self._lobby_outcome("admitted")
            self.in_room.set()

    def chat_message(self, message: ChatMessage) -> None:
        self.chat.append(message)
        file = message.file
        me = self._session.self_participant if self._session is not None else None
        # Our own upload comes back too, possibly before its answer: by our account, it is not one to fetch.
        if file is None or file.id in self.files_received or (me is not None and file.uploaded_by == me.user_id):
            return
        entry: dict[str, Any] = {
            "id": file.id,
            "name": file.name,
            "size": file.size,
            "sha256": file.sha256,
            "from": message.from_,
            "username": message.username,
            "savedTo": None,
            "verified": None,
            "error": None,
        }
        self.files_received[file.id] = entry
        if self.args.save_files is not None:
            task = asyncio.ensure_future(self._download(file, entry))
            self._downloads.add(task)
            task.add_done_callback(self._downloads.discard)

    def reaction(self, socket_id: str, emoji: str) -> None:
        me = self._session.self_participant if self._session is not None else None
        if me is not None and socket_id == me.socket_id:
            return  # our own, told back to us: already in ``sent``
        self.reactions_received.append({"socketId": socket_id, "emoji": emoji, "atS": _at(self.started)})

    def muted_by_host(self, media: ModeratedMedia, by_username: str | None) -> None:
        logger.info("%s muted our %s", by_username or "a host", media)
        self.muted.append({"media": media, "byUsername": by_username, "atS": _at(self.started)})

    def ended_by_server(self, reason: EndReason, by_username: str | None) -> None:
        logger.info("the call ended: %s%s", reason, f" by {by_username}" if by_username else "")
        self.ended = {"reason": reason, "byUsername": by_username, "atS": _at(self.started)}
        if self.lobby_since is not None and self.lobby is None:
            self._lobby_outcome(reason)
        self.call_ended.set()

    def _lobby_outcome(self, outcome: str) -> None:
        assert self.lobby_since is not None
        self.lobby = {"waitedS": round(time.monotonic() - self.lobby_since, 1), "outcome": outcome}

    # ---- what the bot does ----------------------------------------------------------------------------------

    async def wait_for_room(self, stop: asyncio.Event) -> bool:
        """True once in the room; False when the lobby wait ended otherwise (denied, the meeting ended, timed out,
        or the bot was stopped), with the outcome in the report."""
        timeout = self.args.lobby_timeout or None
        waits = [asyncio.ensure_future(e.wait()) for e in (self.in_room, self.call_ended, stop)]
        try:
            await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waits:
                waiter.cancel()
        if self.in_room.is_set():
            return True
        if self.lobby is None and self.lobby_since is not None:
            self._lobby_outcome("stopped" if stop.is_set() else "timed-out")
        return False

    async def act(self) -> None:
        """Everything the options ask for, once in the room, in order; a refusal is reported, never fatal."""
        session, api = self._session, self._api
        assert session is not None
        assert api is not None
        for text in self.args.chat:
            with self._reported("--chat"):
                message = await session.send_chat(text)
                self.sent_ids.add(message.id)
        for path in self.args.send_file:
            with self._reported("--send-file"):
                info = await api.upload_file(self._room_id, path)
                self.files_sent.append({"id": info.id, "name": info.name, "size": info.size, "sha256": info.sha256})
        if self.args.raise_hand:
            with self._reported("--raise-hand"):
                await session.raise_hand(True)
        for emoji in self.args.react:
            with self._reported("--react"):
                await session.react(emoji)
                self.reactions_sent.append(emoji)

    @contextlib.contextmanager
    def _reported(self, option: str) -> Iterator[None]:
        try:
            yield
        except (SignalingError, RestError) as exc:
            code = exc.code if isinstance(exc, SignalingError) else None
            assert self._session is not None
            self._session.report_error(CallError(CallErrorKind.FAILED, f"{option}: {exc}", code=code))

    async def _download(self, file: FileInfo, entry: dict[str, Any]) -> None:
        assert self._api is not None
        directory = Path(self.args.save_files)
        dest = directory / _safe_name(file)
        if dest.exists():
            dest = directory / f"{file.id}-{dest.name}"
        try:
            saved = await self._api.download_file(self._room_id, file, dest)
        except (RestError, ValueError) as exc:
            # False: what arrived was not the file (and was deleted); None: nothing to check (refused, unreachable).
            entry["verified"] = False if isinstance(exc, FileIntegrityError) else None
            entry["error"] = str(exc)
            return
        entry["savedTo"], entry["verified"] = str(saved), True

    async def finish(self) -> None:
        """Let the downloads still running finish (the files are gone with the meeting, and only people in the
        room may fetch them): DOWNLOAD_GRACE_S at most."""
        if not self._downloads:
            return
        _, late = await asyncio.wait(set(self._downloads), timeout=DOWNLOAD_GRACE_S)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        for entry in self.files_received.values():
            if self.args.save_files is not None and entry["savedTo"] is None and entry["error"] is None:
                entry["error"] = "not finished when the call ended"

    # ---- the report ---------------------------------------------------------------------------------------

    def report(self) -> dict[str, Any]:
        sent_files = {sent["id"] for sent in self.files_sent}

        def ours(message: ChatMessage) -> bool:
            return message.id in self.sent_ids or (message.file is not None and message.file.id in sent_files)

        received_files = [entry for entry in self.files_received.values() if entry["id"] not in sent_files]
        return {
            "lobby": self.lobby,
            "moderation": {"mutedByHost": self.muted, "ended": self.ended},
            "chat": {
                "sent": [m.wire() for m in self.chat if ours(m)],
                "received": [m.wire() for m in self.chat if not ours(m)],
            },
            "files": {"sent": self.files_sent, "received": received_files},
            "reactions": {"sent": self.reactions_sent, "received": self.reactions_received},
        }


def _safe_name(file: FileInfo) -> str:
    """The server's name for the file, as a plain name in our directory (never a path out of it)."""
    name = Path(file.name.replace("\\", "/")).name
    return name if name not in ("", ".", "..") and not name.startswith(".") else f"file-{file.id}"
