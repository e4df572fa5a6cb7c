"""Render every screen of the NIMeet desktop app to PNGs under a real X server, so people can look at them.

What it does, all on this machine and on loopback:

* starts its own ``Xvfb`` (a free display picked by Xvfb itself) and runs Qt on it through the xcb platform plugin,
  so the PNGs are what X really shows, not an offscreen rendering;
* starts the real server (``python -m signaling_server``) on a free port with a throwaway data directory;
* builds the window as ``nimeet_desktop/app.py`` does (Fusion theme, SVG icons, qasync loop, ``MainWindow``) with
  synthetic devices and an in-memory keyring, and walks it like a person: sign in → create an account → dashboard → a
  scheduled meeting's reminder over it (the reminder service's clock moved to its time) → a room's settings → the
  question an invitation for another server asks → a room with a password (its prompt) → new call → pre-join → join,
  then three headless participants join (and the lobby's waiting screen shows, as it does for someone a host has yet
  to let in), one mutes, one turns the camera off, one shares a screen, and finally the server goes away so the
  reconnecting cover shows; in the call, the meeting's panel (People with the lobby and a host's menu, Chat with
  files) and reactions over the tiles, fed by hand from the bots' real participants (``Renderer.meeting``), the tray
  menu (at the real tray icon when ``trayer`` is installed to host it) and the question closing the window asks;
  before the call, after the settings' pages, background blur and a picture behind a drawn person (the blur tests'
  figure as the camera) in the settings' Background section and in pre-join, the effect then off again;
* grabs the window from the X framebuffer at every step and prints the path of every PNG it writes.

Usage (from the repository root)::

    .venv/bin/python docs/screenshots/render.py [--out docs/screenshots] [--scale 1.5] [--dark] [--language ru]
        [--only dashboard,calendar,reminder,settings,background,history,recordings,recording]

``--scale`` sets ``QT_SCALE_FACTOR`` (1.5 checks 150 % displays); ``--dark`` walks a second time with the app
started in the dark palette and writes ``<screen>-dark.png`` too. ``--hostile`` walks with hostile names instead
(markup such as ``<img src="file:///dev/zero">``, 10,000 characters, bidi overrides, zero-width and control
characters) for the user, the rooms and the participants, written into the server's database where its API would
refuse them, and writes ``<screen>-hostile.png``: to check by eye that such names show literally and elided (issue
10; not for the docs, so give it an ``--out`` of its own). Needs ``Xvfb`` and Qt's xcb plugin dependencies
(Debian: xvfb, libxcb-icccm4, libxcb-keysyms1, libxcb-cursor0) and a colour emoji font for the reactions (Debian:
fonts-noto-color-emoji). Nothing is written outside ``--out`` and a
temporary directory. Takes about 30 s per walk.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
import qasync
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QContextMenuEvent, QCursor, QFont, QGuiApplication, QKeyEvent, QPixmap
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # run as a script from anywhere: the packages live at the repository root
    sys.path.insert(0, str(REPO))

from nimeet_desktop.call import ice  # noqa: E402
from nimeet_desktop.call.session import CallObserver, CallSession  # noqa: E402
from nimeet_desktop.hotkeys import Support  # noqa: E402
from nimeet_desktop.media.base import (  # noqa: E402
    AUDIO_SAMPLE_RATE,
    VIDEO_CLOCK_RATE,
    VIDEO_TIME_BASE,
    FramePacer,
    VideoSource,
)
from nimeet_desktop.media.provider import DeviceChoice, SyntheticMediaProvider  # noqa: E402
from nimeet_desktop.media.recording.container import RecordingFile  # noqa: E402
from nimeet_desktop.media.synthetic import SyntheticAudio, SyntheticVideo  # noqa: E402
from nimeet_desktop.net.credentials import CredentialStore  # noqa: E402
from nimeet_desktop.net.links import parse_join_target  # noqa: E402
from nimeet_desktop.net.rest import ApiClient  # noqa: E402
from nimeet_desktop.net.schedule_api import MeetingDraft, ScheduleApi  # noqa: E402
from nimeet_desktop.recordings import new_recording_path  # noqa: E402
from nimeet_desktop.settings import Settings, SettingsStore  # noqa: E402
from nimeet_desktop.ui import i18n, icons, theme, tray  # noqa: E402
from nimeet_desktop.ui.calendar.calendar_view import Page  # noqa: E402
from nimeet_desktop.ui.calendar.schedule_dialog import ScheduleDialog  # noqa: E402
from nimeet_desktop.ui.close_during_call import CloseDuringCallDialog  # noqa: E402
from nimeet_desktop.ui.context import AppContext  # noqa: E402
from nimeet_desktop.ui.main_window import MainWindow  # noqa: E402
from nimeet_desktop.ui.meeting.reactions import FLOAT_MS  # noqa: E402
from nimeet_desktop.ui.push_to_talk import PushToTalkSection  # noqa: E402
from nimeet_desktop.ui.settings.window import PAGES  # noqa: E402
from nimeet_desktop.ui.video_tile import VideoTile, VolumeControl  # noqa: E402
from signaling_server.db.engine import create_engine, sessions  # noqa: E402
from signaling_server.db.history_store import HistoryStore  # noqa: E402
from signaling_server.protocol import REACTIONS, ChatMessage, FileInfo, LobbyEntry, Participant  # noqa: E402
from tests.support.memory_keyring import MemoryKeyring  # noqa: E402
from tests.support.person_picture import i420, person_picture  # noqa: E402
from tests.support.server import ServerProcess  # noqa: E402  (the tests' server runner: fast argon2, text logs)

logger = logging.getLogger("render")

WINDOW_WIDTH, WINDOW_HEIGHT = 1200, 760  # logical px
SCREEN_WIDTH, SCREEN_HEIGHT = 1280, 800  # the X screen at scale 1; grown with --scale so the window fits
FONT_FAMILY, FONT_POINT_SIZE = "DejaVu Sans", 10.0  # fixed, so two runs on two machines look the same
PASSWORD = "correct horse battery"  # noqa: S105 - throwaway accounts on a throwaway server
ROOM_NAMES = ("Weekly design review", "Release 0.2 planning", "Ada / Margaret 1:1")
ROOM_DESCRIPTION = "Mondays at 10: what shipped, what is next, who needs a hand."
ROOM_PASSWORD = "mondays-10"  # noqa: S105 - a throwaway room on a throwaway server
BOT_NAMES = ("ada", "grace", "linus")
MEETINGS = (
    "Weekly planning",
    "Design review",
    "Ada / Margaret 1:1",
    "Release 0.3 go / no-go",
    "Customer call: Acme",
    "Accessibility audit",
    "Quarterly review",
    "Sprint demo",
)
MEETING_DESCRIPTION = "What shipped this sprint, live, with questions at the end."
# ``--only`` names the walk's steps (those that stand alone after registering) by these keys.
STEPS = {
    "dashboard": "dashboard",
    "calendar": "calendar",
    "reminder": "meeting_reminder",
    "settings": "settings_pages",
    "background": "background",
    "history": "history",
    "recordings": "recordings",
    "recording": "recording_notice",
}
SETTLE_S = 0.6  # after a change: layout, polish and a few frames reach the X server
# --hostile: what the server or another person may call things (tests/security/test_app_hostile_names.py).
HOSTILE_USER = '<img src="file:///dev/zero"><b>margaret</b>' + "W" * 300
HOSTILE_ROOMS = (
    '<img src="file:///dev/zero">',
    "<b>x</b>",
    "<b>" + "W" * 9_993 + "</b>",
    "\u202egpj.exe\u202c holiday",
    "a\u200bd\u200cm\u200di\ufeffn\u2060",
    "line\nbreak\x1b[31mred",
)
HOSTILE_BOTS = {"ada": '<img src="file:///dev/zero">', "grace": "\u202egpj.exe\u202c holiday", "linus": "W" * 10_000}
# The meeting's chat (issue 14), in the walk's language; --hostile adds markup, overrides and a very long word.
CHAT = {
    "en": (
        "Morning! The plan for 0.2 is at https://example.org/nimeet/plan, have a look before we start.",
        "Thanks, reading it now.",
        "Could you share your screen after this item?",
        "Sure, right after.",
        "The slides from last week:",
    ),
    "ru": (
        "Доброе утро! План версии 0.2 тут: https://example.org/nimeet/plan, посмотрите до начала.",
        "Спасибо, уже читаю.",
        "Покажешь экран после этого пункта?",
        "Да, сразу после.",
        "Слайды с прошлой недели:",
    ),
}
# The history screen: people who met in margaret's rooms over the last 30 days (not the bots: they register later),
# and the meetings as (days ago, UTC hour, minutes, how many of them came, room index). Fixed, not random, so two
# runs draw the same chart.
HISTORY_PEOPLE = ("katherine", "dorothy", "mary")
HISTORY_MEETINGS = (
    (28, 9, 45, 2, 0),
    (26, 14, 20, 1, 2),
    (21, 9, 55, 3, 0),
    (20, 16, 30, 1, 1),
    (19, 11, 15, 2, 1),
    (14, 9, 50, 3, 0),
    (13, 13, 25, 1, 2),
    (13, 15, 40, 2, 1),
    (9, 10, 35, 2, 1),
    (7, 9, 60, 3, 0),
    (6, 17, 10, 1, 2),
    (5, 10, 30, 2, 1),
    (2, 14, 25, 1, 2),
    (1, 11, 45, 2, 1),
    (23, 15, 35, 2, 3),  # room 3 is katherine's: margaret's meetings there are not hosted by her
    (8, 15, 25, 2, 3),
)
# The recordings screen: calls recorded over the last days as (days ago, hour, minute, seconds long, room). Short (a
# walk writes them), and real: the lengths shown are read back from the files.
RECORDINGS = (
    (0, 10, 0, 9, ROOM_NAMES[0]),
    (1, 15, 30, 6, ROOM_NAMES[2]),
    (3, 11, 0, 12, ROOM_NAMES[1]),
    (7, 10, 0, 8, ROOM_NAMES[0]),
)
HOSTILE_CHAT = '<img src="file:///dev/zero"> <b>bold?</b> \u202eevil.exe\u202c javascript:alert(1) ' + "W" * 300


def _write_recording(path: Path, seconds: int) -> None:
    """A real recording of ``seconds`` seconds: a bar moving over a grey picture, a quiet tone."""
    fps = 10
    recording = RecordingFile(path, 320, 180, fps)
    try:
        for index in range(seconds * fps):
            luma = np.full((180 * 3 // 2, 320), 90, dtype=np.uint8)
            luma[:180, (index * 6) % 280 :][:, :40] = 220
            recording.write_video(av.VideoFrame.from_ndarray(luma, format="yuv420p"), index)
        block = AUDIO_SAMPLE_RATE // 50
        for count in range(seconds * 50):
            t = (count * block + np.arange(block)) / AUDIO_SAMPLE_RATE
            tone = (2000 * np.sin(2 * math.pi * 440 * t)).astype(np.int16).reshape(1, -1)
            audio = av.AudioFrame.from_ndarray(tone, format="s16", layout="mono")
            audio.sample_rate = AUDIO_SAMPLE_RATE
            audio.pts = count * block
            recording.write_audio(audio)
    finally:
        recording.close()


class RenderError(Exception):
    """A step of the walk did not happen; the message says which."""


# ---- child processes: Xvfb and the server -------------------------------------------------------------------------


def _stop(proc: subprocess.Popen[Any], sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
    """Stop one child we started (by its own handle, never by name); kill it if it does not go in time."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def xvfb(width: int, height: int) -> Iterator[str]:
    """A private X server; yields its display name (``:N``, a free number chosen by Xvfb via ``-displayfd``)."""
    binary = shutil.which("Xvfb")
    if binary is None:
        raise RenderError("Xvfb is not installed (Debian: apt-get install xvfb)")
    read_fd, write_fd = os.pipe()
    args = [binary, "-displayfd", str(write_fd), "-screen", "0", f"{width}x{height}x24"]
    args += ["-dpi", "96", "-nolisten", "tcp", "-noreset"]
    proc = subprocess.Popen(  # noqa: S603 - a fixed command line, no shell
        args, pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    os.close(write_fd)
    try:
        with os.fdopen(read_fd, "r") as announced:
            number = announced.readline().strip()  # written once the server accepts connections
        if not number.isdigit():
            _stop(proc)
            detail = proc.stderr.read() if proc.stderr is not None else ""
            raise RenderError(f"Xvfb did not start:\n{detail[-2000:]}")
        yield f":{number}"
    finally:
        _stop(proc)
        if proc.stderr is not None:
            proc.stderr.close()


@contextlib.contextmanager
def tray_host(display: str) -> Iterator[None]:
    """A system tray on ``display`` for the tray menu's picture: ``trayer`` (Debian: apt-get install trayer), a
    panel at the screen's bottom right. Without it the menu is rendered alone (``Renderer.tray_menu``)."""
    binary = shutil.which("trayer")
    if binary is None:
        logger.warning("trayer is not installed: the tray menu is shown without a tray host")
        yield
        return
    args = [binary, "--edge", "bottom", "--align", "right", "--widthtype", "request", "--height", "32"]
    args += ["--SetDockType", "true", "--transparent", "true", "--alpha", "0", "--tint", "0x3c4043"]
    proc = subprocess.Popen(  # noqa: S603 - a fixed command line, no shell
        args, env={**os.environ, "DISPLAY": display}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        time.sleep(1.0)  # it owns the tray selection once its window is up; Qt asks when the tray is installed
        yield
    finally:
        _stop(proc)


def _camera(name: str) -> Callable[[], VideoSource]:
    return lambda: SyntheticVideo(640, 360, 30, label=f"{name} camera")


class PersonCamera(VideoSource):
    """A camera filming the blur tests' drawn person before a bookshelf (tests/support/person_picture.py): what
    background blur and replacement have to work on, where the synthetic camera has no person in it."""

    def __init__(self, width: int, height: int) -> None:
        super().__init__("person camera")
        self._planes = i420(person_picture(width, height)[0])
        self._pacer = FramePacer(30.0, VIDEO_CLOCK_RATE)

    async def _next(self) -> av.VideoFrame:
        frame = av.VideoFrame.from_ndarray(self._planes, format="yuv420p")
        frame.pts = await self._pacer.wait()
        frame.time_base = VIDEO_TIME_BASE
        return frame


class Devices(SyntheticMediaProvider):
    """The synthetic devices; the camera films the drawn person while ``person`` is on (the background step)."""

    person = False

    def open_camera(self, device: str | None) -> VideoSource:
        return PersonCamera(self.width, self.height) if self.person else super().open_camera(device)


def landscape(path: Path, width: int = 1280, height: int = 720) -> None:
    """A picture to put behind the person: a sky, a sun, hills, a lake (written as a PNG)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    y = np.linspace(0.0, 1.0, height)[:, None, None]
    sky = np.array([235, 190, 120]) * (1 - y) + np.array([250, 225, 200]) * y  # BGR: deep blue to pale
    picture = np.ascontiguousarray(np.broadcast_to(sky, (height, width, 3)), dtype=np.uint8)
    cv2.circle(picture, (width * 3 // 4, height // 4), height // 10, (150, 220, 255), -1)
    x = np.arange(width)
    for top, colour, phase in ((0.55, (120, 150, 90), 0.0), (0.65, (80, 130, 60), 1.7)):
        ridge = (height * (top + 0.05 * np.sin(x / width * 7 + phase))).astype(np.int32)
        points = np.array([[0, height], *zip(x.tolist(), ridge.tolist(), strict=True), [width - 1, height]], np.int32)
        cv2.fillPoly(picture, [points], colour)
    cv2.rectangle(picture, (0, height * 4 // 5), (width, height), (170, 140, 90), -1)  # the lake
    if not cv2.imwrite(str(path), picture):
        raise RenderError(f"could not write {path}")


# ---- the walk -----------------------------------------------------------------------------------------------------


async def until(predicate: Callable[[], object], what: str, within: float = 15.0) -> None:
    """Poll while the loop (and so Qt) keeps running."""
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise RenderError(f"timed out after {within:.0f} s waiting for {what}")
        await asyncio.sleep(0.05)


@dataclass
class Bot:
    name: str
    session: CallSession


class Renderer:
    """Drives one window through every screen and saves what X shows at each stop."""

    def __init__(
        self,
        server: ServerProcess,
        config_dir: Path,
        out: Path,
        dark: bool,
        hostile: bool = False,
        language: str = "en",
        only: Sequence[str] = (),
    ) -> None:
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        self.app = app
        self.server = server
        self.out = out
        self.hostile = hostile
        self.language = language
        self.only = tuple(only)  # ``--only``: these steps after registering, nothing else
        self.home = config_dir.parent / "margaret"  # in the walk's temporary directory: where her videos go
        self.suffix = ("-dark" if dark else "") + ("-hostile" if hostile else "")
        self.saved: list[Path] = []
        self.bots: list[Bot] = []
        # Before any widget exists, as when the app starts on a system that is already dark or light.
        theme.apply_scheme(app, Qt.ColorScheme.Dark if dark else Qt.ColorScheme.Light)
        settings = Settings(server_url=server.url, start_local_server=False)
        context = AppContext(
            SettingsStore(config_dir),
            settings,
            CredentialStore(backend=MemoryKeyring()),
            Devices(640, 360),
        )
        self.background_picture = config_dir.parent / f"{config_dir.name}-pictures" / "lake.png"
        self.window = MainWindow(context)
        self.tray = tray.install(self.window)  # a real tray icon when trayer runs (see tray_host), else the menu alone

    # ---- capture ----------------------------------------------------------------------------------------

    async def capture(self, name: str, *, with_dialogs: bool = False) -> None:
        await asyncio.sleep(SETTLE_S)  # layout, polish, a few frames
        self.window.repaint()
        await asyncio.sleep(0.15)  # let the repaint reach the X server
        screen = QGuiApplication.primaryScreen()
        if with_dialogs:  # a dialog is a window of its own: the screen where the window is, dialog on top
            frame = self.window.geometry()
            pixmap = screen.grabWindow(0, frame.x(), frame.y(), frame.width(), frame.height())
        else:
            pixmap = screen.grabWindow(self.window.winId())
        self.save(pixmap, name)

    def save(self, pixmap: QPixmap, name: str) -> None:
        """One screenshot, ``name`` plus the theme's suffix, into the output folder (and said on stdout)."""
        path = self.out / f"{name}{self.suffix}.png"
        if pixmap.isNull() or not pixmap.save(str(path), "PNG"):
            raise RenderError(f"could not grab or write {path}")
        self.saved.append(path)
        print(path, flush=True)

    # ---- screens ----------------------------------------------------------------------------------------

    async def run(self) -> None:
        window = self.window
        window.resize(WINDOW_WIDTH, WINDOW_HEIGHT)
        window.move(0, 0)
        window.show()
        window.activateWindow()
        await window.start()
        await until(lambda: window.current is window.auth_view, "the sign-in screen")
        await until(lambda: (handle := window.windowHandle()) is not None and handle.isExposed(), "the window mapped")
        await self.capture("login")
        await self.choose_server()

        await self.register()
        if self.only:
            for step in self.only:
                await getattr(self, STEPS[step])()
            return
        await self.dashboard()
        await self.meeting_reminder()
        await self.calendar()
        await self.history()
        await self.recordings()
        await self.settings_pages()
        await self.background()
        await self.push_to_talk()
        await self.switch_server()
        await self.room_settings()
        await self.password_prompt()
        await self.prejoin()
        await self.call()
        await self.recording_notice()
        await self.meeting()
        await self.statistics()
        await self.tile_menu()
        await self.tray_menu()
        await self.close_during_call()
        await self.devices_in_call()
        await self.lobby_waiting()
        await self.screen_share()
        await self.reconnecting()

    async def choose_server(self) -> None:
        """ "Change server" from sign-in: the screen people with a wrong server land on. Then back, by connecting."""
        window = self.window
        window.auth_view.change_server.emit()
        await until(lambda: window.current is window.server_view, "the server screen")
        await self.capture("server")
        # ---- issue 11 (lan): the choice to host for the network, ticked, with what it means under it ----
        window.server_view.network_check.setChecked(True)
        await self.capture("server-network")
        window.server_view.network_check.setChecked(False)
        # ----
        window.server_view.connect_button.click()
        await until(lambda: window.current is window.auth_view, "sign-in again after connecting")

    async def register(self) -> None:
        window, auth = self.window, self.window.auth_view
        auth.switch_mode.click()
        await until(lambda: auth.registering and auth.username.isVisible(), "the create-account form")
        auth.username.edit.setText("margaret")
        auth.email.edit.setText("margaret.hamilton@example.org")
        auth.password.edit.setText(PASSWORD)
        auth.password.edit.setFocus()
        await self.capture("register")
        auth.submit.click()
        await until(lambda: window.current is window.dashboard, "the dashboard after registering")

    async def dashboard(self) -> None:
        window, dashboard = self.window, self.window.dashboard
        names = HOSTILE_ROOMS if self.hostile else ROOM_NAMES
        for index, name in enumerate(names):
            created = await window.context.api.create_room(name=f"room {index}" if self.hostile else name)
            if self.hostile:
                self.patch_db("UPDATE rooms SET name = ? WHERE room_id = ?", name, created.room.room_id)
        if self.hostile:
            assert window.context.user is not None
            self.patch_db("UPDATE users SET username = ? WHERE id = ?", HOSTILE_USER, window.context.user.id)
            window.context.user = await window.context.api.me()
        await until(lambda: not dashboard.tasks.busy, "the first room list")
        dashboard.refresh()
        await until(lambda: not dashboard.tasks.busy and dashboard.rooms.count() >= len(names), "the recent rooms")
        await self.capture("dashboard")

    # ---- a scheduled meeting's reminder (issue 15) ----------------------------------------------------------
    async def meeting_reminder(self) -> None:
        """A meeting scheduled through REST five and a half minutes ahead, reminded five minutes before: the reminder
        service's clock is moved to that moment (no waiting), and the banner shows over the dashboard."""
        window = self.window
        service = window.context.reminders
        await until(lambda: service.refreshes >= 1, "the first fetch of meetings")
        start = (datetime.now(UTC) + timedelta(minutes=5, seconds=30)).replace(microsecond=0)
        title = "Планёрка" if self.language == "ru" else "Standup"
        meeting = await ScheduleApi(window.context.api).create(
            MeetingDraft(title=title, start=start, end=start + timedelta(minutes=30), reminder_minutes=5)
        )
        service.refresh_now()
        await until(lambda: any(p.occurrence.meeting_id == meeting.meeting_id for p in service.planner.planned), "it")
        upcoming = window.dashboard.upcoming  # the dashboard lists it too, as it would by then
        upcoming.refresh()
        await until(lambda: not upcoming.loading.busy and upcoming.rows, "the meeting among the upcoming ones")
        real_clock = service.clock
        service.clock = lambda: start - timedelta(minutes=5)
        service.check()
        await until(lambda: bool(window.reminders.banners), "the reminder")
        await self.capture("meeting-reminder")
        window.reminders.clear()
        service.clock = real_clock
        await ScheduleApi(window.context.api).cancel(meeting.meeting_id)
        upcoming.refresh()
        await until(lambda: not upcoming.loading.busy and not upcoming.rows, "the upcoming meetings without it")

    # ---- scheduling (issue 15): the calendar's month and week, the scheduling dialog, the dashboard's meetings ------

    async def calendar(self) -> None:
        """A week of meetings (one weekly, one starting in three minutes) and an invitation from another account, made
        through the API; then the calendar's month and week, the scheduling dialog filled in, and the dashboard."""
        window = self.window
        if self.hostile:
            return
        view = window.calendar_view
        zone = view.zone
        now = datetime.now(zone).replace(second=0, microsecond=0)
        today = now.date()
        schedule = ScheduleApi(window.context.api)

        def at(day_offset: int, hour: int, minute: int = 0) -> datetime:
            return datetime.combine(today + timedelta(days=day_offset), datetime.min.time(), zone).replace(
                hour=hour, minute=minute
            )

        weekly = at(-today.weekday(), 10)  # this week's Monday
        await schedule.create(
            MeetingDraft(
                MEETINGS[0], weekly, weekly + timedelta(minutes=45), timezone=zone.key, recurrence="FREQ=WEEKLY;COUNT=8"
            )
        )
        soon = now + timedelta(minutes=3)
        await schedule.create(MeetingDraft(MEETINGS[1], soon, soon + timedelta(minutes=30), timezone=zone.key))
        for offset, hour, minute, length, title in (
            (1, 11, 30, 30, MEETINGS[2]),
            (2, 14, 0, 90, MEETINGS[3]),
            (-2, 9, 0, 60, MEETINGS[4]),
            (1, 15, 0, 60, MEETINGS[5]),
        ):
            start = at(offset, hour, minute)
            await schedule.create(MeetingDraft(title, start, start + timedelta(minutes=length), timezone=zone.key))
        user = window.context.user
        assert user is not None
        async with ApiClient(self.server.url) as other:
            # Neither "grace" (a bot in the call) nor grace.hopper@example.org (the password prompt's step): both are
            # registered later in the walk.
            other.token = (await other.register("gracehopper", "gracehopper@example.org", PASSWORD)).token
            start = at(1, 16, 30)
            await ScheduleApi(other).create(
                MeetingDraft(
                    MEETINGS[6], start, start + timedelta(hours=1), timezone=zone.key, attendees=(user.username,)
                )
            )

        window.dashboard.calendar_requested.emit()
        await until(lambda: window.current is view and not view.loading.busy and view.month.blocks, "the month")
        await self.capture("calendar-month")
        view.show_page(Page.WEEK)
        view.week.scroll_to(8 * 60)
        await until(lambda: not view.loading.busy and view.week.blocks, "the week")
        await self.capture("calendar-week")
        view.go_to(today + timedelta(days=1), Page.DAY)  # tomorrow: the busiest day
        view.day.scroll_to(8 * 60)
        await until(lambda: not view.loading.busy and view.day.blocks, "the day")
        await self.capture("calendar-day")
        view.show_page(Page.WEEK)
        view.go_today()
        await until(lambda: not view.loading.busy and view.week.blocks, "the week again")

        view.open_schedule()
        opened = view.dialog
        if not isinstance(opened, ScheduleDialog):
            raise RenderError("Schedule opened no scheduling dialog")
        dialog: ScheduleDialog = opened
        await until(lambda: not dialog.loading.busy, "the dialog's rooms")
        dialog.title.edit.setText(MEETINGS[7])
        dialog.description.edit.setPlainText(MEETING_DESCRIPTION)
        dialog.repeat.setCurrentIndex(2)  # weekly
        dialog.attendees.edit.setPlainText("ada, grace.hopper@example.org, linus")
        dialog.title.edit.setFocus()
        await until(lambda: (handle := dialog.windowHandle()) is not None and handle.isExposed(), "the dialog")
        self.centre(dialog)
        await self.capture("schedule-dialog", with_dialogs=True)
        dialog.reject()
        await until(lambda: view.dialog is None, "the dialog closed")

        view.back.emit()
        upcoming = window.dashboard.upcoming
        await until(lambda: not upcoming.loading.busy and upcoming.rows and upcoming.invitation_rows, "the meetings")
        await self.capture("dashboard-meetings")

    # ---- history and statistics (issue 15) ----------------------------------------------------------------
    async def history(self) -> None:
        """A month of meetings in margaret's rooms, written through the server's own history store (a walk cannot
        wait a month), then the screen from the dashboard's History button, the first room's meetings shown."""
        window, view = self.window, self.window.history_view
        me = window.context.user
        assert me is not None
        rooms = [room.room_id for room in await window.context.api.list_rooms()]
        rooms.reverse()  # creation order: ROOM_NAMES[0] first
        api = ApiClient(self.server.url)
        try:
            accounts = [await api.register(name, f"{name}@example.org", PASSWORD) for name in HISTORY_PEOPLE]
            api.token = accounts[0].token
            rooms.append((await api.create_room(name="Katherine's office hours")).room.room_id)
        finally:
            await api.close()
        engine = create_engine(f"sqlite+aiosqlite:///{self.server.data_dir / 'nimeet.sqlite3'}")
        history = HistoryStore(sessions(engine))
        people = [account.user.id for account in accounts]
        today = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        try:
            for days_ago, hour, minutes, guests, room in HISTORY_MEETINGS:
                start = (today - timedelta(days=days_ago)).replace(hour=hour)
                stays = [(await history.start_stay(rooms[room], me.id, start), minutes)]
                for index, person in enumerate(people[:guests]):
                    late = 2 + 3 * index  # people arrive a little after the host, one after another
                    joined = await history.start_stay(rooms[room], person, start + timedelta(minutes=late))
                    stays.append((joined, minutes - late - 2 * index))
                for stay, length in sorted(stays, key=lambda pair: pair[1]):  # the shortest stay ends first
                    await history.end_stay(stay, start + timedelta(minutes=length))
        finally:
            await engine.dispose()
        window.dashboard.history_button.click()
        await until(lambda: window.current is view, "the history screen")
        await until(lambda: len(view.chart.days) == 30, "the statistics")
        await until(lambda: view.selected_room() is not None, "the rooms in the history")
        view.select_room(rooms[0])
        await until(lambda: view.sessions.topLevelItemCount() >= 4 and not view.loading.busy, "the room's meetings")
        await self.capture("history")
        view.back_button.click()
        await until(lambda: window.current is window.dashboard, "the dashboard again")

    # ---- the recordings list (issue 16) ---------------------------------------------------------------------
    async def recordings(self) -> None:
        """A few short calls really recorded (the app's own container, PyAV) into a folder of the walk's temporary
        directory, named and dated as the app names them, then the screen from the dashboard's Recordings button."""
        window, view = self.window, self.window.recordings_view
        folder = self.home / "Videos" / "NIMeet"
        shutil.rmtree(folder, ignore_errors=True)  # the light walk's, when this is the dark one
        folder.mkdir(parents=True)
        walk_folder = os.environ.get("NIMEET_RECORDINGS_DIR")  # where the walk's own call recording goes (later)
        os.environ["NIMEET_RECORDINGS_DIR"] = str(folder)  # the default folder: as most people will have it
        try:
            now = datetime.now().replace(second=0, microsecond=0)
            for days_ago, hour, minute, seconds, room in RECORDINGS:
                started = (now - timedelta(days=days_ago)).replace(hour=hour, minute=minute)
                path = new_recording_path(folder, room, started)
                await asyncio.to_thread(_write_recording, path, seconds)
                ended = (started + timedelta(seconds=seconds)).timestamp()
                os.utime(path, (ended, ended))
            window.dashboard.recordings_button.click()
            await until(lambda: window.current is view, "the recordings screen")
            await until(lambda: view.tree.topLevelItemCount() == len(RECORDINGS) and not view.probing, "the recordings")
            await self.capture("recordings")
            view.back_button.click()
            await until(lambda: window.current is window.dashboard, "the dashboard again")
        finally:
            if walk_folder is None:
                os.environ.pop("NIMEET_RECORDINGS_DIR", None)
            else:
                os.environ["NIMEET_RECORDINGS_DIR"] = walk_folder

    # ---- push-to-talk's settings section (issue 12) -------------------------------------------------------
    async def push_to_talk(self) -> None:
        """The section as the settings window hosts it, on its own: on, and the sentence of this platform (X11 here),
        then with the Wayland sentence and a refused key."""
        context = self.window.context
        context.settings.push_to_talk = True
        for name, where in (("push-to-talk", None), ("push-to-talk-wayland", Support.WAYLAND)):
            host = QWidget()
            host.setWindowTitle("NIMeet")
            layout = QVBoxLayout(host)
            layout.setContentsMargins(24, 24, 24, 24)
            section = PushToTalkSection(context.settings_store, context.settings, where)
            layout.addWidget(section)
            layout.addStretch(1)
            host.resize(560, 240)
            host.move(40, 40)
            host.show()
            await until(lambda h=host: (w := h.windowHandle()) is not None and w.isExposed(), "the section shown")
            if where is Support.WAYLAND:
                section.key.start_capture()
                typed = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_A, Qt.KeyboardModifier.NoModifier, "a")
                QApplication.sendEvent(section.key, typed)  # a letter alone: refused, saying why
            await asyncio.sleep(SETTLE_S)
            self.save(QGuiApplication.primaryScreen().grabWindow(host.winId()), name)
            host.close()
            host.deleteLater()
        context.settings.push_to_talk = False

    # ---- the settings window (issue 12, settingsui) --------------------------------------------------------
    # Opened from the dashboard's button, every page in turn: the devices page with its own live preview and level
    # (nobody else has the devices on the dashboard).

    async def settings_pages(self) -> None:
        window = self.window
        window.dashboard.settings_button.click()
        settings = window.settings_window
        settings.move(80, 60)
        await until(lambda: (handle := settings.windowHandle()) is not None and handle.isExposed(), "the settings")
        await until(lambda: settings.devices.tile.conversions > 3, "the preview in the settings")
        await until(lambda: settings.devices.meter.value() > 0, "the level in the settings")
        for page in PAGES:
            settings.open_page(page)
            await asyncio.sleep(SETTLE_S)
            settings.repaint()
            await asyncio.sleep(0.15)
            self.save(QGuiApplication.primaryScreen().grabWindow(settings.winId()), f"settings-{page}")
        settings.close()
        # The main window active again, as the person would leave it: the tray notifies only for a window not looked
        # at, and a "… joined" balloon would cover the call's picture.
        window.activateWindow()
        await until(window.isActiveWindow, "the main window active again")

    async def background(self) -> None:
        """Blur and a picture behind the drawn person, in the settings' Background section and in pre-join."""
        window, settings = self.window, self.window.context.settings
        provider = window.context.provider
        assert isinstance(provider, Devices)
        provider.person = True
        landscape(self.background_picture)
        window.dashboard.settings_button.click()
        settings_window = window.settings_window
        settings_window.move(80, 60)
        await until(lambda: (h := settings_window.windowHandle()) is not None and h.isExposed(), "the settings")
        settings_window.open_page("video")
        section = settings_window.background
        scroll = settings_window.stack.currentWidget()
        for mode, name in (("blur", "settings-background-blur"), ("replace", "settings-background-image")):
            if mode == "blur":
                section.buttons["blur"].click()
            else:
                section.image_chosen(str(self.background_picture))
            await until(lambda m=mode: settings.background_mode == m, f"the {mode} chosen")
            await self.settled(lambda: section.effect, "the settings' preview")
            if hasattr(scroll, "ensureWidgetVisible"):
                scroll.ensureWidgetVisible(section.tile)
            await asyncio.sleep(SETTLE_S)
            settings_window.repaint()
            await asyncio.sleep(0.15)
            self.save(QGuiApplication.primaryScreen().grabWindow(settings_window.winId()), name)
        settings_window.close()
        window.activateWindow()

        window.dashboard.new_call_button.click()
        dialog = window.dashboard.room_dialog
        if dialog is None:
            raise RenderError("New call opened no room settings")
        dialog.save_button.click()
        prejoin = window.prejoin
        await until(lambda: window.current is prejoin, "the pre-join screen")
        await until(lambda: prejoin.join_button.isEnabled() and prejoin.tile.conversions > 3, "a live preview")
        await until(lambda: "·" in prejoin.room_label.text(), "the room's name and head count")
        box = prejoin.background_box
        for mode, name in (("replace", "prejoin-background-image"), ("blur", "prejoin-background-blur")):
            box.setCurrentIndex(box.findData(mode))
            box.activated.emit(box.currentIndex())
            await until(lambda m=mode: settings.background_mode == m, f"the {mode} chosen")
            await self.settled(lambda: prejoin.effect, "pre-join's preview")
            await self.capture(name)
        # As the walk found them: no effect, the synthetic camera, the dashboard.
        box.setCurrentIndex(box.findData("off"))
        box.activated.emit(box.currentIndex())
        provider.person = False
        await prejoin.close_preview()
        prejoin.back.emit()
        await until(lambda: window.current is window.dashboard, "the dashboard again")

    @staticmethod
    async def settled(effect: Callable[[], Any], what: str) -> None:
        """The effect's model has found the person and the preview shows frames composited since."""
        await until(lambda: effect() is not None and effect().preview.effect.worker.stats.updates > 2, f"{what} masks")
        done = effect().preview.composited
        await until(lambda: effect().preview.composited > done + 5, f"{what} frames")

    async def tile_menu(self) -> None:
        """A right click on ada's tile: her volume, turned down to 60 %."""
        tile = self.tile_of(self.bot("ada"))
        centre = tile.rect().center()
        event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, centre, tile.mapToGlobal(centre))
        QApplication.sendEvent(tile, event)
        menu = tile.menu
        if menu is None:
            raise RenderError("no menu on ada's tile")
        control = menu.findChild(VolumeControl)
        if control is None:
            raise RenderError("no volume in ada's tile menu")
        control.slider.setValue(60)
        await until(menu.isVisible, "the tile's menu")
        await self.capture_screen("tile-volume")
        control.slider.setValue(100)  # as received again, for the pictures that follow
        menu.hide()

    async def switch_server(self) -> None:
        """An invitation for another server: the question it asks (answered "stay", so the walk goes on here)."""
        window, dashboard = self.window, self.window.dashboard
        room_id = str(dashboard.rooms.item(0).data(Qt.ItemDataRole.UserRole))
        window.open_link(parse_join_target(f"https://meet.example.org/join/{room_id}"))
        await until(lambda: window.switch_dialog is not None and window.switch_dialog.isVisible(), "the question")
        await self.capture("switch-server", with_dialogs=True)
        assert window.switch_dialog is not None
        window.switch_dialog.stay_button.click()
        await until(lambda: window.switch_dialog is None, "the switch question answered")

    # ---- meetings (issue 14): a room's settings, a room's password, the lobby ---------------------------------

    async def room_settings(self) -> None:
        """Edit on the dashboard for the first room: given a description, a lobby and a password first (through the
        API, as the dialog itself would), so the dialog shows every setting in use; closed with Cancel."""
        window, dashboard = self.window, self.window.dashboard
        if self.hostile:
            return
        row = next(r for r in range(dashboard.rooms.count()) if ROOM_NAMES[0] in dashboard.rooms.item(r).text())
        room_id = str(dashboard.rooms.item(row).data(Qt.ItemDataRole.UserRole))
        await window.context.api.update_room(
            room_id, description=ROOM_DESCRIPTION, is_private=True, password=ROOM_PASSWORD, max_participants=6
        )
        dashboard.refresh()
        await until(lambda: not dashboard.loading.busy and dashboard.rooms.count() > 0, "the rooms again")
        dashboard.rooms.setCurrentRow(row)
        dashboard.edit_button.click()
        dialog = dashboard.room_dialog
        if dialog is None:
            raise RenderError("Edit opened no room settings")
        await until(lambda: (handle := dialog.windowHandle()) is not None and handle.isExposed(), "the settings")
        self.centre(dialog)
        await self.capture("room-dialog", with_dialogs=True)
        dialog.cancel_button.click()
        await until(lambda: dashboard.room_dialog is None, "the settings closed")
        # The walk's later rooms stay open: the bots join the new call without a lobby or a password.
        await window.context.api.update_room(room_id, is_private=False, password=None)

    async def password_prompt(self) -> None:
        """Someone else's room with a password: pre-join asks for it before joining. Answered with Cancel, then
        back to the dashboard."""
        window, prejoin = self.window, self.window.prejoin
        if self.hostile:
            return
        api = ApiClient(self.server.url)
        try:
            api.token = (await api.register("hopper", "grace.hopper@example.org", PASSWORD)).token
            room = (await api.create_room("Compiler review", password=ROOM_PASSWORD)).room
        finally:
            await api.close()
        window.open_prejoin(room.room_id)
        await until(lambda: prejoin.join_button.isEnabled() and prejoin.room is not None, "pre-join for the room")
        prejoin.join_button.click()
        prompt = prejoin.password_prompt
        if prompt is None:
            raise RenderError("joining a room with a password asked for none")
        await until(lambda: (handle := prompt.windowHandle()) is not None and handle.isExposed(), "the prompt")
        prompt.field.edit.setText("mondays")
        self.centre(prompt)
        await self.capture("password-prompt", with_dialogs=True)
        prompt.cancel_button.click()
        await prejoin.close_preview()
        window.prejoin.back.emit()
        await until(lambda: window.current is window.dashboard, "the dashboard again")

    async def lobby_waiting(self) -> None:
        """The lobby's waiting screen, as the window shows it when the join answers ``waiting`` (the window's API
        for the engine's news, ``show_waiting``), then back to the call (``show_admitted``)."""
        window = self.window
        if self.hostile:
            return
        window.show_waiting(window.call_view.room_name)
        await until(lambda: window.current is window.lobby_view, "the lobby's waiting screen")
        await self.capture("lobby-waiting")
        window.show_admitted()
        await until(lambda: window.current is window.call_view, "the call again")

    def centre(self, dialog: QWidget) -> None:
        """A dialog over the middle of the window, where a window manager would put it (Xvfb has none)."""
        frame = self.window.geometry()
        dialog.move(
            frame.x() + (frame.width() - dialog.width()) // 2, frame.y() + (frame.height() - dialog.height()) // 3
        )

    def patch_db(self, sql: str, *params: object) -> None:
        """--hostile: write the server's SQLite database directly, for the names its API refuses."""
        with contextlib.closing(sqlite3.connect(self.server.data_dir / "nimeet.sqlite3", timeout=10)) as db:
            db.execute(sql, params)
            db.commit()

    async def prejoin(self) -> None:
        window, prejoin = self.window, self.window.prejoin
        if self.hostile:  # the 10,000-character room, joined from the list
            dashboard = window.dashboard
            row = next(r for r in range(dashboard.rooms.count()) if "WWWW" in dashboard.rooms.item(r).text())
            dashboard.rooms.setCurrentRow(row)
            dashboard.open_button.click()
        else:
            window.dashboard.new_call_button.click()  # the new room's settings, as they come: Start call
            dialog = window.dashboard.room_dialog
            if dialog is None:
                raise RenderError("New call opened no room settings")
            dialog.save_button.click()
        await until(lambda: window.current is prejoin, "the pre-join screen")
        await until(lambda: prejoin.join_button.isEnabled() and prejoin.tile.conversions > 3, "a live preview")
        await until(lambda: prejoin.meter.value() > 0, "the microphone meter")
        await until(lambda: "·" in prejoin.room_label.text(), "the room's name and head count")
        await self.capture("prejoin")

    async def call(self) -> None:
        window, view = self.window, self.window.call_view
        window.prejoin.join_button.click()
        await until(lambda: view.call is not None and view.grid.tile("self") is not None, "the call", within=20)
        await self.join_bots(view.room_id)
        await until(lambda: len(view.grid.tiles()) == 1 + len(BOT_NAMES), "four tiles", within=20)
        await until(lambda: all(t.conversions > 5 for t in view.grid.tiles()), "frames on every tile", within=30)
        grace, linus = self.bot("grace"), self.bot("linus")
        await grace.session.set_microphone(False)
        await linus.session.set_camera(False)
        await until(lambda: not self.tile_of(grace).mic_on, "grace's tile muted")
        await until(lambda: not self.tile_of(linus).camera_on, "linus's avatar")
        await until(lambda: all(t.quality is not None for t in view.grid.tiles() if not t.is_self), "quality badges")
        # The "… joined" toasts are real, but they would hide the top of the grid in the reference picture.
        await until(lambda: not window.toasts.visible_messages(), "the join toasts to go", within=10)
        await asyncio.sleep(1.0)
        await self.capture("call-4")

    async def recording_notice(self) -> None:
        """A call being recorded (issue 16): we record (REC, the time), and ada, made a host, records too, as
        everyone in the call sees it. Stopped afterwards; alone (``--only recording``) it makes its call first."""
        window, view = self.window, self.window.call_view
        if view.call is None:
            window.dashboard.new_call_button.click()
            dialog = window.dashboard.room_dialog
            if dialog is None:
                raise RenderError("New call opened no room settings")
            dialog.save_button.click()
            await until(lambda: window.current is window.prejoin and window.prejoin.join_button.isEnabled(), "pre-join")
            window.prejoin.join_button.click()
            await until(lambda: view.call is not None and view.grid.tile("self") is not None, "the call", within=20)
            await self.join_bots(view.room_id)
            await until(lambda: all(t.conversions > 5 for t in view.grid.tiles()), "frames on every tile", within=30)
        call, bar, ada = view.call, view.recording_bar, self.bot("ada")
        assert call is not None
        await until(lambda: bar.record_button.isVisible(), "a host's Record")
        bar.record_button.click()
        await call.set_role(self.socket_id(ada), "host")
        await ada.session.set_recording(True)
        await until(lambda: bar.stop_button.isVisible() and "ada" in bar.who.text(), "both recording", within=15)
        await until(lambda: not window.toasts.visible_messages(), "the toasts to go", within=10)
        controller = view.recording_controller
        await until(lambda: controller is not None and controller.elapsed_s >= 4, "a few seconds recorded", within=15)
        await self.capture("call-recording")
        await ada.session.set_recording(False)
        await call.set_role(self.socket_id(ada), "participant")
        bar.stop_button.click()
        await until(lambda: bar.record_button.isVisible() and not bar.notice.isVisible(), "the recording stopped")
        await until(lambda: not window.toasts.visible_messages(), "the toasts to go", within=10)

    # ---- the meeting (issue 14) ---------------------------------------------------------------------------
    # Until the engine speaks version 1.1's meeting events, the panel is fed here: the bots' real participants (with
    # roles and hands set), two people waiting in the lobby, a chat with a link, files and private messages.

    def meeting_people(self) -> tuple[str, list[Participant]]:
        view = self.window.call_view
        assert view.call is not None
        me = view.call.self_participant
        if me is None:
            raise RenderError("the call has no participant of ours")
        now = datetime.now(UTC)
        hands = {"ada": now - timedelta(seconds=40), "linus": now - timedelta(seconds=95)}
        people = [me.model_copy(update={"role": "host", "media_state": view.call.media_state})]
        for bot in self.bots:
            own = bot.session.self_participant
            assert own is not None
            media = view.call.participants[own.socket_id].media  # what the call knows now (grace muted, ...)
            people.append(own.model_copy(update={"media_state": media, "hand_raised_at": hands.get(bot.name)}))
        return me.socket_id, people

    def chat_history(self, people: list[Participant]) -> tuple[list[ChatMessage], list[ChatMessage], list[FileInfo]]:
        """Messages of the meeting so far, two that come in while the chat is closed, and the files among them."""
        me, ada, grace, linus = people
        now = datetime.now(UTC)
        texts = CHAT[self.language]

        def said(number: int, who: Participant, text: str, ago: float, **extra: object) -> ChatMessage:
            return ChatMessage.model_validate(
                {
                    "id": f"m{number}",
                    "from": who.socket_id,
                    "userId": who.user_id,
                    "username": who.username,
                    "text": text,
                    "sentAt": (now - timedelta(minutes=ago)).isoformat(),
                    **extra,
                }
            )

        def file(file_id: str, name: str, size: int, who: Participant) -> FileInfo:
            return FileInfo(
                id=file_id,
                name=name,
                size=size,
                sha256="0" * 64,
                mime="application/octet-stream",
                uploaded_by=who.user_id,
                uploaded_at=now,
            )

        plan = file("f-plan", "release-0.2-plan.pdf", 1_834_000, ada)
        slides = file("f-slides", "design-review-slides.pdf", 5_260_000, linus)
        history = [
            said(1, ada, texts[0], 9),
            said(2, me, texts[1], 8),
            said(3, ada, "", 8, file=plan.wire()),
        ]
        if self.hostile:
            history.append(said(4, linus, HOSTILE_CHAT, 7))
        arriving = [
            said(5, grace, texts[2], 2, to=me.socket_id),
            said(6, linus, texts[4], 1),
            said(7, linus, "", 1, file=slides.wire()),
        ]
        return history, arriving, [plan, slides]

    @staticmethod
    def close_balloons() -> None:
        """Without a window manager the window never counts as active, so the tray tells of joins and messages in
        Qt's own balloon over the bottom right, where the panel's buttons are: closed (and the meeting's notifications
        off) for the pictures."""
        for widget in QApplication.topLevelWidgets():
            if widget.metaObject().className() == "QBalloonTip" and widget.isVisible():
                widget.close()

    async def meeting(self) -> None:
        view = self.window.call_view
        window = self.window
        await until(lambda: not window.toasts.visible_messages(), "no toast over the grid", within=10)
        notifications = window.context.settings.notifications
        window.context.settings.notifications = False  # the chat's notifications: see close_balloons
        self.close_balloons()
        self_id, people = self.meeting_people()
        panel = view.meeting
        view.show_meeting_controls(True)
        view.set_people(self_id, people, am_host=True)
        lobby_names = ("katherine", "dorothy")
        panel.set_lobby([LobbyEntry(socket_id=f"lobby-{n}", user_id=f"user-{n}", username=n) for n in lobby_names])
        history, arriving, files = self.chat_history(people)
        panel.set_history(history)
        view.toggle_panel("people")
        for message in arriving:  # while People is open: the Chat button counts them
            panel.add_message(message, mine=False)
        await self.capture("panel-people")

        ada = people[1].socket_id
        panel.people.open_menu(ada)
        menu = panel.people.menu
        if menu is None:
            raise RenderError("no menu on ada's row")
        await until(menu.isVisible, "the host's menu")
        await self.capture_screen("host-menu")
        menu.close()

        view.toggle_panel("chat")
        panel.download_progress(files[1].id, 0.0)
        panel.chat.files[files[1].id].download_started()
        panel.download_progress(files[1].id, 0.42)
        panel.download_finished(files[0].id, None)
        panel.upload_started("render-upload", "whiteboard.png", 2_430_000)
        panel.upload_progress("render-upload", 0.63)
        panel.chat.input.setPlainText(CHAT[self.language][3])
        await self.capture("panel-chat")

        view.hide_panel()
        await asyncio.sleep(SETTLE_S)  # the grid takes the whole width again
        for socket_id, emoji in ((ada, REACTIONS[1]), (people[2].socket_id, REACTIONS[0]), (self_id, REACTIONS[7])):
            view.show_reaction(socket_id, emoji)
        view.show_reaction(ada, REACTIONS[4])
        view.controls.show_reactions()
        reactions = view.controls.reaction_menu
        assert reactions is not None
        await until(reactions.isVisible, "the reactions")
        await self.capture_screen("reactions")
        reactions.close()

        # The rest of the walk shows the call as it is without meeting data.
        panel.upload_finished("render-upload", None)
        for tile in view.grid.tiles():
            tile.set_hand_raised(False)
        view.show_meeting_controls(False)
        panel.clear()
        await asyncio.sleep(FLOAT_MS / 1000)  # every reaction floated away
        window.context.settings.notifications = notifications

    async def statistics(self) -> None:
        """The call's statistics (issue 13) over the call, once every row has its round trip (RTCP has gone both
        ways) and the frame rates of those who send video are counted."""
        view = self.window.call_view
        view.statistics_button.click()
        dialog = view.statistics_dialog
        assert dialog is not None
        frame = self.window.geometry()
        dialog.move(frame.x() + (frame.width() - dialog.width()) // 2, frame.y() + 90)
        await until(lambda: (handle := dialog.windowHandle()) is not None and handle.isExposed(), "the statistics")

        def complete() -> bool:
            rows = [dialog.row_texts(row) for row in range(dialog.table.rowCount())]
            return (
                len(rows) == 1 + len(BOT_NAMES)
                and "—" not in rows[0][:3]
                and all(row[6] != "—" and row[4] != "—" for row in rows[1:])
            )

        await until(complete, "every round trip in the statistics", within=30)
        await self.capture("statistics", with_dialogs=True)
        dialog.close()
        await until(lambda: view.statistics_dialog is None, "the statistics closed")

    async def screen_share(self) -> None:
        view = self.window.call_view
        ada = self.bot("ada")
        await ada.session.start_screen_share(SyntheticVideo(1280, 720, 15, label="screen"))
        ada_id = self.socket_id(ada)
        await until(lambda: view.grid.featured_tile_id == ada_id, "ada's screen in the big spot")
        assert view.call is not None
        frames = view.call.participants[ada_id].frame_source
        await until(
            lambda: (frame := frames()) is not None and frame.width > 640,
            "ada's screen frames (wider than her camera)",
            within=20,
        )
        tile = self.tile_of(ada)
        shown = tile.conversions
        await until(lambda: tile.conversions > shown + 5, "the featured tile painting the screen")
        await self.capture("screen-share")

    async def reconnecting(self) -> None:
        view = self.window.call_view
        self.server.stop(signal.SIGKILL)  # the app's signaling drops and cannot come back: the cover stays up
        await until(lambda: view.overlay.isVisible(), "the reconnecting cover", within=10)
        await self.capture("reconnecting")

    # ---- the tray (issue 11) ------------------------------------------------------------------------------
    # The tray's menu in the call (muted from the tray, so the icon's red badge and "Turn on microphone" show) and
    # the question closing the window asks. With a tray host (trayer, started by ``tray_host``) the menu pops up at
    # the real icon and the whole screen is grabbed, panel included; without one the menu pops up at the screen's
    # bottom right as a tray's would.

    async def tray_menu(self) -> None:
        view, menu = self.window.call_view, self.tray.menu
        self.tray.microphone_action.trigger()
        await until(lambda: view.call is not None and not view.call.microphone_on, "muted from the tray")
        await until(lambda: not self.window.toasts.visible_messages(), "no toast over the grid", within=10)
        icon = self.tray.icon
        # Above the icon, right-aligned to it, as a tray at the bottom of the screen opens it.
        anchor = icon.geometry() if icon is not None else QGuiApplication.primaryScreen().geometry()
        size = menu.sizeHint()
        menu.popup(QPoint(anchor.right() - size.width(), anchor.top() - size.height() - 4))
        if icon is None:
            logger.warning("no tray host: the tray menu is drawn without its icon")
        await until(menu.isVisible, "the tray menu")
        await self.capture_screen("tray-menu")
        menu.hide()
        self.tray.microphone_action.trigger()
        await until(lambda: view.call is not None and view.call.microphone_on, "unmuted from the tray")

    async def close_during_call(self) -> None:
        guard = self.window.close_guard
        if guard is not None:  # the real path: closing the window asks
            self.window.close()
            dialog = guard.dialog
        else:
            dialog = CloseDuringCallDialog(self.window)
            dialog.open()
        if dialog is None:
            raise RenderError("closing the window during the call did not ask")
        await until(lambda: (handle := dialog.windowHandle()) is not None and handle.isExposed(), "the question")
        await self.capture_screen("close-during-call")
        dialog.cancel_button.click()
        await until(lambda: self.window.isVisible() and self.window.in_call, "still in the call after Cancel")

    # ---- devices during a call (issue 12) ------------------------------------------------------------------
    # The arrow menu beside the microphone (microphones and speakers, the one in use checked) and the offer to
    # switch back to a preferred device that was plugged in again.

    async def devices_in_call(self) -> None:
        view = self.window.call_view
        await until(lambda: not self.window.toasts.visible_messages(), "no toast over the grid", within=10)
        view.controls.mic_devices_button.click()
        await until(lambda: (m := view.controls.device_menu) is not None and m.isVisible(), "the device menu")
        await self.capture_screen("device-menu")
        menu = view.controls.device_menu
        assert menu is not None
        menu.close()
        view.devices.offer.propose("microphone", DeviceChoice("usb", "USB headset"))
        await self.capture("switch-back-offer")
        view.devices.offer.withdraw()

    async def capture_screen(self, name: str) -> None:
        """The whole X screen: popups and dialogs are windows of their own."""
        await asyncio.sleep(SETTLE_S)
        self.save(QGuiApplication.primaryScreen().grabWindow(0), name)

    # ---- bots -------------------------------------------------------------------------------------------

    async def join_bots(self, room_id: str) -> None:
        api = ApiClient(self.server.url)
        try:
            for name in BOT_NAMES:
                auth = await api.register(name, f"{name}@example.org", PASSWORD)
                if self.hostile:  # the server reads the name when the socket connects
                    self.patch_db("UPDATE users SET username = ? WHERE id = ?", HOSTILE_BOTS[name], auth.user.id)
                session = CallSession(
                    self.server.url,
                    auth.token,
                    [],
                    observer=CallObserver(),
                    camera_factory=_camera(name),
                    microphone=SyntheticAudio(),
                )
                self.bots.append(Bot(name, session))
                await session.join(room_id)
        finally:
            await api.close()

    def bot(self, name: str) -> Bot:
        return next(b for b in self.bots if b.name == name)

    @staticmethod
    def socket_id(bot: Bot) -> str:
        me = bot.session.self_participant
        if me is None:
            raise RenderError(f"{bot.name} has not joined")
        return me.socket_id

    def tile_of(self, bot: Bot) -> VideoTile:
        tile = self.window.call_view.grid.tile(self.socket_id(bot))
        if tile is None:
            raise RenderError(f"no tile for {bot.name}")
        return tile

    # ---- cleanup ----------------------------------------------------------------------------------------

    async def close(self) -> None:
        """Leave and close everything, whatever state the walk stopped in; each step on its own."""
        for bot in self.bots:
            try:
                await asyncio.wait_for(bot.session.leave(), 15)
            except Exception as exc:
                logger.warning("%s did not leave cleanly: %s", bot.name, exc)
        try:
            await asyncio.wait_for(self.window.shutdown(), 30)
        except Exception as exc:
            logger.warning("the window did not shut down cleanly: %s", exc)
        self.window.close()
        if self.tray.icon is not None:
            self.tray.icon.hide()  # the next walk's window brings its own


# ---- entry point --------------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="Render every screen of the NIMeet desktop app to PNGs (under Xvfb).")
    p.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots", help="directory for the PNGs")
    p.add_argument("--scale", type=float, default=1.0, help="QT_SCALE_FACTOR, e.g. 1.5 for a 150 %% display")
    p.add_argument("--dark", action="store_true", help="then walk again in the dark palette: <screen>-dark.png")
    p.add_argument("--hostile", action="store_true", help="hostile names everywhere: <screen>-hostile.png")
    p.add_argument(
        "--only",
        default="",
        help=f"comma-separated steps to render after registering, nothing else ({', '.join(STEPS)})",
    )
    p.add_argument(
        "--language",
        choices=("en", "ru"),
        default="en",
        help="the interface language; ru writes into <out>/ru unless --out is given (default %(default)s)",
    )
    return p


def _qt_environment(display: str, runtime_dir: Path, scale: float) -> None:
    os.environ["DISPLAY"] = display
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    os.environ["QT_SCALE_FACTOR"] = f"{scale:g}"
    os.environ["QT_FONT_DPI"] = "96"  # not whatever the X server or a desktop setting claims
    os.environ["XDG_RUNTIME_DIR"] = str(runtime_dir)
    for inherited in (
        "QT_QPA_PLATFORMTHEME",
        "QT_STYLE_OVERRIDE",
        "QT_SCREEN_SCALE_FACTORS",
        "QT_AUTO_SCREEN_SCALE_FACTOR",
    ):
        os.environ.pop(inherited, None)


def _render(
    tmp: Path, out: Path, dark: bool, language: str = "en", hostile: bool = False, only: Sequence[str] = ()
) -> list[Path]:
    """The Qt part, built as nimeet_desktop/app.py builds it. Each walk (light, then dark with ``--dark``) is one
    coroutine on the qasync loop, against a server of its own (the walk ends by killing it)."""
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication([sys.argv[0]])
    if app.platformName() != "xcb":
        raise RenderError(f"Qt runs on {app.platformName()!r}, not on the X server")
    app.setApplicationName("NIMeet")
    app.setDesktopFileName("nimeet")
    app.setQuitOnLastWindowClosed(False)
    app.setFont(QFont(FONT_FAMILY, round(FONT_POINT_SIZE)))  # before apply_theme: the stylesheet derives from it
    i18n.install(app, language)  # before any widget, as the app does
    theme.apply_theme(app)
    app.setWindowIcon(icons.icon("nimeet"))
    # The pointer off the window: no hover highlight or tooltip in the pictures.
    corner = QGuiApplication.primaryScreen().geometry().bottomRight()
    QCursor.setPos(corner - QPoint(1, 1))

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    failures: list[str] = []

    def loop_exception(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        failures.append(str(context.get("message")))
        extra = {key: value for key, value in context.items() if key not in ("message", "exception")}
        logger.error(
            "event loop: %s %s",
            context.get("message"),
            extra or "",
            exc_info=exc if isinstance(exc, BaseException) else None,
        )

    loop.set_exception_handler(loop_exception)
    saved: list[Path] = []
    with loop:
        for scheme in ("light", "dark") if dark else ("light",):
            server = ServerProcess(tmp / f"server-{scheme}")
            try:
                server.start()
                renderer = Renderer(
                    server,
                    tmp / f"config-{scheme}",
                    out,
                    dark=scheme == "dark",
                    hostile=hostile,
                    language=language,
                    only=only,
                )
                loop.run_until_complete(_walk(renderer))
            finally:
                server.stop()
            saved += renderer.saved
    if failures:
        logger.warning("%d event-loop error(s) during the walk (see above)", len(failures))
    return saved


async def _walk(renderer: Renderer) -> None:
    try:
        await renderer.run()
    finally:
        await renderer.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not 1.0 <= args.scale <= 4.0:
        build_parser().error("--scale must be between 1 and 4")
    only = [step for step in args.only.split(",") if step]
    if unknown := [step for step in only if step not in STEPS]:
        build_parser().error(f"--only: no step {', '.join(unknown)}")
    out: Path = args.out.resolve()
    if args.language != "en" and args.out == build_parser().get_default("out"):
        out = out / args.language
    out.mkdir(parents=True, exist_ok=True)
    # Media between the app and the bots stays on loopback (and a machine without a network still has that).
    ice.restrict_host_addresses(["127.0.0.1"])
    with tempfile.TemporaryDirectory(prefix="nimeet-screenshots-") as tmp_text:
        tmp = Path(tmp_text)
        for sub in ("log", "runtime"):
            (tmp / sub).mkdir(mode=0o700)
        os.environ["NIMEET_CONFIG_DIR"] = str(tmp / "config")  # nothing should read it: each walk has its own
        os.environ["NIMEET_LOG_DIR"] = str(tmp / "log")
        os.environ["NIMEET_RECORDINGS_DIR"] = str(tmp / "recordings")  # the walk records a call
        width, height = math.ceil(SCREEN_WIDTH * args.scale), math.ceil(SCREEN_HEIGHT * args.scale)
        try:
            with xvfb(width, height) as display, tray_host(display):
                _qt_environment(display, tmp / "runtime", args.scale)
                saved = _render(tmp, out, args.dark, args.language, args.hostile, only)
        except RenderError as exc:
            print(f"render.py: {exc}", file=sys.stderr)
            return 1
    print(f"{len(saved)} screenshots in {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
