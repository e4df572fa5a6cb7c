"""Unattended start (issue 13): ``NIMEET_EMAIL`` / ``NIMEET_PASSWORD`` sign in without the form and are written
nowhere; ``--join-now`` skips pre-join; ``--stats FILE`` writes the call's figures once a second. The real server,
real bots, the real window (and once the real ``nimeet`` process)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from nimeet_desktop.call.session import CallSession
from nimeet_desktop.media.synthetic import SyntheticAudio, SyntheticVideo
from nimeet_desktop.net.links import parse_join_target
from nimeet_desktop.unattended import Credentials, credentials_from_env
from tests.call.conftest import Recorder
from tests.support.clients import Api
from tests.support.server import ServerProcess
from tests.ui.conftest import AppHarness, Run, fill, until
from tests.ui.test_call_window import Bots, with_bots

pytestmark = pytest.mark.usefixtures("loopback_media")

PASSWORD = "correct horse battery"
ROOT = Path(__file__).resolve().parents[2]


async def account_and_room(server_url: str) -> tuple[Credentials, str]:
    """Someone's account (as the environment would name it) and a room of theirs."""
    api = Api(server_url)
    try:
        auth = await api.register(password=PASSWORD)
        room = await api.create_room(auth["token"], name="Kiosk")
    finally:
        await api.aclose()
    return Credentials(email=auth["user"]["email"], password=PASSWORD), str(room["roomId"])


def stats_lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def tiles_moving(path: Path, count: int) -> bool:
    """The newest line has ``count`` tiles, each decoding and painting frames, and we send video."""
    lines = stats_lines(path)
    if not lines:
        return False
    last = lines[-1]
    tiles = last["tiles"]
    return (
        last["sent"]["fps"] > 0
        and len(tiles) == count
        and all(t["decodedFps"] > 0 and (t["paintedFps"] or 0) > 0 for t in tiles)
    )


def test_credentials_are_taken_out_of_the_environment() -> None:
    environ = {"NIMEET_EMAIL": " ada@example.org ", "NIMEET_PASSWORD": "s3cret", "HOME": "/home/ada"}
    credentials = credentials_from_env(environ)
    assert credentials == Credentials("ada@example.org", "s3cret")
    assert environ == {"HOME": "/home/ada"}, "nothing started later may inherit them"
    assert "s3cret" not in repr(credentials)
    only_email = {"NIMEET_EMAIL": "ada@example.org"}
    assert credentials_from_env(only_email) is None and only_email == {}


def test_signed_in_from_the_environment_joins_at_once_and_writes_statistics(
    qtbot: QtBot, app: AppHarness, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="nimeet_desktop")
    stats = tmp_path / "stats.jsonl"
    app.stats_path = stats

    async def flow(app: AppHarness, bots: Bots, qtbot: QtBot) -> None:
        credentials, room_id = await account_and_room(app.server.url)
        window = app.build()
        shown: list[object] = []
        window.stack.currentChanged.connect(lambda index: shown.append(window.stack.widget(index)))
        await window.start(parse_join_target(room_id), sign_in=credentials, join_now=True)
        view = window.call_view
        await until(lambda: view.call is not None and view.grid.tile("self") is not None, what="the call")
        assert window.prejoin not in shown and window.auth_view not in shown, "no form, no pre-join"
        assert window.context.user is not None and window.context.user.email == credentials.email
        assert app.keyring.secrets == {}, "an unattended sign-in is not remembered"
        assert view.title.text() == "Kiosk"
        # The settings say camera and microphone on (the defaults): the call has both, synthetic.
        assert view.call is not None
        await until(lambda: view.call is not None and view.call.media_state.camera, what="our camera")
        assert view.call.has_microphone and view.call.microphone_on

        await bots.join(room_id, 2)
        await until(lambda: tiles_moving(stats, 2), timeout=30, what="two tiles decoding and painting in the file")
        last = stats_lines(stats)[-1]
        assert set(last) == {"t", "sent", "tiles"} and set(last["sent"]) == {"fps", "width", "height"}
        assert (last["sent"]["width"], last["sent"]["height"]) == (320, 240)
        assert abs(last["t"] - time.time()) < 5
        names = {s.self_participant.username for s in bots.sessions if s.self_participant is not None}
        assert {t["username"] for t in last["tiles"]} == names
        for tile in last["tiles"]:
            assert {"username", "decodedFps", "paintedFps", "width", "height"} <= set(tile)
            assert (tile["width"], tile["height"]) == (320, 240)
            # The bots' synthetic pictures carry their capture time: latency from capture to paint is measured
            # (seconds when the machine is busy, as the shared CI one often is; a misread stamp would be days).
            assert "latencyMs" in tile and 0 <= tile["latencyMs"] < 60_000
        await bots.leave_all()
        await view.leave_async()
        written = len(stats_lines(stats))
        await asyncio.sleep(1.5)
        assert len(stats_lines(stats)) == written, "no lines once out of the call"

    app.run(with_bots(app, qtbot, flow), timeout=120)
    settings_text = (app.config_dir / "settings.json").read_text(encoding="utf-8")
    for record in caplog.records:
        assert PASSWORD not in record.getMessage()
    assert PASSWORD not in settings_text and "@example.test" not in settings_text


def test_a_wrong_password_shows_the_form_with_the_error(qtbot: QtBot, app: AppHarness) -> None:
    async def flow() -> None:
        credentials, room_id = await account_and_room(app.server.url)
        window = app.build()
        wrong = Credentials(credentials.email, "not the password")
        await window.start(parse_join_target(room_id), sign_in=wrong, join_now=True)
        await until(lambda: window.current is window.auth_view, what="the sign-in form")
        auth = window.auth_view
        assert auth.email.text == credentials.email and auth.password.text == ""
        assert auth.password.error_label.isVisibleTo(auth) and auth.password.error, "the error shows"
        assert window.pending_room == room_id, "the room waits for the sign-in"
        assert app.keyring.secrets == {}
        # Typed in the form, the right password signs in (remembered, as any typed sign-in), and joins.
        fill(qtbot, window, password=PASSWORD)
        auth.submit.click()
        await until(lambda: window.call_view.call is not None, what="the call after signing in by hand")
        assert app.keyring.secrets != {}

    app.run(flow(), timeout=60)


def _bot(server_url: str, token: str) -> CallSession:
    return CallSession(
        server_url,
        token,
        [],
        observer=Recorder(),
        camera_factory=lambda: SyntheticVideo(320, 240, 30),
        microphone=SyntheticAudio(),
    )


def test_the_nimeet_process_starts_unattended(ui_server: ServerProcess, tmp_path: Path, run: Run) -> None:
    """The real ``nimeet``: env sign-in, ``--join-now``, ``--stats``; a bot in the call; SIGTERM; and the
    password and email are nowhere in its settings, logs or statistics."""
    stats = tmp_path / "stats.jsonl"
    config, logs = tmp_path / "config", tmp_path / "logs"

    async def flow() -> tuple[int, str]:
        credentials, room_id = await account_and_room(ui_server.url)
        env = {
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "NIMEET_CONFIG_DIR": str(config),
            "NIMEET_LOG_DIR": str(logs),
            "NIMEET_EMAIL": credentials.email,
            "NIMEET_PASSWORD": credentials.password,
        }
        command = [sys.executable, "-m", "nimeet_desktop", room_id, "--server", ui_server.url, "--no-local-server"]
        command += ["--synthetic-media", "--join-now", "--stats", str(stats), "--ice-host", "127.0.0.1"]
        process = subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True)  # noqa: ASYNC220
        api = Api(ui_server.url)
        bot: CallSession | None = None
        try:
            token = (await api.register())["token"]
            bot = _bot(ui_server.url, token)
            await bot.join(room_id)
            deadline = time.monotonic() + 60
            while not tiles_moving(stats, 1):
                if process.poll() is not None:  # what it said on the way out (a CI run saw exit status 2 once)
                    said = process.stderr.read() if process.stderr is not None else ""
                    raise AssertionError(f"nimeet exited ({process.returncode}): {said[-3000:]}")
                assert time.monotonic() < deadline, f"no moving tile in {stats_lines(stats)[-3:]}"
                await asyncio.sleep(0.2)
            # And the bot receives the app's video.
            while not any(r.stats.video_frames > 10 for r in bot.participants.values()):
                assert time.monotonic() < deadline, "the bot got no video from the app"
                await asyncio.sleep(0.2)
        finally:
            if bot is not None:
                await bot.leave()
            await api.aclose()
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.to_thread(process.communicate, timeout=30)
        return process.returncode, stderr

    code, stderr = run(flow(), timeout=150)
    assert code == 0, stderr
    written = [p for p in (*config.rglob("*"), *logs.rglob("*"), stats) if p.is_file()]
    assert any(p.name == "nimeet.log" for p in written) and any(p.name == "settings.json" for p in written)
    for path in written:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert PASSWORD not in text and "@example.test" not in text, path
    assert PASSWORD not in stderr
