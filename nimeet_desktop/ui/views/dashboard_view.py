"""The home screen: who is signed in, start a call, join one by link or id, recent rooms, log out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from nimeet_desktop.net.links import InvalidLink, parse_join_target
from nimeet_desktop.net.rest import ApiError, RestError
from nimeet_desktop.task_set import TaskSet
from nimeet_desktop.ui import icons, messages, theme
from nimeet_desktop.ui.calendar.upcoming import UpcomingMeetings
from nimeet_desktop.ui.context import AppContext
from nimeet_desktop.ui.delete_question import Names, ask_to_delete
from nimeet_desktop.ui.form import card, error_label, show_error, title
from nimeet_desktop.ui.invitation import Invitation, copy_app_link, copy_invite, invitation, invite_menu, menu_button
from nimeet_desktop.ui.network_hosting import NetworkHostingPanel
from nimeet_desktop.ui.room_dialog import RoomDialog
from nimeet_desktop.ui.untrusted import (
    ADDRESS_CHARS,
    NAME_CHARS,
    ElidedLabel,
    clip,
    elide_items,
    isolate,
    plain_label,
    tooltip,
)
from signaling_server.protocol import ErrorCode, Room, RoomInfoResponse

logger = logging.getLogger(__name__)

ROOM_ID_ROLE = Qt.ItemDataRole.UserRole
INVITE_ROLE = Qt.ItemDataRole.UserRole + 1  # the room's inviteUrl as the server gave it (None from older servers)
ROOM_ROLE = Qt.ItemDataRole.UserRole + 2  # the Room itself: its settings, and whether the user owns it


class DashboardView(QWidget):
    join_requested = Signal(str, object)  # a room id, checked to exist, and its RoomInfoResponse (pre-join shows it)
    logged_out = Signal()
    toast = Signal(str)
    error_toast = Signal(str)  # a toast in the error colour (ToastKind.ERROR)
    # A pasted link naming another server: the window offers to switch (it never happens silently).
    link_for_another_server = Signal(object)  # a JoinTarget
    settings_requested = Signal()
    calendar_requested = Signal()
    history_requested = Signal()
    recordings_requested = Signal()

    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        # What the user asked for (create, join, log out): one at a time.
        self.tasks = TaskSet("ui.dashboard", log=logger)
        self.loading = TaskSet("ui.rooms", log=logger)  # the room list: never a reason to ignore a click
        self._load_task: asyncio.Task[Any] | None = None
        # The room settings (new call, Edit) and the question Delete asks, while open.
        self.room_dialog: RoomDialog | None = None
        self.delete_question: QMessageBox | None = None

        self.user_label = ElidedLabel()
        self.user_label.setObjectName("userLabel")
        self.user_label.setProperty("role", "title")
        self.email_label = ElidedLabel()
        self.logout_button = QPushButton(icons.icon("logout"), self.tr("Log out"))
        self.logout_button.setObjectName("logout")
        self.settings_button = QPushButton(icons.icon("settings"), self.tr("Settings"))
        self.settings_button.setObjectName("openSettings")
        self.calendar_button = QPushButton(self.tr("Calendar"))
        self.calendar_button.setObjectName("openCalendar")
        self.history_button = QPushButton(icons.icon("statistics"), self.tr("History"))
        self.history_button.setObjectName("openHistory")
        self.history_button.setToolTip(self.tr("Your meetings and statistics"))
        self.recordings_button = QPushButton(self.tr("Recordings"))
        self.recordings_button.setObjectName("openRecordings")
        self.recordings_button.setToolTip(self.tr("The calls you recorded"))
        header = QHBoxLayout()
        who = QVBoxLayout()
        who.addWidget(self.user_label)
        who.addWidget(self.email_label)
        header.addLayout(who, 1)
        header.addWidget(self.calendar_button, 0, Qt.AlignmentFlag.AlignTop)
        header.addWidget(self.history_button, 0, Qt.AlignmentFlag.AlignTop)
        header.addWidget(self.recordings_button, 0, Qt.AlignmentFlag.AlignTop)
        header.addWidget(self.settings_button, 0, Qt.AlignmentFlag.AlignTop)
        header.addWidget(self.logout_button, 0, Qt.AlignmentFlag.AlignTop)

        start, start_layout = card()
        self.new_call_button = QPushButton(icons.icon("camera", theme.ON_ACCENT), self.tr("New call"))
        self.new_call_button.setObjectName("newCall")
        self.new_call_button.setProperty("primary", True)
        self.join_edit = QLineEdit()
        self.join_edit.setObjectName("joinEdit")
        self.join_edit.setPlaceholderText(self.tr("Invite link or room id"))
        self.join_edit.setClearButtonEnabled(True)
        self.join_button = QPushButton(self.tr("Join"))
        self.join_button.setObjectName("joinButton")
        self.join_error = error_label()
        join_row = QHBoxLayout()
        join_row.setSpacing(12)
        join_row.addWidget(self.new_call_button)
        join_row.addSpacing(12)
        join_row.addWidget(self.join_edit, 1)
        join_row.addWidget(self.join_button)
        start_layout.addWidget(title(self.tr("Start or join a call")))
        start_layout.addLayout(join_row)
        start_layout.addWidget(self.join_error)
        self.hosting = NetworkHostingPanel()  # hidden unless this app runs the server
        start_layout.addWidget(self.hosting)

        recent, recent_layout = card()
        self.rooms = QListWidget()
        self.rooms.setObjectName("recentRooms")
        self.rooms.setAlternatingRowColors(True)
        elide_items(self.rooms)  # a room's name may be 100 characters: elided, never a sideways scroll
        self.rooms_status = plain_label()
        self.copy_button = QPushButton(icons.icon("copy"), self.tr("Copy invite link"))
        self.copy_button.setObjectName("copyInvite")
        self.copy_menu = menu_button(
            invite_menu(self, self._copy_selected, self._copy_selected_app_link), "inviteMenuButton"
        )
        self.open_button = QPushButton(self.tr("Join selected"))
        self.open_button.setObjectName("joinSelected")
        # A room the user owns: its settings, or gone. Disabled for anyone else's room (the server would say no).
        self.edit_button = QPushButton(icons.icon("settings"), self.tr("Edit"))
        self.edit_button.setObjectName("editRoom")
        self.delete_button = QPushButton(self.tr("Delete"))
        self.delete_button.setObjectName("deleteRoom")
        self.refresh_button = QPushButton(icons.icon("refresh"), "")
        self.refresh_button.setToolTip(self.tr("Refresh"))
        self.refresh_button.setAccessibleName(self.tr("Refresh"))
        room_buttons = QHBoxLayout()
        room_buttons.addWidget(self.edit_button)
        room_buttons.addWidget(self.delete_button)
        room_buttons.addStretch(1)
        room_buttons.addWidget(self.copy_button)
        room_buttons.addWidget(self.copy_menu)
        room_buttons.addWidget(self.open_button)
        recent_title = QHBoxLayout()
        recent_title.addWidget(title(self.tr("Recent rooms")))
        recent_title.addStretch(1)
        recent_title.addWidget(self.refresh_button)
        recent_layout.addLayout(recent_title)
        recent_layout.addWidget(self.rooms, 1)
        recent_layout.addWidget(self.rooms_status)
        recent_layout.addLayout(room_buttons)

        # The next meetings and the invitations awaiting an answer (issue 15), beside the rooms.
        self.upcoming = UpcomingMeetings(context)
        lower = QHBoxLayout()
        lower.setSpacing(16)
        lower.addWidget(recent, 3)
        lower.addWidget(self.upcoming, 2)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(32, 24, 32, 24)
        outer.setSpacing(16)
        outer.addLayout(header)
        outer.addWidget(start)
        outer.addLayout(lower, 1)

        self.logout_button.clicked.connect(lambda: self.tasks.spawn(self._logout(), name="logout"))
        self.settings_button.clicked.connect(self.settings_requested)
        self.history_button.clicked.connect(self.history_requested)
        self.recordings_button.clicked.connect(self.recordings_requested)
        self.new_call_button.clicked.connect(self._new_call)
        self.join_button.clicked.connect(self._join_typed)
        self.join_edit.returnPressed.connect(self._join_typed)
        self.join_edit.textEdited.connect(lambda _t: show_error(self.join_error, None))
        self.rooms.itemDoubleClicked.connect(lambda item: self._open_room(item.data(ROOM_ID_ROLE)))
        self.rooms.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.copy_button.clicked.connect(self._copy_selected)
        self.open_button.clicked.connect(lambda: self._open_room(self._selected_room()))
        self.refresh_button.clicked.connect(self.refresh)
        self.edit_button.clicked.connect(self._edit_selected)
        self.delete_button.clicked.connect(self._ask_delete_selected)
        self.hosting.toast.connect(self.toast)
        self.upcoming.join_requested.connect(self.join_room)
        self.calendar_button.clicked.connect(self.calendar_requested)
        self.upcoming.toast.connect(self.toast)
        self._update_buttons()

    def changeEvent(self, event: QEvent) -> None:
        # Icons drawn in the palette's colour: redraw them when the system switches between light and dark.
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_icons()
        super().changeEvent(event)

    def _apply_icons(self) -> None:
        self.logout_button.setIcon(icons.icon("logout"))
        self.settings_button.setIcon(icons.icon("settings"))
        self.history_button.setIcon(icons.icon("statistics"))
        self.copy_button.setIcon(icons.icon("copy"))
        self.refresh_button.setIcon(icons.icon("refresh"))
        self.edit_button.setIcon(icons.icon("settings"))

    # ---- data -------------------------------------------------------------------------------------------

    def refresh(self) -> None:
        user = self.context.user
        self.user_label.setText(user.username if user else "")
        self.email_label.setText(user.email if user else "")
        self.hosting.update_from(self.context)
        # A newer load supersedes one still out: the older answer must not land on top of the newer one.
        if self._load_task is not None:
            self._load_task.cancel()
        self._load_task = self.loading.spawn(self._load_rooms(), name="load-rooms")
        self.upcoming.refresh()

    async def _load_rooms(self) -> None:
        self.rooms_status.setText(self.tr("Loading…"))
        self.rooms_status.show()
        try:
            listed = await self.context.api.list_rooms()
            remembered = await self._remembered_rooms({r.room_id for r in listed})
        except RestError as exc:
            self.rooms_status.setText(
                self.tr("Could not load your rooms. {reason}").format(reason=messages.rest_error(exc))
            )
            return
        self.rooms.clear()
        # The server's order as it is (most recent activity first, which only it knows); rooms only this app
        # remembers come after it.
        for room in [*listed, *remembered]:
            # The server's words: capped, and the name isolated so that its direction marks cannot reorder the id.
            item = QListWidgetItem(f"{isolate(room.name, NAME_CHARS)}    ·    {clip(room.room_id)}")
            item.setData(ROOM_ID_ROLE, room.room_id)
            item.setData(INVITE_ROLE, room.invite_url)
            item.setData(ROOM_ROLE, room)
            invite = invitation(room.room_id, self.context.server_url, room.invite_url)
            item.setToolTip(tooltip(invite.web or invite.app, ADDRESS_CHARS))
            self.rooms.addItem(item)
        self.rooms_status.setText("" if self.rooms.count() else self.tr("No rooms yet: start a new call."))
        self.rooms_status.setVisible(not self.rooms.count())
        if self.rooms.count():
            self.rooms.setCurrentRow(0)  # the copy and join buttons then work at once on the newest room
        self._update_buttons()

    async def _remembered_rooms(self, listed: set[str]) -> list[Room]:
        """Rooms joined from this app on this server that the server does not list (an older server lists only
        the user's own rooms), newest first; a room gone from the server is left out."""
        ids = [r for r in self.context.recent_rooms() if r not in listed][:5]
        results = await asyncio.gather(*(self.context.api.get_room(r) for r in ids), return_exceptions=True)
        return [r.room for r in results if not isinstance(r, BaseException)]

    def _selected_room(self) -> str | None:
        item = self.rooms.currentItem()
        return None if item is None else str(item.data(ROOM_ID_ROLE))

    def _selected_owned_room(self) -> Room | None:
        """The selected room when the signed-in user owns it (only its owner may change or delete it)."""
        item = self.rooms.currentItem()
        room = None if item is None else item.data(ROOM_ROLE)
        user = self.context.user
        if isinstance(room, Room) and user is not None and room.owner_id == user.id:
            return room
        return None

    def _update_buttons(self) -> None:
        selected = self._selected_room() is not None
        self.copy_button.setEnabled(selected)
        self.copy_menu.setEnabled(selected)
        self.open_button.setEnabled(selected)
        owned = self._selected_owned_room() is not None
        self.edit_button.setEnabled(owned)
        self.delete_button.setEnabled(owned)
        tip = "" if owned or not selected else self.tr("Only the room's owner can change or delete it")
        for button in (self.edit_button, self.delete_button):
            button.setToolTip(tip)

    # ---- actions ----------------------------------------------------------------------------------------

    def _selected_invitation(self) -> Invitation | None:
        item = self.rooms.currentItem()
        if item is None:
            return None
        invite_url = item.data(INVITE_ROLE)
        return invitation(
            str(item.data(ROOM_ID_ROLE)), self.context.server_url, invite_url if isinstance(invite_url, str) else None
        )

    def _copy_selected(self) -> None:
        if (invite := self._selected_invitation()) is not None:
            self.toast.emit(copy_invite(invite))

    def _copy_selected_app_link(self) -> None:
        if (invite := self._selected_invitation()) is not None:
            self.toast.emit(copy_app_link(invite))

    # ---- room settings: a new call, Edit, Delete (issue 14) ----------------------------------------------

    def _new_call(self) -> None:
        """The new room's settings first (its name filled in: Enter starts the call); the room is created when
        they are saved, and pre-join opens for it."""
        user = self.context.user
        name = self.tr("{name}'s call").format(name=user.username) if user else ""
        self._open_room_dialog(RoomDialog(self.context, self, default_name=name), self._created)

    def _created(self, room: Room) -> None:
        self.join_requested.emit(room.room_id, RoomInfoResponse(room=room, participant_count=0))

    def _edit_selected(self) -> None:
        room = self._selected_owned_room()
        if room is not None:
            self._open_room_dialog(RoomDialog(self.context, self, room=room), self._edited)

    def _edited(self, _room: Room) -> None:
        self.toast.emit(self.tr("Room settings saved"))
        self.refresh()

    def _open_room_dialog(self, dialog: RoomDialog, on_saved: Callable[[Room], None]) -> None:
        if self.room_dialog is not None:  # one at a time: a double click opens one dialog, makes one room
            dialog.deleteLater()
            return
        self.room_dialog = dialog
        dialog.saved.connect(on_saved)
        dialog.finished.connect(lambda _result: self._room_dialog_closed(dialog))
        dialog.open()

    def _room_dialog_closed(self, dialog: RoomDialog) -> None:
        if self.room_dialog is dialog:
            self.room_dialog = None
        # The window is where the keys go again (pre-join's M and V): not every platform hands activation back.
        self.window().activateWindow()
        self.tasks.spawn(_dispose_dialog(dialog), name="room-dialog-closed")

    def _ask_delete_selected(self) -> None:
        room = self._selected_owned_room()
        if room is None or self.delete_question is not None:
            return
        self.delete_question = ask_to_delete(
            self,
            Names("deleteRoomQuestion", "confirmDelete", "cancelDelete"),
            title=self.tr("Delete room?"),
            text=self.tr("Delete “{room}”?").format(room=isolate(room.name, NAME_CHARS)),
            detail=self.tr(
                "Anyone in it now leaves the call, and its invite link stops working. This cannot be undone."
            ),
            answered=lambda question, yes: self._delete_answered(question, room, yes),
        )

    def _delete_answered(self, question: QMessageBox, room: Room, yes: bool) -> None:
        if self.delete_question is question:
            self.delete_question = None
        question.deleteLater()
        if yes:
            self.tasks.spawn(self._delete(room), name="delete-room")

    async def _delete(self, room: Room) -> None:
        try:
            await self.context.api.delete_room(room.room_id)
        except ApiError as exc:
            if exc.status == 403 and exc.code == ErrorCode.FORBIDDEN:
                self.error_toast.emit(self.tr("Only the room's owner can delete it"))
            elif exc.status == 404:  # gone already: the list catches up
                self.error_toast.emit(messages.error_code(ErrorCode.ROOM_NOT_FOUND) or messages.api_error(exc))
                self.refresh()
            else:
                reason = messages.api_error(exc)
                self.error_toast.emit(self.tr("Could not delete the room. {reason}").format(reason=reason))
            return
        except RestError as exc:
            reason = messages.rest_error(exc)
            self.error_toast.emit(self.tr("Could not delete the room. {reason}").format(reason=reason))
            return
        self.toast.emit(self.tr("Room deleted"))
        self.refresh()

    def _join_typed(self) -> None:
        text = self.join_edit.text().strip()
        try:
            target = parse_join_target(text)
        except InvalidLink as exc:
            show_error(self.join_error, messages.link_error(exc))
            return
        if target.server_url is not None and not self.context.is_current_server(target.server_url):
            self.join_edit.clear()
            self.link_for_another_server.emit(target)
            return
        self._open_room(target.room_id)

    def join_room(self, room_id: str) -> None:
        """Join a room by id the way a typed one is (checked, then pre-join): a scheduled meeting's Join."""
        self._open_room(room_id)

    def _open_room(self, room_id: str | None) -> None:
        if room_id and not self.tasks.busy:
            self.tasks.spawn(self._check_and_join(room_id), name="check-room")

    async def _check_and_join(self, room_id: str) -> None:
        try:
            info = await self.context.api.get_room(room_id)
        except ApiError as exc:
            show_error(
                self.join_error,
                messages.error_code(ErrorCode.ROOM_NOT_FOUND) if exc.status == 404 else messages.api_error(exc),
            )
            return
        except RestError as exc:
            show_error(self.join_error, messages.rest_error(exc))
            return
        self.join_edit.clear()
        self.join_requested.emit(room_id, info)

    async def _logout(self) -> None:
        self.logout_button.setEnabled(False)  # a few seconds at most, if the server is slow to answer
        await self.loading.cancel_all()  # a room list still loading belongs to the session that ends
        try:
            await self.context.log_out()
        finally:
            self.logout_button.setEnabled(True)
        self.logged_out.emit()

    async def shutdown(self) -> None:
        """Stop what this screen started; the window awaits it when it closes."""
        dialog, self.room_dialog = self.room_dialog, None
        if dialog is not None:
            dialog.reject()
            await dialog.shutdown()
        await self.upcoming.shutdown()
        await self.tasks.close()
        await self.loading.close()


async def _dispose_dialog(dialog: RoomDialog) -> None:
    await dialog.shutdown()
    dialog.deleteLater()
