"""The meeting's wiring for one call: the engine's meeting events to the call window and its panel, and what the
person does there (chat, files, hands, reactions, a host's actions) back to the engine and the server.

The view keeps no meeting state of its own: each ``meeting_changed`` snapshot from the engine redraws the people,
the lobby and the lock, and the buttons change because the server answered, not because they were clicked. Files go
over REST (``ApiClient`` on the UI's loop), streamed from and to disk, with their progress in the panel.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject

from nimeet_desktop.call.meeting import MeetingSnapshot
from nimeet_desktop.net.file_transfer import TransferCancelled
from nimeet_desktop.net.rest import RestError
from nimeet_desktop.net.signaling import SignalingError
from nimeet_desktop.task_set import TaskSet
from nimeet_desktop.ui import messages
from nimeet_desktop.ui.context import AppContext
from nimeet_desktop.ui.engine_call import EngineCall
from nimeet_desktop.ui.meeting.panel import MeetingPanel
from nimeet_desktop.ui.room_dialog import RoomDialog
from nimeet_desktop.ui.toast import ToastKind
from signaling_server.protocol import ChatMessage, FileInfo, LobbyEntry, ModeratedMedia, Participant, Role

if TYPE_CHECKING:
    from nimeet_desktop.ui.views.call_view import CallView

logger = logging.getLogger(__name__)


class MeetingController(QObject):
    def __init__(self, view: CallView, call: EngineCall, context: AppContext, room_id: str) -> None:
        super().__init__(call)
        self.view = view
        self.panel: MeetingPanel = view.meeting
        self.call = call
        self.context = context
        self.room_id = room_id
        self.tasks = TaskSet("ui.meeting", on_error=self._failed, log=logger)
        self.me: Participant | None = None
        self._lobby: tuple[LobbyEntry, ...] = ()
        self._pending: list[ChatMessage] = []  # messages that came before we knew who we are
        self._waiting = False  # we wait in the lobby (the window shows its screen)
        self._uploads: dict[str, asyncio.Event] = {}
        self._downloads: dict[str, asyncio.Task[None]] = {}
        call.meeting_changed.connect(self._meeting)
        call.chat_message.connect(self._chat)
        call.reaction.connect(view.show_reaction)
        call.muted_by_host.connect(lambda media, by: view.muted_by_host(media, by or None))
        call.call_ended.connect(view.ended)
        view.raise_hand.connect(lambda raised: self._do(call.raise_hand(raised)))
        view.react.connect(lambda emoji: self._do(call.react(emoji)))
        panel = self.panel
        panel.admit.connect(lambda sid: self._do(call.admit(sid)))
        panel.deny.connect(lambda sid: self._do(call.deny(sid)))
        panel.admit_all.connect(self._admit_all)
        panel.mute.connect(lambda sid, media: self._do(call.mute_participant(sid, _media(media))))
        panel.set_role.connect(lambda sid, role: self._do(call.set_role(sid, _role(role))))
        panel.lower_hand.connect(lambda sid: self._do(call.lower_hand(sid)))
        panel.remove.connect(lambda sid: self._do(call.remove_participant(sid)))
        panel.mute_all.connect(lambda: self._do(call.mute_all()))
        panel.lock.connect(lambda locked: self._do(call.lock_room(locked)))
        panel.send_chat.connect(lambda text, to: self._do(call.send_chat(text, to)))
        panel.send_file.connect(self._send_file)
        panel.cancel_upload.connect(self._cancel_upload)
        panel.save_file.connect(self._save_file)
        panel.cancel_download.connect(self._cancel_download)
        panel.edit_room.connect(self._edit_room)
        self.room_dialog: RoomDialog | None = None

    async def close(self) -> None:
        for event in self._uploads.values():
            event.set()
        dialog, self.room_dialog = self.room_dialog, None
        if dialog is not None:
            dialog.reject()
            await dialog.shutdown()
            dialog.deleteLater()
        await self.tasks.close()

    # ---- the engine's events ----
    def waiting_started(self) -> None:
        """The join's answer was "wait in the lobby" (said once, whether its snapshot came first or not)."""
        if not self._waiting and self.me is None:
            self._waiting = True
            self.view.waiting.emit()

    def _meeting(self, meeting: MeetingSnapshot) -> None:
        if meeting.waiting:
            self.waiting_started()
            return
        if meeting.me is None or meeting.ended is not None:
            return
        if self._waiting:
            self._waiting = False
            self.view.admitted.emit()
        first = self.me is None
        self.me = meeting.me
        self.view.show_meeting_controls(True)
        self.view.set_people(meeting.me.socket_id, [meeting.me, *meeting.participants], meeting.is_host)
        self._lobby = meeting.lobby if meeting.is_host else ()
        self.panel.set_lobby(list(self._lobby))
        self.panel.set_locked(meeting.locked)
        if first and self._pending:
            self.panel.set_history([*self._pending])
            self._pending.clear()
        if first:
            self.tasks.spawn(self._learn_owner(meeting.me.user_id), name="room owner")
        if meeting.room is not None:
            self.view.title.setText(meeting.room.name)  # renamed by its owner during the call

    async def _learn_owner(self, user_id: str) -> None:
        info = await self.context.room_info(self.room_id)
        self.panel.people.set_room_owner(info is not None and info.room.owner_id == user_id)

    def _edit_room(self) -> None:
        """The owner's room settings, from the call: the dialog sends the change itself; the server then tells
        everyone in the room (``room-updated``), us included."""
        if self.room_dialog is not None:
            return
        self.tasks.spawn(self._open_room_dialog(), name="room settings")

    async def _open_room_dialog(self) -> None:
        info = await self.context.room_info(self.room_id)
        if info is None or self.room_dialog is not None:
            if info is None:
                self.view.toast.emit(
                    QCoreApplication.translate("MeetingController", "The room's settings cannot be read right now."),
                    ToastKind.ERROR,
                )
            return
        dialog = self.room_dialog = RoomDialog(self.context, self.view, room=info.room)
        dialog.finished.connect(lambda _result: self.tasks.spawn(self._dialog_closed(dialog), name="dialog closed"))
        dialog.open()

    async def _dialog_closed(self, dialog: RoomDialog) -> None:
        if self.room_dialog is dialog:
            self.room_dialog = None
        await dialog.shutdown()
        dialog.deleteLater()

    def _chat(self, message: ChatMessage) -> None:
        if self.me is None:
            self._pending.append(message)
            return
        mine = message.from_ == self.me.socket_id or message.user_id == self.me.user_id
        self.panel.add_message(message, mine)

    # ---- what the person does ----
    def _do(self, action: Awaitable[object]) -> None:
        async def run() -> None:
            try:
                await action
            except SignalingError as exc:
                self.view.toast.emit(messages.signaling_error(exc), ToastKind.ERROR)
            except ValueError:
                self.view.toast.emit(
                    QCoreApplication.translate(
                        "MeetingController", "That message cannot be sent: it is empty or too long."
                    ),
                    ToastKind.ERROR,
                )

        self.tasks.spawn(run(), name="meeting action")

    def _admit_all(self) -> None:
        for entry in self._lobby:
            self._do(self.call.admit(entry.socket_id))

    def _failed(self, exc: BaseException) -> None:
        self.view.toast.emit(messages.unexpected_error(exc), ToastKind.ERROR)

    # ---- files ----
    def _send_file(self, path: str) -> None:
        file = Path(path)
        try:
            size = file.stat().st_size
        except OSError:
            self.view.toast.emit(
                QCoreApplication.translate("MeetingController", "That file cannot be read."), ToastKind.ERROR
            )
            return
        token = uuid.uuid4().hex
        cancel = self._uploads[token] = asyncio.Event()
        self.panel.upload_started(token, file.name, size)

        def progress(sent: int, total: int) -> None:
            self.panel.upload_progress(token, sent / total if total else 1.0)

        async def upload() -> None:
            error: str | None = None
            try:
                await self.context.api.upload_file(self.room_id, file, progress, cancel)
            except TransferCancelled:
                pass
            except RestError as exc:
                error = messages.rest_error(exc)
            finally:
                self._uploads.pop(token, None)
            self.panel.upload_finished(token, error)

        self.tasks.spawn(upload(), name="file upload")

    def _cancel_upload(self, token: str) -> None:
        event = self._uploads.get(token)
        if event is not None:
            event.set()

    def _save_file(self, info: FileInfo, path: str) -> None:
        if info.id in self._downloads:
            return

        def progress(received: int, total: int) -> None:
            self.panel.download_progress(info.id, received / total if total else 1.0)

        async def download() -> None:
            error: str | None = None
            try:
                await self.context.api.download_file(self.room_id, info, path, progress)
            except asyncio.CancelledError:
                self.panel.download_finished(
                    info.id, QCoreApplication.translate("MeetingController", "Not saved: cancelled.")
                )
                raise
            except RestError as exc:
                error = messages.rest_error(exc)
            finally:
                self._downloads.pop(info.id, None)
            self.panel.download_finished(info.id, error)

        task = self.tasks.spawn(download(), name="file download")
        if task is not None:
            self._downloads[info.id] = task

    def _cancel_download(self, file_id: str) -> None:
        task = self._downloads.get(file_id)
        if task is not None:
            task.cancel()


def _media(value: str) -> ModeratedMedia:
    return "camera" if value == "camera" else "microphone"


def _role(value: str) -> Role:
    return "host" if value == "host" else "participant"
