"""Desktop notifications: when they are shown (window not active, bursts coalesced, rate-limited, errors not
lost), their words (a hostile name stays plain text), and in a real call: people who join while the window is hidden
make one notification, none while it is active."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from nimeet_desktop.ui import tray
from nimeet_desktop.ui.notifications import TITLE, Notifier, safe_name
from nimeet_desktop.ui.toast import ToastKind
from tests.ui.conftest import AppHarness, new_user, register, start_new_call, until
from tests.ui.test_call_window import Bots, NoCameraProvider, enter_call, with_bots

FAST: dict[str, Any] = {"coalesce_s": 0.3, "min_gap_s": 0.6, "repeat_s": 60.0, "reconnect_grace_s": 0.3}


class Screen:
    """What the person sees: the notifications shown, and whether they look at the window."""

    def __init__(self) -> None:
        self.active = False
        self.shown: list[tuple[str, str]] = []

    def show(self, title: str, text: str) -> None:
        self.shown.append((title, text))

    def texts(self) -> list[str]:
        return [text for _title, text in self.shown]


@pytest.fixture
def screen() -> Screen:
    return Screen()


@pytest.fixture
def notifier(qtbot: QtBot, screen: Screen) -> Iterator[Notifier]:
    made = Notifier(screen.show, lambda: screen.active, **FAST)
    yield made
    made.deleteLater()


def test_a_burst_of_joins_is_one_notification(qtbot: QtBot, screen: Screen, notifier: Notifier) -> None:
    for name in ("ada", "grace", "linus"):
        notifier.joined(name)
    qtbot.waitUntil(lambda: len(screen.shown) == 1, timeout=2000)
    assert screen.shown == [(TITLE, "3 people joined the call")]
    qtbot.wait(900)  # past the rate limit: nothing more was waiting
    assert len(screen.shown) == 1

    notifier.joined("ada")
    qtbot.waitUntil(lambda: len(screen.shown) == 2, timeout=2000)
    assert screen.texts()[1] == "\u2068ada\u2069 joined the call"


def test_nothing_while_the_window_is_active(qtbot: QtBot, screen: Screen, notifier: Notifier) -> None:
    screen.active = True
    notifier.joined("ada")
    notifier.error("Disconnected from the server")
    notifier.connection(True)
    qtbot.wait(800)
    assert screen.shown == []

    # Back at the window before a burst was told: the window's toasts told it.
    screen.active = False
    notifier.joined("grace")
    screen.active = True
    qtbot.wait(800)
    assert screen.shown == []


def test_errors_are_rate_limited_not_lost_and_said_once(qtbot: QtBot, screen: Screen, notifier: Notifier) -> None:
    notifier.joined("ada")
    notifier.error("The microphone stopped working")
    notifier.error("Disconnected from the server")
    notifier.error("The microphone stopped working")  # the same again: once is enough
    qtbot.waitUntil(lambda: len(screen.shown) == 1, timeout=1000)
    assert screen.texts() == ["The microphone stopped working"]  # errors first, at once
    qtbot.wait(300)
    assert len(screen.shown) == 1, "two notifications within the rate limit"
    qtbot.waitUntil(lambda: len(screen.shown) == 3, timeout=3000)
    assert screen.texts()[1:] == ["Disconnected from the server", "\u2068ada\u2069 joined the call"]
    notifier.error("The microphone stopped working")
    qtbot.wait(900)
    assert len(screen.shown) == 3, "the same error again within a minute"


def test_a_lost_connection_is_told_only_if_it_lasts(qtbot: QtBot, screen: Screen, notifier: Notifier) -> None:
    notifier.connection(True)
    notifier.connection(False)  # back within the grace time: no news
    qtbot.wait(600)
    assert screen.shown == []
    notifier.connection(True)
    qtbot.waitUntil(lambda: len(screen.shown) == 1, timeout=2000)
    assert screen.texts() == ["The connection to the server was lost. Trying to reconnect…"]
    notifier.connection(False)
    qtbot.waitUntil(lambda: len(screen.shown) == 2, timeout=2000)
    assert screen.texts()[1] == "The call is connected again"


def test_a_hostile_name_is_plain_text_in_a_notification(qtbot: QtBot, screen: Screen, notifier: Notifier) -> None:
    hostile = '<img src="file:///dev/zero">&amp;<b>' + "W" * 10_000
    notifier.joined(hostile)
    qtbot.waitUntil(lambda: len(screen.shown) == 1, timeout=2000)
    (text,) = screen.texts()
    assert not {"<", ">", "&"} & set(text), text
    assert text.startswith("\u2068\u2039img src=") and len(text) < 100
    assert safe_name("a\u202eb\nc") == "\u2068a\u202eb\ufffdc\u2069"  # isolated, the line break made visible


def test_once_is_once(qtbot: QtBot, screen: Screen, notifier: Notifier) -> None:
    screen.active = True  # said whatever window is active: it is about the window going away
    notifier.once("kept", "The call continues")
    notifier.once("kept", "The call continues")
    assert screen.texts() == ["The call continues"]


@pytest.mark.usefixtures("loopback_media")
def test_joins_while_the_window_is_hidden_notify_once(qtbot: QtBot, app: AppHarness) -> None:
    app.run(with_bots(app, qtbot, joins_while_hidden_with), timeout=120)


async def joins_while_hidden_with(app: AppHarness, bots: Bots, qtbot: QtBot) -> None:
    window = await enter_call(app, qtbot)
    shown: list[str] = []
    # No tray host offscreen: the notifications are read where they would be shown. A wide burst window: the bots
    # join one after another.
    tray.Tray(window, notify=lambda _title, text: shown.append(text), coalesce_s=4.0)
    view = window.call_view

    window.activateWindow()
    await until(lambda: window.isActiveWindow(), what="the window active")
    await bots.join(view.room_id, 1)
    await until(lambda: len(view.grid.tiles()) == 2, what="the first bot's tile")
    await until(lambda: any(m.endswith(" joined") for _k, m in window.toasts.history), what="the joined toast")

    window.hide()  # as in the tray
    await bots.join(view.room_id, 2)
    await until(lambda: len(view.grid.tiles()) == 4, what="two more tiles")
    await until(lambda: bool(shown), what="a notification")
    await asyncio.sleep(1.0)
    assert shown == ["2 people joined the call"], shown

    # A bot leaves, one comes back: "left" is never a notification, a lone join names the person.
    leaver = bots.sessions[1]
    await leaver.leave()
    await until(lambda: len(view.grid.tiles()) == 3, what="the leaver's tile gone")
    (bot,) = (await bots.join(view.room_id, 1))[-1:]
    assert bot.self_participant is not None
    name = bot.self_participant.username
    await until(lambda: len(shown) == 2, timeout=15, what="the second notification")
    assert shown[1] == f"\u2068{name}\u2069 joined the call"


@pytest.mark.usefixtures("loopback_media")
def test_an_error_while_the_window_is_hidden_is_a_notification(qtbot: QtBot, app: AppHarness) -> None:
    app.provider = NoCameraProvider(320, 240)
    app.run(error_while_hidden(app, qtbot), timeout=60)


async def error_while_hidden(app: AppHarness, qtbot: QtBot) -> None:
    window = app.build()
    shown: list[str] = []
    app_tray = tray.Tray(window, notify=lambda _title, text: shown.append(text))
    await window.start()
    register(qtbot, window, new_user())
    await until(lambda: window.current is window.dashboard, what="the dashboard")
    start_new_call(qtbot, window)
    await until(lambda: window.current is window.prejoin and window.prejoin.join_button.isEnabled(), what="pre-join")
    qtbot.mouseClick(window.prejoin.join_button, Qt.MouseButton.LeftButton)
    view = window.call_view
    await until(lambda: view.call is not None and view.call.self_participant is not None, what="joined")

    window.hide()  # kept in the tray; the camera is asked for from the tray's menu
    app_tray.camera_action.trigger()
    busy = "The camera is in use by another application"
    await until(lambda: ("error", busy) in window.toasts.history, what="the error toast")
    await until(lambda: shown == [busy], what="the error as a notification")
    app_tray.camera_action.trigger()  # the same failure again at once: said once
    await until(lambda: window.toasts.history.count((ToastKind.ERROR, busy)) == 2, what="the second error toast")
    await asyncio.sleep(0.5)
    assert shown == [busy]
