"""A real meeting end to end (issue 14): the app as the host of a private room and two ``nimeet-bot`` processes
against the real server. The bots knock and the host lets them in from the People tab; chat goes both ways; a file
goes from a bot to the app and from the app to a bot, each checked against its SHA-256; the host mutes one bot and
then removes it. What each bot lived through is read from its JSON report (docs/bot-report.md)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTextBrowser
from pytestqt.qtbot import QtBot

from nimeet_desktop.ui.main_window import MainWindow
from nimeet_desktop.ui.meeting.chat import ChatTab
from tests.ui.conftest import AppHarness, until
from tests.ui.test_call_window import enter_call

pytestmark = pytest.mark.usefixtures("loopback_media")

BOT_ENV = {**os.environ, "NIMEET_ICE_HOSTS": "127.0.0.1"}


def start_bot(app: AppHarness, room_id: str, report: Path, *args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "nimeet_desktop.bot", "--server", app.server.url, "--register"]
    command += [f"--room={room_id}", "--resolution", "160x120", "--fps", "15", "--json", str(report), *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=BOT_ENV)


async def finished(proc: subprocess.Popen[str], timeout: float = 90) -> tuple[int, str]:
    _, err = await asyncio.to_thread(proc.communicate, timeout=timeout)
    return proc.returncode, err


def chat_texts(chat: ChatTab) -> list[str]:
    return [browser.toPlainText() for browser in chat.transcript.findChildren(QTextBrowser)]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def report_of(path: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(path.read_text())
    return report


def test_a_meeting_with_the_app_as_host_and_two_bots(qtbot: QtBot, app: AppHarness, tmp_path: Path) -> None:
    app.run(meeting(app, qtbot, tmp_path), timeout=240)


async def make_private(window: MainWindow, room_id: str) -> None:
    headers = {"Authorization": f"Bearer {window.context.token}"}
    async with httpx.AsyncClient(base_url=window.context.server_url) as http:
        r = await http.patch(f"/api/rooms/{room_id}", json={"isPrivate": True}, headers=headers)
    assert r.status_code == 200, r.text


async def meeting(app: AppHarness, qtbot: QtBot, tmp_path: Path) -> None:
    window = await enter_call(app, qtbot)
    view = window.call_view
    room_id = view.room_id
    await make_private(window, room_id)
    panel = view.meeting
    people, chat = panel.people, panel.chat
    await until(lambda: view.controls.people_button.isVisible(), what="the meeting's controls")

    from_ada = tmp_path / "from ada.txt"
    from_ada.write_bytes(os.urandom(300_000))
    from_app = tmp_path / "agenda.bin"
    from_app.write_bytes(os.urandom(200_000))
    ada_saves = tmp_path / "ada-saves"
    ada_saves.mkdir()
    ada = start_bot(
        app,
        room_id,
        tmp_path / "ada.json",
        "--username",
        "ada_bot",
        "--chat",
        "hello from ada",
        "--send-file",
        str(from_ada),
        "--save-files",
        str(ada_saves),
        "--duration",
        "20",
    )
    grace = start_bot(app, room_id, tmp_path / "grace.json", "--username", "grace_bot", "--duration", "60")
    try:
        # Both knock; the host sees them in the lobby (and its People button counts them) and lets them in.
        await until(lambda: len(people.lobby_rows) == 2, timeout=60, what="two people in the lobby")
        assert view.controls.people_button.property("count") in (2, "2", None)
        first = next(iter(people.lobby_rows))
        qtbot.mouseClick(people.lobby_rows[first].admit_button, Qt.MouseButton.LeftButton)
        await until(lambda: len(people.lobby_rows) == 1, what="one admitted")
        qtbot.mouseClick(people.admit_all_button, Qt.MouseButton.LeftButton)
        await until(lambda: not people.lobby_rows and len(view.grid.tiles()) == 3, timeout=30, what="both in")
        await until(lambda: all(t.conversions > 5 for t in view.grid.tiles()), timeout=30, what="frames flowing")
        ids = {row.participant.username: sid for sid, row in people.rows.items()}
        assert set(ids) >= {"ada_bot", "grace_bot"}

        # Chat and a file from ada; the app saves the file, checked against the server's SHA-256.
        await until(lambda: any("hello from ada" in text for text in chat_texts(chat)), timeout=30, what="chat")
        await until(lambda: len(chat.files) == 1, timeout=30, what="ada's file in the chat")
        file_row = next(iter(chat.files.values()))
        assert (file_row.info.name, file_row.info.size) == ("from ada.txt", from_ada.stat().st_size)
        saved = tmp_path / "saved.txt"
        panel.save_file.emit(file_row.info, str(saved))
        await until(lambda: saved.exists() and "checked" in file_row.detail.text(), timeout=30, what="saved")
        assert sha256(saved) == sha256(from_ada)

        # The app's chat (typed, Enter sends) and a file from the app, which ada saves.
        qtbot.keyClicks(chat.input, "welcome, everyone")
        qtbot.keyClick(chat.input, Qt.Key.Key_Return)
        await until(lambda: any("welcome, everyone" in text for text in chat_texts(chat)), what="our message shown")
        panel.send_file.emit(str(from_app))
        await until(lambda: len(chat.files) == 2, timeout=30, what="our file in the chat")
        await until(lambda: (ada_saves / from_app.name).exists(), timeout=30, what="ada saved our file")
        assert sha256(ada_saves / from_app.name) == sha256(from_app)

        # The owner changes the room's settings from the call; everyone's title follows the server's room-updated.
        controller = view.meeting_controller
        assert controller is not None
        await until(lambda: not people.room_settings_button.isHidden(), what="the owner's room settings")
        if not people.isVisible():
            qtbot.mouseClick(view.controls.people_button, Qt.MouseButton.LeftButton)
        await until(lambda: people.room_settings_button.isVisible(), what="the People tab open")
        qtbot.mouseClick(people.room_settings_button, Qt.MouseButton.LeftButton)
        await until(lambda: (d := controller.room_dialog) is not None and d.isVisible(), what="the room's settings")
        dialog = controller.room_dialog
        assert dialog is not None and dialog.name.edit.text()
        dialog.name.edit.clear()
        qtbot.keyClicks(dialog.name.edit, "Design review")
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        await until(lambda: view.title.full_text == "Design review", what="the title renamed")

        # The host mutes grace, then removes her.
        grace_id = ids["grace_bot"]
        panel.mute.emit(grace_id, "microphone")
        await until(lambda: not people.rows[grace_id].participant.media_state.microphone, what="grace muted")
        panel.remove.emit(grace_id)
        await until(lambda: grace_id not in people.rows and len(view.grid.tiles()) == 2, what="grace removed")
        status, err = await finished(grace)
        assert status == 3, err[-3000:]
        report = report_of(tmp_path / "grace.json")
        assert report["lobby"]["outcome"] == "admitted", report["lobby"]
        assert [m["media"] for m in report["moderation"]["mutedByHost"]] == ["microphone"]
        assert report["moderation"]["ended"]["reason"] == "removed"

        status, err = await finished(ada)
        assert status == 0, err[-3000:]
        report = report_of(tmp_path / "ada.json")
        assert any(m["text"] == "welcome, everyone" for m in report["chat"]["received"]), report["chat"]
        received = report["files"]["received"]
        assert [(f["name"], f["verified"]) for f in received] == [(from_app.name, True)], report["files"]
    finally:
        for proc in (ada, grace):
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        await view.leave_async()
