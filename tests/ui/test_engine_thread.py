"""The call engine on its own thread in the real window: engine objects live there, the UI sees snapshots on its
own thread, and a busy engine does not freeze the window (docs/architecture.md, "Threads")."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import threading
import time

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from nimeet_desktop.call.snapshots import ParticipantView
from tests.ui.conftest import AppHarness, until
from tests.ui.test_call_window import Bots, enter_call, with_bots

pytestmark = pytest.mark.usefixtures("loopback_media")

ENGINE_BUSY_S = 1.0
UI_TICK_MS = 50


def test_the_engine_runs_on_its_own_thread_and_the_ui_on_qts(qtbot: QtBot, app: AppHarness) -> None:
    app.run(with_bots(app, qtbot, engine_on_its_thread), timeout=90)


async def engine_on_its_thread(app: AppHarness, bots: Bots, qtbot: QtBot) -> None:
    window = await enter_call(app, qtbot)
    view = window.call_view
    call = view.call
    assert call is not None
    ui_thread = threading.current_thread()

    # The call's objects were built on the engine's thread and its sockets run on the engine's loop.
    where = await call.read_engine(lambda c: (threading.current_thread().name, asyncio.get_running_loop()))
    assert where[0] == "nimeet-engine"
    assert where[1] is call.engine.loop and where[1] is not asyncio.get_running_loop()
    assert call.engine.kind == "uvloop"

    # Events reach the UI on the UI's thread, as snapshots nobody can change under it.
    seen: list[tuple[threading.Thread, ParticipantView]] = []
    call.participant_joined.connect(lambda p: seen.append((threading.current_thread(), p)))
    (bot,) = await bots.join(view.room_id, 1)
    assert bot.self_participant is not None
    await until(lambda: seen, what="the bot's arrival told")
    thread, joined = seen[0]
    assert thread is ui_thread
    assert joined.socket_id == bot.self_participant.socket_id
    with pytest.raises(dataclasses.FrozenInstanceError):
        joined.username = "someone else"  # type: ignore[misc]
    assert call.participants[joined.socket_id].username == joined.username
    tile = view.grid.tile(joined.socket_id)
    assert tile is not None
    await until(lambda: tile.conversions > 3, what="the bot's video painted from the engine's frames")

    # A command goes to the engine and its outcome comes back as state: muting reaches the room.
    me = call.self_participant
    assert me is not None and call.microphone_on
    view.toggle_microphone()
    await until(lambda: not call.microphone_on, what="muted, as the engine tells it")
    await until(lambda: not bot.participants[me.socket_id].media.microphone, what="the room told of the mute")

    # The engine busy for a second (a stalled device, a burst of work) does not stop the window: its timers and
    # paints go on meanwhile. Under qasync both shared one thread and this froze the window for the whole second.
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(UI_TICK_MS)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    try:
        started = time.monotonic()
        busy = asyncio.ensure_future(call.read_engine(lambda _c: time.sleep(ENGINE_BUSY_S)))
        await asyncio.sleep(0.05)
        painted_before = tile.conversions
        await busy
        during = [t for t in ticks if started <= t <= started + ENGINE_BUSY_S]
    finally:
        timer.stop()
    assert len(during) >= (ENGINE_BUSY_S * 1000 / UI_TICK_MS) / 2, f"the window froze: {len(during)} ticks in 1 s"
    gaps = [b - a for a, b in itertools.pairwise(during)]
    assert max(gaps, default=0.0) < 0.5, f"the window stalled for {max(gaps):.2f} s while the engine was busy"
    assert tile.conversions >= painted_before
