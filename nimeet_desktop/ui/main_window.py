"""The one window: a stack of screens (server, sign in, dashboard, pre-join, call) and the moves between them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import cast

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QMainWindow, QStackedWidget, QWidget

from nimeet_desktop.call.errors import CallError
from nimeet_desktop.media.audio_processing import AudioProcessingConfig
from nimeet_desktop.media.base import AudioSource
from nimeet_desktop.media.device_watch import DeviceKind
from nimeet_desktop.media.provider import VideoHeight
from nimeet_desktop.net.error_codes import AnyErrorCode
from nimeet_desktop.net.links import JoinTarget
from nimeet_desktop.net.rest import ApiError, RestError
from nimeet_desktop.task_set import TaskSet
from nimeet_desktop.ui import i18n, messages
from nimeet_desktop.ui.calendar.calendar_view import CalendarView
from nimeet_desktop.ui.call_ended import CallEnd, CallEndedNotice
from nimeet_desktop.ui.close_during_call import CloseGuard
from nimeet_desktop.ui.context import AppContext
from nimeet_desktop.ui.device_messages import call_error_text
from nimeet_desktop.ui.local_server_start import (
    LocalServerError,
    adopts_a_server_it_did_not_start,
    plans_local_server,
    server_answers,
    start_local_server,
)
from nimeet_desktop.ui.meeting_reminders import MeetingReminders
from nimeet_desktop.ui.notifications import window_is_active
from nimeet_desktop.ui.password_prompt import PasswordProblem
from nimeet_desktop.ui.push_to_talk import PushToTalkSection
from nimeet_desktop.ui.settings.feeds import BorrowedPreview, CallDevices, DeviceFeed
from nimeet_desktop.ui.settings.window import SettingsWindow
from nimeet_desktop.ui.switch_server import SwitchServerDialog
from nimeet_desktop.ui.toast import ToastHost, ToastKind
from nimeet_desktop.ui.untrusted import ADDRESS_CHARS, clip
from nimeet_desktop.ui.views.auth_view import AuthView
from nimeet_desktop.ui.views.call_view import CallView, JoinFailure
from nimeet_desktop.ui.views.dashboard_view import DashboardView
from nimeet_desktop.ui.views.history_view import HistoryView
from nimeet_desktop.ui.views.lobby_view import LobbyView
from nimeet_desktop.ui.views.prejoin_view import PreJoinView
from nimeet_desktop.ui.views.recordings_view import RecordingsView
from nimeet_desktop.ui.views.server_view import ServerView
from nimeet_desktop.unattended import Credentials
from signaling_server.protocol import ErrorCode, RoomInfoResponse

logger = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    closed = Signal()
    views_rebuilt = Signal()  # the screens were made again (another language): whoever watches them, again
    language_changed = Signal()  # the interface language changed: whatever shows words of its own redraws them

    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.tasks = TaskSet(
            "ui.window",
            on_error=lambda exc: self.toasts.show_message(messages.unexpected_error(exc), ToastKind.ERROR),
            log=logger,
        )
        self._pending_room: str | None = None
        self._pending_ics: Path | None = None  # a calendar file to schedule from, once signed in
        self.switch_dialog: SwitchServerDialog | None = None  # asking whether to follow a link to another server
        self._closing = False
        self._quitting = False
        # Unattended start (``start``): a sign-in from the environment, used once and then forgotten, and the room
        # of a ``--join-now`` link, joined without pre-join the first time pre-join would open for it.
        self._unattended: Credentials | None = None
        self._join_now_room: str | None = None
        # Set by the tray (ui/tray.py) when there is one: closing during a call may then keep the call in the tray.
        self.close_guard: CloseGuard | None = None
        self.call_ended_notice: CallEndedNotice | None = None  # why the last call ended, until it is read
        self.setWindowTitle("NIMeet")
        self.resize(1100, 720)

        self.stack = QStackedWidget()
        self.setCentralWidget(self.stack)
        self.toasts = ToastHost(self.stack)
        self._language_pending = False  # the language changed in a call: the screens are rebuilt after it
        self._build_views()
        # ---- the settings window (issue 12, settingsui) ----
        self.settings_window = SettingsWindow(
            context, borrowed_feed=self._devices_in_use, in_call=lambda: self.in_call, parent=self
        )
        self.settings_window.language_changed.connect(self.set_language)
        self.settings_window.change_server_requested.connect(self.change_server)
        self.stack.currentChanged.connect(lambda _index: self.settings_window.refresh())
        # What the window changes reaches the running call at once (and the next one through the settings).
        self.settings_window.audio_processing_changed.connect(self._apply_audio_processing)
        self.settings_window.device_chosen.connect(self._apply_device)
        self.settings_window.video_quality_changed.connect(self._apply_video_quality)
        self.settings_window.background_changed.connect(self._apply_background)
        self.settings_window.add_audio_section(self._push_to_talk_section)
        # ----
        context.preferences.applied = self._preferences_applied
        # ---- reminders of scheduled meetings (issue 15) ----
        self.reminders = MeetingReminders(
            self.stack,
            context.reminders,
            join=self.join_meeting,
            window_active=lambda: window_is_active(self),
            notifications=lambda: context.settings.notifications,
        )
        self.language_changed.connect(self.reminders.retranslate)

    def _build_views(self) -> None:
        """The screens, made in the language now installed, and what connects them to the window."""
        context = self.context
        self.server_view = ServerView(context)
        self.auth_view = AuthView(context)
        self.dashboard = DashboardView(context)
        self.prejoin = PreJoinView(context)
        self.call_view = CallView(context)
        self.lobby_view = LobbyView()
        self.calendar_view = CalendarView(context)
        self.history_view = HistoryView(context)
        self.recordings_view = RecordingsView(context)
        for view in self._screens():
            self.stack.addWidget(view)
        self.toasts.raise_()
        self.auth_view.set_invited(self._pending_room is not None)

        self.server_view.connected.connect(lambda: self.tasks.spawn(self._resume_session(), name="resume"))
        self.server_view.toast.connect(self.toasts.show_message)
        self.auth_view.signed_in.connect(self._after_sign_in)
        self.auth_view.change_server.connect(lambda: self._show_server(None))
        self.auth_view.toast.connect(self.toasts.show_message)
        self.dashboard.join_requested.connect(self.open_prejoin)
        self.dashboard.logged_out.connect(lambda: self._show(self.auth_view))
        self.dashboard.toast.connect(self.toasts.show_message)
        self.dashboard.error_toast.connect(lambda message: self.toasts.show_message(message, ToastKind.ERROR))
        self.dashboard.link_for_another_server.connect(self.open_link)
        self.dashboard.calendar_requested.connect(lambda: self._show(self.calendar_view))
        self.calendar_view.back.connect(lambda: self._show(self.dashboard))
        self.calendar_view.join_requested.connect(self._join_from_calendar)
        self.calendar_view.toast.connect(self.toasts.show_message)
        self.prejoin.back.connect(lambda: self.tasks.spawn(self._back_from_prejoin(), name="prejoin-back"))
        self.prejoin.join.connect(
            lambda room, camera, mic: self.tasks.spawn(self._join(room, camera, mic), name="join")
        )
        self.prejoin.toast.connect(self.toasts.show_message)
        self.call_view.left_call.connect(self._after_call)
        self.call_view.waiting.connect(lambda: self.show_waiting())
        self.call_view.admitted.connect(self.show_admitted)
        self.call_view.ended.connect(lambda reason, by: self.show_call_ended(reason, by or None))
        self.lobby_view.cancelled.connect(self._leave_lobby)
        self.call_view.toast.connect(self.toasts.show_message)
        self.dashboard.settings_requested.connect(self.open_settings)
        self.dashboard.history_requested.connect(lambda: self._show(self.history_view))
        self.history_view.back.connect(lambda: self._show(self.dashboard))
        self.dashboard.recordings_requested.connect(lambda: self._show(self.recordings_view))
        self.recordings_view.back.connect(lambda: self._show(self.dashboard))
        self.recordings_view.toast.connect(self.toasts.show_message)
        self.recordings_view.error_toast.connect(lambda message: self.toasts.show_message(message, ToastKind.ERROR))
        self.call_view.settings_requested.connect(self.open_settings)
        self.call_view.state_changed.connect(lambda: self.settings_window.refresh())

    @property
    def pending_room(self) -> str | None:
        """The room of an invitation opened while signed out: pre-join opens for it once signed in."""
        return self._pending_room

    @pending_room.setter
    def pending_room(self, room_id: str | None) -> None:
        self._pending_room = room_id
        self.auth_view.set_invited(room_id is not None)

    @property
    def current(self) -> QWidget | None:
        return self.stack.currentWidget()

    def _screens(self) -> list[Screen]:
        """Every screen, in the stack's order."""
        return [
            self.server_view,
            self.auth_view,
            self.dashboard,
            self.prejoin,
            self.call_view,
            self.lobby_view,
            self.calendar_view,
            self.history_view,
            self.recordings_view,
        ]

    def _quiet_screens(self) -> list[Screen]:
        """The screens that hold no camera, microphone or call: they may be rebuilt (a new language) at once, and
        the settings window may open its own devices over them."""
        return [
            self.server_view,
            self.auth_view,
            self.dashboard,
            self.calendar_view,
            self.history_view,
            self.recordings_view,
        ]

    def _show(self, view: QWidget) -> None:
        if self._language_pending and view in self._quiet_screens():
            view = self._rebuild_views(view)
        self.stack.setCurrentWidget(view)
        if view is self.dashboard:
            self.dashboard.refresh()
        elif view is self.calendar_view:
            self.calendar_view.refresh()
        elif view is self.history_view:
            self.history_view.refresh()
        elif view is self.recordings_view:
            self.recordings_view.refresh()

    def _join_from_calendar(self, room_id: str) -> None:
        """A meeting's Join in the calendar: the dashboard's join path (the room checked, then pre-join)."""
        self._show(self.dashboard)
        self.dashboard.join_room(room_id)

    def _show_server(self, problem: str | None) -> None:
        self.server_view.show_problem(problem)
        self._show(self.server_view)

    # ---- start-up ---------------------------------------------------------------------------------------

    async def start(
        self, link: JoinTarget | None = None, *, sign_in: Credentials | None = None, join_now: bool = False
    ) -> None:
        """Find the server (starting the bundled one if that is the plan), then resume a saved session.

        A link for this server opens pre-join once signed in; a link for another one asks, once the window shows
        where the app is (signed in or not), whether to switch. ``sign_in`` (``NIMEET_EMAIL`` and
        ``NIMEET_PASSWORD``) signs in instead of the saved session or the form, in memory only; if the server
        refuses it, the sign-in form shows why. ``join_now`` joins the link's room without pre-join."""
        self._unattended = sign_in
        self._join_now_room = link.room_id if join_now and link is not None else None
        elsewhere = link is not None and self._names_another_server(link)
        if link is not None and not elsewhere:
            self.open_link(link)
        await self._connect()
        if link is not None and elsewhere:
            self.open_link(link)

    async def _connect(self) -> None:
        url = self.context.server_url
        if not await server_answers(url):
            if plans_local_server(self.context, url):
                self.toasts.show_message(self.tr("Starting the server on this computer…"))
                try:
                    await start_local_server(self.context)
                except LocalServerError as exc:
                    self._show_server(messages.local_server_error(exc))
                    return
            else:
                self._show_server(self.tr("No NIMeet server answers at {url}").format(url=clip(url, ADDRESS_CHARS)))
                return
        elif adopts_a_server_it_did_not_start(self.context, url):
            self.toasts.show_message(
                self.tr("Using the NIMeet server already running at {url}").format(url=clip(url, ADDRESS_CHARS))
            )
        await self._resume_session()

    async def _resume_session(self) -> None:
        credentials, self._unattended = self._unattended, None
        if credentials is not None:
            await self._sign_in_unattended(credentials)
            return
        token = await self.context.saved_token()
        if token is not None:
            self.context.api.token = token
            try:
                self.context.user = await self.context.api.me()
            except ApiError as exc:
                if exc.status == 401:  # expired or revoked: forget it, ask to sign in
                    await self.context.sign_out()
                else:
                    self._show_server(messages.api_error(exc))
                    return
            except RestError as exc:
                self._show_server(messages.rest_error(exc))
                return
        if self.context.user is None:
            self._show(self.auth_view)
            return
        self._after_sign_in()

    async def _sign_in_unattended(self, credentials: Credentials) -> None:
        """Sign in with the environment's credentials: kept in memory only (the keyring is not touched, nothing is
        logged but the fact). Refused (a wrong password, a server error): the form, with the email filled in and the
        error where a typed sign-in would show it."""
        try:
            auth = await self.context.api.login(credentials.email, credentials.password)
        except (ApiError, RestError) as exc:
            logger.warning("the sign-in from the environment failed: %s", type(exc).__name__)
            self.auth_view.show_refused(credentials.email, exc)
            self._show(self.auth_view)
            return
        await self.context.sign_in(auth.user, auth.token, remember=False)
        logger.info("signed in from the environment (not remembered)")
        self._after_sign_in()

    def open_ics(self, path: Path) -> None:
        """A calendar file (``nimeet --ics FILE``, the OS opening one with the app): the calendar, and the scheduling
        dialog filled in from its first event; after signing in when nobody is yet. Never during a call."""
        if self._refused_during_call():
            return
        if self.context.user is None:
            self._pending_ics = path
            return
        self._show(self.calendar_view)
        self.tasks.spawn(self.calendar_view.open_ics(path), name="open-ics")

    def _after_sign_in(self) -> None:
        self.context.start_account_services()
        ics, self._pending_ics = self._pending_ics, None
        if ics is not None and self.pending_room is None:
            self.open_ics(ics)
            return
        room, self.pending_room = self.pending_room, None
        if room is not None:
            self.open_prejoin(room)
        else:
            self._show(self.dashboard)

    def open_link(self, link: JoinTarget) -> None:
        """A join link (command line, the OS forwarding a click, a paste): pre-join for that room, after asking to
        switch servers when the link names another one."""
        if self._refused_during_call():
            return
        self._dismiss_switch_question()  # the newest link is the one the user means
        if self._names_another_server(link):
            self._offer_switch(link)
            return
        if self.context.user is None:
            self.pending_room = link.room_id
            return
        self.open_prejoin(link.room_id)

    def join_meeting(self, room_id: str) -> None:
        """A scheduled meeting's Join (its reminder): the window brought up, then pre-join for its room, as the
        dashboard's Join does; during a call the window says to leave it first."""
        self.showNormal()
        self.raise_()
        self.activateWindow()
        if self._refused_during_call() or self.context.user is None:
            return
        self.open_prejoin(room_id)

    def _refused_during_call(self) -> bool:
        """In a call a link is not followed: say so. True when refused."""
        if self.current in (self.call_view, self.lobby_view) and self.call_view.call is not None:
            self.toasts.show_message(self.tr("Leave this call before joining another one"), ToastKind.ERROR)
            return True
        return False

    def _names_another_server(self, link: JoinTarget) -> bool:
        return link.server_url is not None and not self.context.is_current_server(link.server_url)

    # ---- following a link to another server ---------------------------------------------------------------

    def _dismiss_switch_question(self) -> None:
        if self.switch_dialog is not None:
            old, self.switch_dialog = self.switch_dialog, None
            old.answered.disconnect()
            old.reject()
            old.deleteLater()

    def _offer_switch(self, link: JoinTarget) -> None:
        assert link.server_url is not None
        dialog = SwitchServerDialog(
            self, link.server_url, self.context.server_url, signed_in=self.context.user is not None
        )
        dialog.answered.connect(lambda yes: self._switch_answered(dialog, link, yes))
        self.switch_dialog = dialog
        dialog.open()

    def _switch_answered(self, dialog: SwitchServerDialog, link: JoinTarget, yes: bool) -> None:
        if self.switch_dialog is dialog:
            self.switch_dialog = None
        dialog.deleteLater()
        if yes:
            self.tasks.spawn(self._switch_server(link), name="switch-server")

    async def _switch_server(self, link: JoinTarget) -> None:
        """Move to the link's server: check it answers (else stay), close what runs here, then resume the session
        saved for that server or ask to sign in there, and open pre-join for the room."""
        assert link.server_url is not None
        if self._refused_during_call():  # a call may have started while the question was open
            return
        server = link.server_url
        self.toasts.show_message(self.tr("Connecting to {url}…").format(url=clip(server, ADDRESS_CHARS)))
        if not await server_answers(server):
            self.toasts.show_message(
                self.tr("No NIMeet server answers at {url}").format(url=clip(server, ADDRESS_CHARS)), ToastKind.ERROR
            )
            return
        if self._refused_during_call():  # joined a call while the server was being asked (seconds, if it is slow)
            return
        # The camera and microphone of a pre-join, and a room list still loading, belong to the old server.
        await self.prejoin.close_preview()
        await self.dashboard.loading.cancel_all()
        await self.context.use_server(server)  # saved in the settings; the old server's sign-in stays in the keyring
        self.auth_view.show_server()
        self.pending_room = link.room_id
        logger.info("switched server to follow an invitation")
        await self._resume_session()

    # ---- calls ------------------------------------------------------------------------------------------

    def open_prejoin(self, room_id: str, info: RoomInfoResponse | None = None) -> None:
        if room_id == self._join_now_room:  # ``--join-now``: once, for the link's room
            self._join_now_room = None
            self.tasks.spawn(self._join_now(room_id, info), name="join-now")
            return
        self._show(self.prejoin)
        self.prejoin.open(room_id, info)

    async def _join_now(self, room_id: str, info: RoomInfoResponse | None) -> None:
        """Join without pre-join: the camera and microphone chosen in the settings, each on or off as the settings
        say (on until someone chose otherwise). The microphone opens here even when joining muted, as pre-join's
        does (unmuting is then instant); the call opens the camera itself."""
        self._show(self.call_view)
        if info is None:
            info = await self.context.room_info(room_id)
        settings = self.context.settings
        microphone = await self._open_microphone(settings.microphone)
        failure = await self.call_view.start(
            room_id,
            room_name=info.room.name if info is not None else None,
            invite_url=info.room.invite_url if info is not None else None,
            camera=settings.join_with_camera,
            microphone=settings.join_with_microphone and microphone is not None,
            camera_source=None,
            microphone_source=microphone,
        )
        if failure is not None:
            self._join_failed(room_id, failure, sent_password=False)

    async def _open_microphone(self, device: str | None) -> AudioSource | None:
        """``device``, else the system default (the chosen one may be unplugged); None, and told, if neither opens."""
        provider = self.context.provider
        try:
            return await asyncio.to_thread(provider.open_microphone, device)
        except Exception as exc:
            if device is not None:
                with contextlib.suppress(Exception):
                    return await asyncio.to_thread(provider.open_microphone, None)
            self.toasts.show_message(call_error_text(CallError.device_unavailable("microphone", exc)), ToastKind.ERROR)
            return None

    async def _back_from_prejoin(self) -> None:
        await self.prejoin.close_preview()
        self._show(self.dashboard)

    async def _join(self, room_id: str, camera: bool, microphone: bool) -> None:
        password = self.prejoin.password  # typed in pre-join's prompt, when the room has one
        camera_source, microphone_source = await self.prejoin.hand_over()
        self._show(self.call_view)
        failure = await self.call_view.start(
            room_id,
            room_name=self.prejoin.room_name,
            invite_url=self.prejoin.invite_url,
            camera=camera,
            microphone=microphone,
            camera_source=camera_source,
            microphone_source=microphone_source,
            password=password,
        )
        if failure is not None:
            self._join_failed(room_id, failure, sent_password=password is not None)

    def _join_failed(self, room_id: str, failure: JoinFailure, *, sent_password: bool) -> None:
        """A join that did not happen: a room that wants its password asks for it in pre-join (again, saying what
        was wrong) and joins with it; a locked meeting, or one the user was removed from, says so in a notice;
        anything else is a toast over the dashboard."""
        problem = _password_problem(failure.code, sent_password)
        if problem is not None:
            self._show(self.prejoin)
            self.prejoin.open(room_id)
            self.prejoin.ask_password(problem)
            return
        self._show(self.dashboard)
        if failure.code == ErrorCode.ROOM_LOCKED:
            self._tell_call_ended(CallEnd.ROOM_LOCKED, None)
        elif failure.code == ErrorCode.REMOVED_FROM_ROOM:
            self._tell_call_ended(CallEnd.REMOVED_FROM_ROOM, None)
        else:
            self.toasts.show_message(failure.message, ToastKind.ERROR)

    def _after_call(self) -> None:
        if not self._closing:
            self._show(self.dashboard)

    # ---- the lobby, and calls that end without the user's say (issue 14) ----------------------------------
    # For the engine's events: the join answered ``waiting`` (show_waiting), ``admitted`` (show_admitted), and
    # ``removed``, ``denied``, ``meeting-ended`` (show_call_ended).

    def show_waiting(self, room_name: str | None = None) -> None:
        """The join is waiting in the room's lobby: "Waiting for the host to let you in", and Cancel."""
        name = room_name or self.call_view.room_name or self.tr("Room {room}").format(room=clip(self.call_view.room_id))
        self.lobby_view.open(name)
        self._show(self.lobby_view)

    def show_admitted(self) -> None:
        """A host let us in: the call."""
        if self.current is self.lobby_view:
            self._show(self.call_view)

    def show_call_ended(self, reason: CallEnd | str, by_username: str | None = None) -> None:
        """The call ended, or the wait in the lobby did, not by the user's choice (``reason``: ``CallEnd``, or
        the server's word for it; ``by_username``: the host who did it, when known). The call is left, the dashboard
        shows, and a notice says why."""
        self.tasks.spawn(self._call_ended(CallEnd(reason), by_username), name="call-ended")

    async def _call_ended(self, reason: CallEnd, by_username: str | None) -> None:
        if self.call_view.call is not None:
            await self.call_view.leave_async()  # the server has let go of us already: this closes our side
        if self._closing:
            return
        self._show(self.dashboard)
        self._tell_call_ended(reason, by_username)

    def _tell_call_ended(self, reason: CallEnd, by_username: str | None) -> None:
        if self.call_ended_notice is not None:  # the newest news replaces older news nobody has read
            self.call_ended_notice.done(0)
        notice = CallEndedNotice(self, reason, by_username)
        self.call_ended_notice = notice
        notice.finished.connect(lambda _result: self._notice_read(notice))
        notice.open()

    def _notice_read(self, notice: CallEndedNotice) -> None:
        if self.call_ended_notice is notice:
            self.call_ended_notice = None
        notice.deleteLater()

    def _leave_lobby(self) -> None:
        """Cancel in the lobby: leave the call that waits there (the dashboard follows, as after any leave)."""
        if self.call_view.call is not None:
            self.call_view.leave()
        else:
            self._show(self.dashboard)

    # ---- settings and language (issue 12, settingsui) -------------------------------------------------

    # ---- settings applied to the call (issue 12) ----

    def _push_to_talk_section(self) -> QWidget:
        section = PushToTalkSection(self.context.settings_store, self.context.settings)
        section.changed.connect(lambda: self.call_view.push_to_talk.refresh())
        return section

    def _apply_audio_processing(self, config: AudioProcessingConfig) -> None:
        if self.call_view.call is not None:
            self.call_view.call.set_audio_processing(config)

    def _apply_device(self, kind: str, device: str | None) -> None:
        call = self.call_view.call
        if call is not None and kind in ("camera", "microphone", "speaker"):
            self.tasks.spawn(call.switch(cast(DeviceKind, kind), device), name=f"settings-switch-{kind}")

    def _apply_video_quality(self, height: int) -> None:
        quality = cast(VideoHeight, height)
        call = self.call_view.call
        if call is None:
            self.context.provider.video_height = quality
        else:
            self.tasks.spawn(call.set_video_quality(quality), name="settings-video-quality")

    def _apply_background(self) -> None:
        """Pre-join's preview follows the settings by itself; a call is told."""
        settings, call = self.context.settings, self.call_view.call
        if call is not None:
            background = call.set_background(settings.background_mode, settings.background_image)
            self.tasks.spawn(background, name="settings-background")

    def _preferences_applied(self, fields: frozenset[str]) -> None:
        """The server's preferences changed settings here (chosen on another machine): applied as if chosen in the
        settings window, which shows them."""
        settings = self.context.settings
        if "video_quality" in fields:
            self._apply_video_quality(settings.video_quality)
        if "background_blur" in fields and self.call_view.call is not None:
            background = self.call_view.call.set_background(settings.background_mode, settings.background_image)
            self.tasks.spawn(background, name="settings-background")
        if "language" in fields:
            self.set_language(settings.language)  # rebuilds the settings window's pages too
        else:
            self.settings_window.reload()

    def open_settings(self, page: str | None = None) -> None:
        self.settings_window.open_page(page)

    def _devices_in_use(self) -> DeviceFeed | None:
        """Whose camera and microphone the settings window shows: the call's, pre-join's (also while a call is
        starting, when pre-join has just handed them over), or None on the screens where nobody has them open and
        the settings window may open its own."""
        call = self.call_view.call
        if call is not None:
            return CallDevices(call)
        if self.current in self._quiet_screens():
            return None
        return BorrowedPreview(self.prejoin.preview)

    def set_language(self, language: str) -> None:
        """Switch the interface to ``language`` now: the settings window at once, the screens too unless a call or
        pre-join is on (rebuilding them would end it); then once the call is over, and the settings say so."""
        app = QCoreApplication.instance()
        assert app is not None
        shown = i18n.switch(app, language)
        logger.info("interface language now %s", shown)
        self.settings_window.retranslate()
        self._language_pending = True
        current = self.current
        if current in self._quiet_screens():
            self._show(current)
        else:
            self.settings_window.general.show_language_note(
                self.tr("The main window switches to the new language once you are out of the call.")
            )
        self.language_changed.emit()

    def _rebuild_views(self, showing: QWidget) -> QWidget:
        """Every screen made again in the language now installed; returns the new one of ``showing``. Only while
        no call and no pre-join runs (their devices and connections would go with them)."""
        old = self._screens()
        index = next(i for i, view in enumerate(old) if view is showing)
        self._language_pending = False
        self._build_views()
        for view in old:
            self.stack.removeWidget(view)
            self.tasks.spawn(_dispose(view), name="old-screen")
        self.settings_window.general.show_language_note(None)
        self.views_rebuilt.emit()
        new: list[QWidget] = list(self._screens())
        return new[index]

    def change_server(self) -> None:
        """The settings' "Change server…": the server screen, as from sign-in; never in a call."""
        if self._refused_during_call():
            return
        self.tasks.spawn(self._change_server(), name="change-server")

    async def _change_server(self) -> None:
        # The camera and microphone of a pre-join, and a room list still loading, belong to the old server.
        await self.prejoin.close_preview()
        await self.dashboard.loading.cancel_all()
        await self.calendar_view.loading.cancel_all()
        await self.history_view.loading.cancel_all()
        self._show_server(None)
        self.showNormal()
        self.raise_()
        self.activateWindow()

    # ---- closing ----------------------------------------------------------------------------------------

    async def shutdown(self) -> None:
        """Leave the call, close devices, the API and the local server. Idempotent."""
        self._closing = True
        # The call first, so that a leave already under way is awaited, not cancelled half-way by the window's own
        # tasks (a join in flight among them) closing after it.
        await self.call_view.shutdown()
        for view in self._screens():
            if view is not self.call_view:
                await view.shutdown()
        await self.settings_window.shutdown()
        await self.tasks.close()
        await self.context.close()

    @property
    def in_call(self) -> bool:
        return self.call_view.call is not None and not self.call_view.leaving

    def quit(self) -> None:
        """Leave the call (if any) and quit, without asking: the tray's "Quit", Ctrl-C, a session's SIGTERM."""
        self._quitting = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._quitting and self.close_guard is not None and self.close_guard.intercepts(event):
            return  # the call goes on (in the tray, or while the close-during-call question is open)
        # Nothing async can run in here: the entry point awaits shutdown() once it hears ``closed``.
        self._closing = self._quitting = True
        super().closeEvent(event)
        self.closed.emit()


Screen = (
    ServerView
    | AuthView
    | DashboardView
    | PreJoinView
    | CallView
    | LobbyView
    | CalendarView
    | HistoryView
    | RecordingsView
)


def _password_problem(code: AnyErrorCode | None, sent_password: bool) -> PasswordProblem | None:
    """What to say when asking for the room's password again, from ``join-room``'s refusal; None: not about it."""
    if code == ErrorCode.PASSWORD_REQUIRED:
        return PasswordProblem.REQUIRED
    if code == ErrorCode.WRONG_PASSWORD:
        return PasswordProblem.WRONG
    if code == ErrorCode.RATE_LIMITED and sent_password:  # after wrong tries (the contract's password limit)
        return PasswordProblem.RATE_LIMITED
    return None


async def _dispose(view: Screen) -> None:
    """A screen replaced by a new one: stop what it started, then delete it."""
    await view.shutdown()
    view.deleteLater()
