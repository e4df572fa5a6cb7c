"""The call window: the video grid, the control bar, toasts, the reconnecting cover; in a meeting (protocol 1.1)
the side panel with People and Chat, raised hands and reactions on the tiles (``show_meeting_controls``).

Everything shown here is derived from the engine's events and its ``participants`` (docs/architecture.md: "UI state is
derived from the session's events, never kept twice"): a button turns red because the session said the camera is
off, not because it was clicked.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QHBoxLayout, QToolButton, QVBoxLayout, QWidget

from nimeet_desktop.call.muted_speech import MutedSpeechDetector
from nimeet_desktop.call.snapshots import ParticipantView
from nimeet_desktop.media.audio_output import SILENCE_DBFS
from nimeet_desktop.media.audio_processing import AudioProcessingConfig
from nimeet_desktop.media.base import AudioSource, VideoSource
from nimeet_desktop.media.recording.recorder import RecordingState
from nimeet_desktop.media.windows import is_wayland
from nimeet_desktop.net.error_codes import AnyErrorCode
from nimeet_desktop.net.rest import RestError
from nimeet_desktop.net.signaling import ConnectionState, SignalingError
from nimeet_desktop.task_set import Once, TaskSet
from nimeet_desktop.ui import icons, messages, speaker_order, theme
from nimeet_desktop.ui.call_devices import CallDevices
from nimeet_desktop.ui.call_statistics import CallStatistics
from nimeet_desktop.ui.context import AppContext
from nimeet_desktop.ui.control_bar import SHORTCUTS, ControlBar, set_action
from nimeet_desktop.ui.device_messages import call_error_text
from nimeet_desktop.ui.engine_call import EngineCall
from nimeet_desktop.ui.invitation import Invitation, copy_app_link, copy_invite, invitation
from nimeet_desktop.ui.meeting.controller import MeetingController
from nimeet_desktop.ui.meeting.panel import MeetingPanel, Tab
from nimeet_desktop.ui.meeting.recording import RecordingBar, RecordingController
from nimeet_desktop.ui.meeting.texts import muted_by_host
from nimeet_desktop.ui.presenting_frame import PresentingFrame
from nimeet_desktop.ui.push_to_talk import PushToTalkCall
from nimeet_desktop.ui.reconnecting_overlay import ReconnectingOverlay
from nimeet_desktop.ui.statistics_view import StatisticsDialog
from nimeet_desktop.ui.toast import ToastKind
from nimeet_desktop.ui.untrusted import MESSAGE_CHARS, ElidedLabel, clip, isolate
from nimeet_desktop.ui.video_grid import SPACING, VideoGrid
from nimeet_desktop.ui.video_tile import VideoTile
from signaling_server.protocol import ChatMessage, MediaState, Participant, WaitingAck

logger = logging.getLogger(__name__)

SELF_TILE = "self"
SPEAKING_DBFS = -45.0  # above this a participant's tile shows the speaking ring (speech is about -30 to -15)
LEVELS_INTERVAL_MS = 100
# After a reconnect the session rejoins and everyone "leaves" and "joins" again: no toasts for that churn.
QUIET_AFTER_RECONNECT_S = 3.0


@dataclass(frozen=True, slots=True)
class JoinFailure:
    """Why ``CallView.start`` did not join: a sentence to show, and the server's code when it refused the join (the
    window asks for a password, or explains a locked meeting, by it)."""

    message: str
    code: AnyErrorCode | None = None


class CallView(QWidget):
    left_call = Signal()
    toast = Signal(str, ToastKind)
    # For the tray and desktop notifications (ui/tray.py, ui/notifications.py): they show what this view shows, from
    # the same events, so the tray and the control bar never disagree.
    state_changed = Signal()  # joined or left, our media, the head count, the connection
    someone_joined = Signal(str)  # a username (untrusted), whenever the "joined" toast shows
    settings_requested = Signal()
    # ---- issue 14: the meeting. What the person asked for; whoever follows the engine answers (and the panel's
    # own signals, ``self.meeting.admit`` and the rest, ui/meeting/panel.py) ----
    raise_hand = Signal(bool)  # the control bar's button or its shortcut: raise (True) or lower (False) our hand
    react = Signal(str)  # a reaction picked (one of protocol.REACTIONS)
    # A chat message from someone else arrived (username, text, file name or "", private): for desktop notifications
    chat_received = Signal(str, str, str, bool)
    # The server's word on our place (the window shows the lobby's screen, the call again, or why it ended):
    waiting = Signal()  # the join waits in the room's lobby
    admitted = Signal()  # a host let us in
    ended = Signal(str, str)  # removed, denied, ended-by-host or room-deleted; the host's name or ""

    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.tasks = TaskSet(
            "ui.call", on_error=lambda exc: self.toast.emit(messages.unexpected_error(exc), ToastKind.ERROR), log=logger
        )
        # The call runs on the engine's thread; this is our handle on it (ui/engine_call.py).
        self.call: EngineCall | None = None
        self.meeting_controller: MeetingController | None = None
        self.room_id = ""
        self.room_name: str | None = None  # the server's name for it, when pre-join knew it
        self.invite_url: str | None = None  # the server's inviteUrl, from pre-join
        self._quiet_until = 0.0
        self.reconnecting = False  # the signaling connection is lost and being made again
        # One per call: leaving runs once, and closing the window during a leave waits for it instead of cutting
        # it short.
        self._leave: Once | None = None

        self.setObjectName("callView")
        # Dark in both schemes (the theme's #callView): a QWidget subclass paints a stylesheet background only with
        # WA_StyledBackground.
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.title = ElidedLabel()  # the room's name: the server's words, elided to the window's width
        self.title.setObjectName("callTitle")
        top = QHBoxLayout()
        top.setContentsMargins(16, 8, 16, 0)
        top.addWidget(self.title, 1)
        # ---- issue 16: the recording notice (everyone) and a host's Record, Pause and Stop ----
        self.recording_bar = RecordingBar()
        self.recording_controller: RecordingController | None = None
        top.addWidget(self.recording_bar)
        top.addSpacing(12)  # its Pause and Stop apart from the window's own buttons
        # ---- issue 12 (settingsui): settings from the call; the "you are muted" hint ----
        self.settings_button = QToolButton()
        self.settings_button.setObjectName("callSettings")
        self.settings_button.setAutoRaise(True)  # a flat glyph on the dark call background
        self.settings_button.setIcon(icons.icon("settings", theme.CONTROL_FOREGROUND))
        self.settings_button.setIconSize(QSize(22, 22))
        self.settings_button.setToolTip(self.tr("Settings"))
        self.settings_button.setAccessibleName(self.tr("Settings"))
        self.settings_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.settings_button.clicked.connect(self.settings_requested)
        top.addWidget(self.settings_button)
        # ---- issue 13: the call's statistics (resolution, frame rates, bitrate, loss, round trip) ----
        self.statistics_button = QToolButton()
        self.statistics_button.setObjectName("callStatistics")
        self.statistics_button.setAutoRaise(True)
        self.statistics_button.setIcon(icons.icon("statistics", theme.CONTROL_FOREGROUND))
        self.statistics_button.setIconSize(QSize(22, 22))
        set_action(self.statistics_button, self.tr("Call statistics"), SHORTCUTS["statistics"])
        self.statistics_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.statistics_button.clicked.connect(self.toggle_statistics)
        top.insertWidget(top.indexOf(self.settings_button), self.statistics_button)
        self.statistics_dialog: StatisticsDialog | None = None
        self.shared_target: str | None = None  # the monitor or window we share (or last shared)
        self.presenting_frame: PresentingFrame | None = None
        self.muted_speech = MutedSpeechDetector()
        # ----
        self.grid = VideoGrid()
        self.controls = ControlBar()
        # ---- issue 14: the meeting's panel, right of the grid (hidden until opened from the control bar) ----
        self.meeting = MeetingPanel()
        self.side = QWidget()  # the panel with the grid's margin around it, so it lines up with the tiles
        self.side.setObjectName("meetingSide")
        side_layout = QVBoxLayout(self.side)
        side_layout.setContentsMargins(0, SPACING, SPACING, SPACING)
        side_layout.addWidget(self.meeting)
        self.side.hide()
        self.self_socket_id = ""  # ours in the meeting, from set_people: our tile is SELF_TILE, not this id
        middle = QHBoxLayout()
        middle.setContentsMargins(0, 0, 0, 0)
        middle.setSpacing(0)
        middle.addWidget(self.grid, 1)
        middle.addWidget(self.side)
        # ----
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(top)
        layout.addLayout(middle, 1)
        layout.addWidget(self.controls)
        self.overlay = ReconnectingOverlay(self.grid)
        # The call's figures once a second, for ``--stats FILE`` and the statistics view (ui/call_statistics.py).
        self.statistics = CallStatistics(self.grid, context.stats_path, parent=self)

        self._levels = QTimer(self)
        self._levels.setInterval(LEVELS_INTERVAL_MS)
        self._levels.timeout.connect(self._update_levels)
        self._speaking_since: dict[str, float] = {}
        self._spoke_at: dict[str, float] = {}  # tile id -> when they were last heard speaking
        # Whose video the grid shows: in an SFU room only theirs is sent to us (audio from everyone).
        self.grid.visible_changed.connect(self._view_changed)

        self.controls.microphone_clicked.connect(self.toggle_microphone)
        self.controls.camera_clicked.connect(self.toggle_camera)
        self.controls.screen_clicked.connect(lambda: self._run(self._choose_monitor(), "monitors"))
        self.controls.screen_requested.connect(self._share)
        self.controls.screen_stop_requested.connect(self._stop_share)
        self.controls.leave_clicked.connect(self.leave)
        self.controls.invite_clicked.connect(self.copy_invite)
        self.controls.app_link_clicked.connect(self.copy_app_link)
        for action, slot in (
            ("microphone", self.toggle_microphone),
            ("camera", self.toggle_camera),
            ("screen", self.controls.click_screen),
            ("leave", self.leave),
            ("invite", self.copy_invite),
            ("statistics", self.toggle_statistics),
        ):
            QShortcut(QKeySequence(SHORTCUTS[action]), self, slot)
        # ---- issue 14: the meeting's controls ----
        self.hand_shortcut = QShortcut(QKeySequence(SHORTCUTS["hand"]), self, self.controls.toggle_hand)
        self.hand_shortcut.setEnabled(False)  # while the meeting's controls show
        self.controls.raise_hand.connect(self.raise_hand)
        self.controls.react.connect(self.react)
        self.controls.people_clicked.connect(lambda: self.toggle_panel("people"))
        self.controls.chat_clicked.connect(lambda: self.toggle_panel("chat"))
        self.meeting.close_requested.connect(self.hide_panel)
        self.meeting.tab_changed.connect(lambda tab: self.controls.set_panel(tab if self.panel_open else None))
        self.meeting.unread_changed.connect(self.controls.set_unread)
        self.meeting.waiting_changed.connect(self.controls.set_waiting)
        self.meeting.received.connect(self._chat_received)
        # ----
        # Push-to-talk (issue 12): while it is on in the settings, the microphone is open only while its key is held.
        # It follows this view's state_changed (joined, left) and mutes and unmutes through self.call, like the button.
        self.push_to_talk = PushToTalkCall(self)

        # Devices during the call (ui/call_devices.py): the arrow menus, lost-device toasts, "switch back" offers;
        # it follows the call through state_changed (a call joined, or gone).
        self.devices = CallDevices(
            context.provider, lambda: context.settings, context.save_settings, self._run, self.grid, parent=self
        )
        self.devices.toast.connect(self.toast)
        self.state_changed.connect(lambda: self.devices.attach(self.call) if self.call else self.devices.detach())

        def open_device_menu(kind: str) -> None:
            menu = self.devices.menu_for("camera" if kind == "camera" else "microphone", self.controls)
            if menu is not None:
                self.controls.show_devices(kind, menu)

        self.controls.devices_requested.connect(open_device_menu)

    # ---- joining ----------------------------------------------------------------------------------------

    async def start(
        self,
        room_id: str,
        *,
        room_name: str | None = None,
        invite_url: str | None = None,
        camera: bool,
        microphone: bool,
        camera_source: VideoSource | None,
        microphone_source: AudioSource | None,
        password: str | None = None,
    ) -> JoinFailure | None:
        """Join ``room_id`` (with the room's ``password`` when it has one); returns None, or why it failed (the
        sources are closed then)."""
        self.room_id = room_id
        self.room_name = room_name
        self.invite_url = invite_url
        self._leave = Once(self._leave_now)
        self.muted_speech = MutedSpeechDetector()
        self.title.setText(room_name or self.tr("Room {room}").format(room=clip(room_id)))
        try:
            ice_servers = (await self.context.api.ice_servers()).ice_servers
        except RestError as exc:
            for source in (camera_source, microphone_source):
                if source is not None:
                    source.stop()
            return JoinFailure(messages.rest_error(exc))
        settings = self.context.settings
        self.call = call = await EngineCall.open(
            self.context.engine,
            parent=self,
            server_url=self.context.server_url,
            token=self.context.token or "",
            room_id=room_id,
            ice_servers=ice_servers,
            provider=self.context.provider,
            camera_device=settings.camera,
            speaker_device=settings.speaker,
            microphone_device=settings.microphone,
            camera=camera_source,
            microphone=microphone_source,
            audio_processing=AudioProcessingConfig(
                echo_cancellation=settings.echo_cancellation,
                noise_suppression=settings.noise_suppression,
                auto_gain_control=settings.auto_gain_control,
                high_pass_filter=settings.high_pass_filter,
            ),
            video_quality=settings.video_quality,
            background=settings.background_mode,
            background_image=settings.background_image,
            relay_only=settings.relay_only,
        )
        call.participant_joined.connect(self._joined)
        call.participant_left.connect(self._left)
        call.participant_updated.connect(self._updated)
        call.stats_updated.connect(self._stats)
        call.local_media_changed.connect(self._local_media)
        call.connection_changed.connect(self._connection)
        call.error.connect(lambda error: self.toast.emit(call_error_text(error), ToastKind.ERROR))
        self.meeting_controller = MeetingController(self, call, self.context, room_id)
        self.recording_controller = RecordingController(self, call, self.context)
        # The call exists from now on: what follows it (the device menus, the tray) attaches at once, not at the
        # engine's first event, which comes from its own thread whenever the join gets that far.
        self.state_changed.emit()
        user = self.context.user
        own = VideoTile(
            SELF_TILE, self.tr("You"), self.call.local_frame, is_self=True, avatar_name=user.username if user else None
        )
        # Until the engine reports its media, the tile shows what was asked for: a tile that claimed a camera
        # nobody opened would stand until the join's own report, however late that comes.
        own.set_camera_on(camera and camera_source is not None)
        self.grid.add_tile(own)
        try:
            ack = await self.call.join(
                camera=camera, microphone=microphone and not self.push_to_talk.joins_muted, password=password
            )
        except (SignalingError, OSError) as exc:  # Unauthorized is a SignalingError
            await self._teardown()
            return _join_failure(exc)
        if isinstance(ack, WaitingAck) and self.meeting_controller is not None:
            self.meeting_controller.waiting_started()
        self.context.remember_room(room_id)
        self._local_media(self.call.media_state)
        self._update_count()
        self.grid.start_clock()
        self._levels.start()
        self.statistics.start(self.call.counters)
        return None

    # ---- engine events ----------------------------------------------------------------------------------

    def _joined(self, remote: ParticipantView) -> None:
        # Another person's name: capped before any tile measures it (painted as plain text, elided to the tile).
        tile = VideoTile(remote.socket_id, clip(remote.username), remote.frame_source)
        tile.measure_latency = self.statistics.measuring_latency
        if self.call is not None:
            tile.set_volume(self.call.volume(remote.socket_id))
        tile.volume_changed.connect(self._set_volume)
        self.grid.add_tile(tile)
        self._updated(remote)
        self._update_count()
        if time.monotonic() >= self._quiet_until:
            self.toast.emit(self.tr("{name} joined").format(name=isolate(remote.username)), ToastKind.INFO)
            self.someone_joined.emit(remote.username)

    def _left(self, remote: ParticipantView) -> None:
        self.grid.remove_tile(remote.socket_id)
        self._speaking_since.pop(remote.socket_id, None)
        self._spoke_at.pop(remote.socket_id, None)
        self._update_count()
        if time.monotonic() >= self._quiet_until and not self.leaving:
            self.toast.emit(self.tr("{name} left").format(name=isolate(remote.username)), ToastKind.INFO)

    def _updated(self, remote: ParticipantView) -> None:
        tile = self.grid.tile(remote.socket_id)
        if tile is None:
            return
        tile.set_camera_on(remote.media.camera or remote.media.screen)
        tile.set_mic_on(remote.media.microphone)
        presenting = self.tr("{name} (presenting)").format(name=isolate(remote.username))
        tile.set_name(presenting if remote.media.screen else clip(remote.username))
        # A shared screen takes the big spot; when it stops, the spot goes back to the grid.
        if remote.media.screen:
            self.grid.set_featured(remote.socket_id)
        elif self.grid.featured_tile_id == remote.socket_id:
            self.grid.set_featured(None)
        self._stats(remote)

    def _stats(self, remote: ParticipantView) -> None:
        tile = self.grid.tile(remote.socket_id)
        if tile is not None:
            tile.set_quality(remote.quality)  # rated on the engine's side, where the counters are

    def _local_media(self, media: MediaState) -> None:
        self.controls.set_media(media)
        if media.microphone:  # unmuted: the next muting may be told again, however soon it comes
            self.muted_speech.update(SILENCE_DBFS, False, time.monotonic())
        self._frame_what_we_share(media.screen)
        own = self.grid.tile(SELF_TILE)
        if own is not None:
            own.set_camera_on(media.camera or media.screen)
            own.set_mic_on(media.microphone)
            own.set_mirrored(not media.screen)  # a mirrored camera feels natural; mirrored text does not
        self.state_changed.emit()

    @property
    def leaving(self) -> bool:
        return self._leave is not None and self._leave.started

    def _connection(self, state: ConnectionState, detail: str) -> None:
        self.reconnecting = state in (ConnectionState.RECONNECTING, ConnectionState.CONNECTING) and not self.leaving
        self.state_changed.emit()
        if state in (ConnectionState.RECONNECTING, ConnectionState.CONNECTING) and not self.leaving:
            self.overlay.show_for(state)
            self._quiet_until = float("inf")
        elif state == ConnectionState.CONNECTED:
            self.overlay.hide()
            self._quiet_until = time.monotonic() + QUIET_AFTER_RECONNECT_S if detail == "reconnected" else 0.0
        elif state == ConnectionState.CLOSED and not self.leaving:
            self.overlay.hide()
            if detail:
                logger.info("call disconnected: %s", detail)
                self.toast.emit(self.tr("Disconnected from the server"), ToastKind.ERROR)

    def _update_count(self) -> None:
        count = 1 + (len(self.call.participants) if self.call is not None else 0)
        self.controls.set_count(count)
        self.state_changed.emit()

    def _update_levels(self) -> None:
        if self.call is None:
            return
        levels = self.call.levels()
        now = time.monotonic()
        for tile in self.grid.tiles():
            level = self.call.own_level() if tile.tile_id == SELF_TILE else levels.get(tile.tile_id, SILENCE_DBFS)
            speaking = level > SPEAKING_DBFS
            tile.set_speaking(speaking)
            if not speaking:
                self._speaking_since.pop(tile.tile_id, None)
                continue
            self._spoke_at[tile.tile_id] = now
            if now - self._speaking_since.setdefault(tile.tile_id, now) >= speaker_order.SPEAKING_FOR_S:
                # Someone speaking on another page comes into view (ui/speaker_order.py says in whose place).
                fixed = {SELF_TILE, self.grid.focused_tile_id or SELF_TILE}
                visible = self.grid.visible_tile_ids()
                replaced = speaker_order.tile_to_replace(tile.tile_id, visible, fixed, self._spoke_at, now)
                if replaced is not None:
                    self.grid.swap(tile.tile_id, replaced)
        muted = self.call.has_microphone and not self.call.microphone_on
        if self.muted_speech.update(self.call.muted_speech_level(), muted, time.monotonic()):
            self.toast.emit(
                self.tr("You are muted. Press {key} to unmute.").format(key=SHORTCUTS["microphone"]), ToastKind.INFO
            )

    def _view_changed(self, tile_ids: list[str]) -> None:
        if self.call is None:
            return
        everyone = len(tile_ids) == len(self.grid.tiles())
        shown = None if everyone else [t for t in tile_ids if t != SELF_TILE]
        self._run(self.call.show_only(shown), "show-only")

    def _set_volume(self, socket_id: str, gain: float) -> None:
        """A tile's volume slider moved: how loud that person plays here, for this call."""
        if self.call is not None:
            self.call.set_volume(socket_id, gain)

    # ---- the meeting (issue 14) -------------------------------------------------------------------------

    def show_meeting_controls(self, shown: bool) -> None:
        """The hand, reactions, People and Chat in the control bar (and the hand's shortcut); hidden (the default,
        and again after each call) the call window is as it was before meetings."""
        self.controls.set_meeting_controls(shown)
        self.hand_shortcut.setEnabled(shown)
        if not shown:
            self.hide_panel()

    def set_people(self, self_socket_id: str, participants: list[Participant], am_host: bool) -> None:
        """Everyone in the meeting, you included, as the protocol's ``Participant``s, in the order they joined;
        ``am_host``: whether you are a host. The panel's People tab, the chat's recipients, and the raised hands on
        the tiles and on our own hand button follow."""
        self.self_socket_id = self_socket_id
        self.meeting.set_people(self_socket_id, participants, am_host)
        for participant in participants:
            raised = participant.hand_raised_at is not None
            self.grid.set_hand_raised(self._tile_id(participant.socket_id), raised)
            if participant.socket_id == self_socket_id:
                self.controls.set_hand_raised(raised)

    def set_hand_raised(self, socket_id: str, raised: bool) -> None:
        """One hand up or down (``hand-raised``) between two ``set_people``: the tile, and our button if ours."""
        self.grid.set_hand_raised(self._tile_id(socket_id), raised)
        if socket_id == self.self_socket_id:
            self.controls.set_hand_raised(raised)

    def show_reaction(self, socket_id: str, emoji: str) -> None:
        """``emoji`` floats up over ``socket_id``'s tile (ours when it is our own socket id)."""
        self.grid.show_reaction(self._tile_id(socket_id), emoji)

    def muted_by_host(self, media_type: str, by_username: str | None) -> None:
        """A host turned our microphone or camera off (``muted-by-host``): say who."""
        self.toast.emit(muted_by_host(media_type, by_username), ToastKind.INFO)

    def _tile_id(self, socket_id: str) -> str:
        return SELF_TILE if socket_id and socket_id == self.self_socket_id else socket_id

    @property
    def panel_open(self) -> bool:
        return not self.side.isHidden()

    def toggle_panel(self, tab: Tab) -> None:
        """Open the panel at ``tab``; close it if it is open there already."""
        if self.panel_open and self.meeting.current_tab == tab:
            self.hide_panel()
            return
        self.meeting.show_tab(tab)
        self.side.show()
        self.controls.set_panel(tab)

    def hide_panel(self) -> None:
        self.side.hide()
        self.controls.set_panel(None)

    def _chat_received(self, message: ChatMessage) -> None:
        file_name = message.file.name if message.file is not None else ""
        self.chat_received.emit(message.username, message.text, file_name, message.to is not None)

    # ---- controls ---------------------------------------------------------------------------------------

    def _run(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        self.tasks.spawn(coro, name)

    def toggle_microphone(self) -> None:
        if self.call is not None:
            self._run(self.call.set_microphone(not self.call.microphone_on), "microphone")

    def toggle_camera(self) -> None:
        if self.call is not None:
            self._run(self.call.set_camera(not self.call.media_state.camera), "camera")

    def _share(self, monitor: str) -> None:
        if self.call is not None:
            self.shared_target = monitor
            self._run(self.call.start_screen_share(monitor), "share-screen")

    def _frame_what_we_share(self, sharing: bool) -> None:
        """The "You are presenting" frame around the shared screen or window, while we share."""
        if sharing and self.presenting_frame is None and self.shared_target is not None:
            provider, target = self.context.provider, self.shared_target
            self.presenting_frame = PresentingFrame(lambda: provider.share_area(target))
            self.presenting_frame.start()
        elif not sharing and self.presenting_frame is not None:
            frame, self.presenting_frame = self.presenting_frame, None
            self.tasks.spawn(_close_frame(frame), name="presenting-frame-closed")

    async def _choose_monitor(self) -> None:
        # Listed when asked, not at join: it costs a display connection, and monitors and windows come and go.
        provider = self.context.provider
        own = frozenset(int(widget.winId()) for widget in QApplication.topLevelWidgets() if widget.isVisible())
        monitors, windows = await asyncio.to_thread(lambda: (provider.monitors(), provider.windows(own)))
        self.controls.pick_monitor(monitors, windows, wayland=is_wayland())

    def _stop_share(self) -> None:
        if self.call is not None:
            self._run(self.call.stop_screen_share(), "stop-sharing")

    def toggle_statistics(self) -> None:
        """Open the statistics (it shows the figures at once, then every second), or close them if open."""
        if self.statistics_dialog is not None:
            self.statistics_dialog.close()
            return
        if self.call is None:
            return
        dialog = StatisticsDialog(self)
        self.statistics_dialog = dialog
        self.statistics.updated.connect(dialog.show_stats)
        dialog.finished.connect(lambda _result: self._statistics_closed(dialog))  # Close, Esc, the window's own
        dialog.show()
        self.statistics.watch()

    def _statistics_closed(self, dialog: StatisticsDialog) -> None:
        if self.statistics_dialog is not dialog:
            return
        self.statistics_dialog = None
        self.statistics.updated.disconnect(dialog.show_stats)
        self.statistics.unwatch()
        dialog.deleteLater()

    def invitation(self) -> Invitation:
        return invitation(self.room_id, self.context.server_url, self.invite_url)

    def copy_invite(self) -> None:
        self.toast.emit(copy_invite(self.invitation()), ToastKind.INFO)

    def copy_app_link(self) -> None:
        self.toast.emit(copy_app_link(self.invitation()), ToastKind.INFO)

    def leave(self) -> None:
        if self._leave is not None:
            self._leave.start()  # not a task of ours: closing the view awaits it instead of cancelling it

    async def leave_async(self) -> None:
        """Leave cleanly and go back to the dashboard. Idempotent: a second caller waits for the leave to end."""
        if self._leave is not None:
            await self._leave()

    async def _leave_now(self) -> None:
        await self._teardown()
        self.left_call.emit()

    async def shutdown(self) -> None:
        """Leave the call (or finish the leave under way) and stop what this screen started; the window awaits
        it when it closes."""
        await self.leave_async()
        await self.tasks.close()

    async def _teardown(self) -> None:
        self._levels.stop()
        self._frame_what_we_share(False)
        if self.statistics_dialog is not None:
            self.statistics_dialog.close()
        self.statistics.stop()
        self.grid.stop_clock()
        self.overlay.hide()
        call, self.call = self.call, None
        recording, self.recording_controller = self.recording_controller, None
        if recording is not None:
            await recording.close()  # the file finished before the call goes, and where it is said
        controller, self.meeting_controller = self.meeting_controller, None
        if controller is not None:
            await controller.close()  # uploads cancelled, downloads stopped: the meeting's files are not ours now
        if call is not None:
            await call.leave()
        for tile in self.grid.tiles():
            self.grid.remove_tile(tile.tile_id)
        # The meeting is over for us: nothing of it is shown to the next call.
        self.show_meeting_controls(False)
        self.meeting.clear()
        self.self_socket_id = ""
        self.controls.set_hand_raised(False)
        self.recording_bar.show_state(can_record=False, own=RecordingState.IDLE, elapsed_s=0.0, others=[])
        if call is not None:
            call.deleteLater()
        self.reconnecting = False
        self.state_changed.emit()


def _join_failure(exc: BaseException) -> JoinFailure:
    if isinstance(exc, SignalingError):  # Unauthorized included
        return JoinFailure(messages.signaling_error(exc), exc.code)
    reason = clip(str(exc), MESSAGE_CHARS)
    return JoinFailure(
        QCoreApplication.translate("CallView", "Could not join the call ({reason})").format(reason=reason)
    )


async def _close_frame(frame: PresentingFrame) -> None:
    await frame.stop()
    frame.deleteLater()
