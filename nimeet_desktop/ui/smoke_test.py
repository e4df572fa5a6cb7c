"""``nimeet --smoke-test``: does this installation start? Run by CI on the frozen bundle and the installed .deb,
and by anyone who suspects a broken install (qutebrowser's ``--smoke-test`` is the model).

Offscreen, with a throwaway profile: it builds the main window as the app does, shows every screen of ``SCREENS``,
renders every icon in ``assets/icons``, loads the Russian translation and translates a known string, closes the
window the app's way, then runs the native libraries the app loads only later (``check_native_libraries``: audio
processing, the push-to-talk backend; ``check_background_segmentation``: one mask from background blur's model)
and exits 0. It starts no server, opens no network connection, touches no keyring and no device (synthetic media,
an empty keyring). Any failure, a Qt warning included, exits 1 with one line on stderr saying why; the caller also
fails the run on anything else printed to stderr (tests/test_smoke_test.py). On success it prints a ``first window
shown`` line that benchmarks/bundle_budget.py times, a ``native libraries: ...`` line, a ``background segmentation:
...`` line, and last ``nimeet smoke test: ok ...``. Messages are for developers and CI logs, so they are not
translated.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QMessageLogContext, QSize, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QWidget

# Qt messages that say nothing about this installation. The offscreen platform cannot size native windows and says
# so on every show (pyproject's qt_log_ignore has the same line), nor raise a dialog above its window, nor let a
# popup menu grab the keyboard. On a real X server (NIMEET_SMOKE_TEST_PLATFORM=xcb) none of these is said. Under a
# non-UTF-8 locale ("C": services, cron, ``env -i``) Qt says it switches to C.UTF-8 and goes on: the environment's
# doing, not the installation's.
QT_ALLOWED = (
    "This plugin does not support propagateSizeHints",
    "This plugin does not support raise",
    "This plugin does not support grabbing the keyboard",
    "Detected locale ",
)

# A string the Russian catalogue has, looked up the way Qt does (context, source). Held in variables, not written as
# a literal translate() call, so pyside6-lupdate does not count this module as one of its users.
KNOWN_CONTEXT = "MainWindow"
KNOWN_SOURCE = "Starting the server on this computer…"
# And one of Qt's own catalogue (qtbase_<lang>.qm, standard dialog buttons), which the bundle must keep too.
QT_KNOWN_CONTEXT, QT_KNOWN_SOURCE = "QPlatformTheme", "Cancel"
LANGUAGE = "ru"
ICON_SIZE = QSize(24, 24)


class SmokeTestFailure(Exception):
    """One sentence: what did not work."""


@dataclass(frozen=True)
class Screen:
    """Something the app shows: ``show`` makes it visible (a page of the stack, a dialog, a tray menu) and returns
    the widget to check and render. Add new screens to ``SCREENS``; nothing else needs to change."""

    name: str
    show: Callable[[QWidget], QWidget]


def _page(attribute: str) -> Callable[[QWidget], QWidget]:
    """A page of the main window's stack, shown without its entry actions (which would go to the network)."""

    def show(window: QWidget) -> QWidget:
        page: QWidget = getattr(window, attribute)
        window.stack.setCurrentWidget(page)  # type: ignore[attr-defined]
        return page

    return show


def _popup(make: Callable[[QWidget], QWidget]) -> Callable[[QWidget], QWidget]:
    """A menu or dialog made for the window and shown over it; closed again before the next screen."""

    def show(window: QWidget) -> QWidget:
        widget = make(window)
        widget.show()
        _shown.append(widget)
        return widget

    return show


def _tray_menu(window: QWidget) -> QWidget:
    from nimeet_desktop.ui import tray
    from nimeet_desktop.ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    made = tray.install(window)  # as app.py does: with an icon where there is a tray host, the menu alone elsewhere
    made.refresh()
    return made.menu


def _close_question(window: QWidget) -> QWidget:
    from nimeet_desktop.ui.close_during_call import CloseDuringCallDialog

    return CloseDuringCallDialog(window)


def _switch_question(window: QWidget) -> QWidget:
    from nimeet_desktop.ui.switch_server import SwitchServerDialog

    return SwitchServerDialog(window, "https://meet.example.org", "http://127.0.0.1:8765", signed_in=True)


def _settings(window: QWidget) -> QWidget:
    from nimeet_desktop.ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    return window.settings_window


_shown: list[QWidget] = []

SCREENS: tuple[Screen, ...] = (
    Screen("server", _page("server_view")),
    Screen("auth", _page("auth_view")),
    Screen("dashboard", _page("dashboard")),
    Screen("prejoin", _page("prejoin")),
    Screen("call", _page("call_view")),
    Screen("tray menu", _popup(_tray_menu)),
    Screen("close-during-call question", _popup(_close_question)),
    Screen("switch-server question", _popup(_switch_question)),
    Screen("settings", _popup(_settings)),
)


def run() -> int:
    """The whole smoke test; the exit status."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="nimeet-smoke-") as profile:
        # Before Qt reads them: no display needed, and never the user's settings, logs or single-instance socket.
        # NIMEET_SMOKE_TEST_PLATFORM=xcb walks the same screens on a real X server instead (tests/frozen and
        # benchmarks/bundle_budget.py, under Xvfb: the bundle's xcb plugin and the system libraries it needs).
        os.environ["QT_QPA_PLATFORM"] = os.environ.get("NIMEET_SMOKE_TEST_PLATFORM") or "offscreen"
        os.environ["NIMEET_CONFIG_DIR"] = str(Path(profile, "config"))
        os.environ["NIMEET_LOG_DIR"] = str(Path(profile, "log"))
        try:
            summary = _run(started)
        except SmokeTestFailure as exc:
            print(f"nimeet --smoke-test: FAILED: {exc}", file=sys.stderr)
            return 1
        except Exception as exc:  # anything else is a failure too, told in one line like the others
            print(f"nimeet --smoke-test: FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
    print(f"nimeet smoke test: ok ({summary})", flush=True)
    return 0


def _run(started: float) -> str:
    import qasync

    from nimeet_desktop.media.provider import SyntheticMediaProvider
    from nimeet_desktop.net.credentials import CredentialStore
    from nimeet_desktop.resources import assets_dir
    from nimeet_desktop.settings import Settings, SettingsStore
    from nimeet_desktop.ui import i18n, icons, theme
    from nimeet_desktop.ui.context import AppContext
    from nimeet_desktop.ui.main_window import MainWindow

    qt_problems: list[str] = []

    def on_qt_message(kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
        if kind != QtMsgType.QtDebugMsg and kind != QtMsgType.QtInfoMsg and not message.startswith(QT_ALLOWED):
            qt_problems.append(message)

    qInstallMessageHandler(on_qt_message)
    app = QApplication(["nimeet"])
    app.setApplicationName("NIMeet")
    # As app.py: closing the last window does not quit Qt, which would stop the loop while the window's shutdown
    # still awaits (the settings window's preview closing, say): "Event loop stopped before Future completed".
    app.setQuitOnLastWindowClosed(False)
    if (language := i18n.install(app, LANGUAGE)) != LANGUAGE:
        raise SmokeTestFailure(f"the {LANGUAGE} translation did not load from {i18n.translations_dir()}")
    translate = QCoreApplication.translate
    if translate(KNOWN_CONTEXT, KNOWN_SOURCE) == KNOWN_SOURCE:
        raise SmokeTestFailure(f"the {LANGUAGE} translation has no entry for {KNOWN_SOURCE!r}")
    if translate(QT_KNOWN_CONTEXT, QT_KNOWN_SOURCE) == QT_KNOWN_SOURCE:
        raise SmokeTestFailure(f"Qt's own {LANGUAGE} translation (qtbase_{LANGUAGE}.qm) did not load")
    theme.apply_theme(app)

    names = sorted(path.stem for path in (assets_dir() / "icons").glob("*.svg"))
    if not names:
        raise SmokeTestFailure(f"no icons in {assets_dir() / 'icons'}")
    for name in names:
        icon = icons.icon(name)
        if icon.isNull() or icon.pixmap(ICON_SIZE, 2.0).isNull():
            raise SmokeTestFailure(f"icon {name!r} is missing or empty in {assets_dir() / 'icons'}")
    app.setWindowIcon(icons.icon("nimeet"))

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    settings = Settings(start_local_server=False, join_with_camera=False, join_with_microphone=False)
    # The null backend: an empty keyring that stores nothing, so no D-Bus, no unlock prompt, no secrets read.
    from keyring.backends import null

    empty_keyring = null.Keyring()  # type: ignore[no-untyped-call]  # keyring's constructors are unannotated
    context = AppContext(SettingsStore(), settings, CredentialStore(backend=empty_keyring), SyntheticMediaProvider())
    window = MainWindow(context)

    async def walk() -> None:
        window.show()
        handle = window.windowHandle()
        while handle is None or not handle.isExposed():
            await asyncio.sleep(0.005)
            handle = window.windowHandle()
        # Timed from outside by benchmarks/bundle_budget.py (process start to this line); the figure here leaves out
        # the interpreter's start and the imports before run().
        print(f"first window shown: {time.monotonic() - started:.3f} s after the smoke test began", flush=True)
        for screen in SCREENS:
            widget = screen.show(window)
            await asyncio.sleep(0.02)  # a few turns of the loop: layout, polish, timers
            if not widget.isVisible():
                raise SmokeTestFailure(f"the {screen.name} screen did not show")
            if widget.grab().isNull():
                raise SmokeTestFailure(f"the {screen.name} screen did not render")
            while _shown:
                _shown.pop().close()
        window.close()
        await window.shutdown()

    with loop:
        loop.run_until_complete(walk())
    qInstallMessageHandler(None)
    if qt_problems:
        raise SmokeTestFailure(f"Qt said: {qt_problems[0]}")
    print(f"native libraries: {check_native_libraries()}", flush=True)
    print(f"background segmentation: {check_background_segmentation()}", flush=True)
    return f"{len(SCREENS)} screens, {len(names)} icons, {language} translation"


# --- Issue 12: native libraries the app loads only when it needs them (bundle12) ---------------------------------
# Neither is imported on the way to the first window, so nothing above would notice if the installer left one out:
# livekit's FFI library is opened by file name (ctypes), pynput picks its platform backend by name (importlib).
# Both run after the walk, so benchmarks/bundle_budget.py's time to the first window does not count them.

APM_SAMPLE_RATE = 48_000
APM_FRAME_SAMPLES = APM_SAMPLE_RATE // 100  # WebRTC's audio processing takes exactly 10 ms at a time


def check_native_libraries() -> str:
    return f"{check_audio_processing()}; {check_engine_loop()}; {check_push_to_talk_backend()}"


def check_engine_loop() -> str:
    """The call engine's own loop and thread (call/engine_loop.py) started, asked for one answer, and closed: the
    bundle must carry uvloop's compiled loop where the platform has one (PyInstaller finds it only through its
    hook), or calls would silently run on the slower asyncio loop."""
    import asyncio

    from nimeet_desktop.call.engine_loop import EngineLoop, uvloop_available

    engine = EngineLoop(name="smoke-test-engine")
    try:

        async def answer() -> int:
            await asyncio.sleep(0)
            return 42

        if engine.submit(answer()).result(5) != 42:
            raise SmokeTestFailure("the call engine's loop gave a wrong answer")
    finally:
        if not engine.close():
            raise SmokeTestFailure("the call engine's thread did not stop")
    if sys.platform != "win32" and not uvloop_available():
        raise SmokeTestFailure("uvloop is missing: the call engine would run on the slower asyncio loop")
    return f"call engine loop {engine.kind}"


def check_audio_processing() -> str:
    """Two 10 ms frames of 48 kHz mono through the app's own ``AudioProcessor`` with all four stages on: the
    loudspeaker's block as the far end, then the microphone's as the near end, as a call feeds them. Loads livekit's
    native library (``livekit/rtc/resources`` in the bundle); raises if it is missing or refuses the frames."""
    import numpy as np
    from livekit import rtc

    from nimeet_desktop.media.audio_processing import AudioProcessingConfig, AudioProcessor

    try:
        processor = AudioProcessor(AudioProcessingConfig())  # the first use opens the library
    except ImportError as exc:  # livekit adds lines on how to pip-install it: the smoke test says one line
        raise SmokeTestFailure(f"audio processing did not load: {str(exc).splitlines()[0]}") from exc
    samples = 2 * APM_FRAME_SAMPLES
    tone = np.array(
        [round(8000 * math.sin(2 * math.pi * 440 * i / APM_SAMPLE_RATE)) for i in range(samples)], dtype=np.int16
    )
    processor.analyze_render(tone, 0.04)  # any plausible loudspeaker delay; two frames cannot converge anyway
    near = processor.process(tone)
    # The near end is the far end's exact echo, so the echo canceller and the gain control must change it: an
    # unchanged block means the library did not run on it.
    if np.array_equal(near, tone):
        raise SmokeTestFailure("audio processing returned the microphone's block unchanged")
    return f"audio processing (livekit {rtc.__version__}, 4 stages, 10 ms at 48 kHz)"


def check_push_to_talk_backend() -> str:
    """pynput's keyboard backend for this platform, imported as push-to-talk imports it. On Linux that is the X11
    one, which connects to the display as it loads: without a display (offscreen, a service) it is not tried, and
    a display that does not answer is said, not failed: neither is the installation's fault. (Asked first through
    python-xlib: pynput turns every failure of its X11 backend, a missing module too, into the same ImportError.)"""
    if sys.platform.startswith("linux"):
        if not os.environ.get("DISPLAY"):
            return "push-to-talk backend not loaded (no DISPLAY)"
        import Xlib.display
        import Xlib.error

        try:
            Xlib.display.Display().close()
        except Xlib.error.DisplayError as exc:
            return f"push-to-talk backend not loaded (the X display did not answer: {exc})"
    from pynput import keyboard

    return f"push-to-talk backend {keyboard.Listener.__module__}"


# --- Issue 16: background blur's segmentation model ---------------------------------------------------------------
# Loaded only when a call turns blur on (media/background.py), so nothing above touches it: an installer that left
# out the model, or LiteRT's native library (packaging/prune.py once dropped it), would otherwise ship unnoticed.

SEGMENTATION_FRAME = (320, 180)
"""A small camera frame (width, height): shrinking it to the model's 256×144 is the app's path, and cheap."""
LITERT_STDERR = ("INFO: Created TensorFlow Lite XNNPACK delegate for CPU.",)
"""What LiteRT's C++ logger writes to the process's stderr whenever an interpreter is made, at a fixed level no
setting or environment variable changes (TF_CPP_MIN_LOG_LEVEL does not): news, not a fault of the installation."""


def check_background_segmentation() -> str:
    """One mask of a small synthetic frame, on the runtime the app would pick (media/background.py
    ``default_segmenter``: LiteRT, else OpenCV's DNN on the same model). Raises if the bundled model is missing, or
    the mask is not a probability per model pixel."""
    import numpy as np

    from nimeet_desktop.media import background

    model = background.MODEL_PATH
    if not model.is_file():
        raise SmokeTestFailure(f"the background segmentation model is missing: {model}")
    width, height = SEGMENTATION_FRAME
    # A gradient in every plane: the model gets a picture, not a constant (I420: Y at full size, U and V at half).
    y = np.tile(np.linspace(16, 235, width, dtype=np.uint8), (height, 1))
    u = np.full((height // 2, width // 2), 110, np.uint8)
    v = np.full((height // 2, width // 2), 150, np.uint8)
    started = time.perf_counter()
    with _native_stderr_without(LITERT_STDERR):
        try:
            segment = background.litert_segmenter(model)
            import ai_edge_litert  # type: ignore[import-untyped]  # imported already; only for its version

            runtime = f"LiteRT {ai_edge_litert.__version__}"
        except ImportError as exc:  # as default_segmenter: LiteRT is optional, OpenCV's DNN reads the same model
            import cv2

            segment = background.opencv_segmenter(model)
            runtime = f"OpenCV DNN {cv2.__version__} (LiteRT did not load: {str(exc).splitlines()[0]})"
        mask = segment(background.model_input((y, u, v)))
    took_ms = (time.perf_counter() - started) * 1000
    expected = (background.MODEL_HEIGHT, background.MODEL_WIDTH)
    if mask.shape != expected or not np.all(np.isfinite(mask)) or mask.min() < 0 or mask.max() > 1:
        raise SmokeTestFailure(f"background segmentation gave no mask of {expected} probabilities ({runtime})")
    return f"{runtime}, one {width}x{height} frame in {took_ms:.0f} ms with the model's loading"


@contextlib.contextmanager
def _native_stderr_without(dropped: tuple[str, ...]) -> Iterator[None]:
    """Native code's writes to file descriptor 2 are held back while the block runs, then passed on but for the
    ``dropped`` lines: the smoke test's stderr stays a list of faults. Where there is no descriptor 2 (a windowed
    program on Windows) there is nothing to hold back."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (AttributeError, OSError):  # sys.stderr is None, or there is no descriptor 2
        yield
        return
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            for line in held.read().decode(errors="replace").splitlines():
                if line.strip() not in dropped:
                    print(line, file=sys.stderr, flush=True)
