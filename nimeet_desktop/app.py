"""``nimeet``: the desktop app's composition root. Builds the Qt application, the qasync loop, the services and the
main window; nothing imports this module (docs/architecture.md, dependency rule 4)."""

from __future__ import annotations

import argparse
import asyncio
import faulthandler
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from nimeet_desktop import qt_preflight, unattended
from nimeet_desktop import settings as app_settings
from nimeet_desktop.call import ice
from nimeet_desktop.net.links import InvalidLink, InvalidServerUrl, JoinTarget, normalize_server_url, parse_join_target
from nimeet_desktop.private_files import PrivateRotatingFileHandler, open_private, private_dir, tighten_tree

logger = logging.getLogger(__name__)

LOG_FILE = "nimeet.log"
LOG_BYTES, LOG_BACKUPS = 2_000_000, 4
_crash_file: IO[str] | None = None  # kept open for faulthandler, which writes to it from a dying process


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="nimeet",
        description="NIMeet: video calls.",
        epilog=(
            f"Unattended start: with {unattended.ENV_EMAIL} and {unattended.ENV_PASSWORD} set in the environment, "
            "the app signs in with them instead of showing the sign-in form (in memory only: never saved, never "
            "logged)."
        ),
    )
    p.add_argument(
        "link",
        nargs="?",
        help="a join link (nimeet://join/<id>, https://<server>/join/<id>) or room id (one starting with '-' goes "
        "after --: nimeet -- -abc)",
    )
    p.add_argument("--server", help=f"server URL (default: the last one used, first {app_settings.DEFAULT_SERVER_URL})")
    p.add_argument("--no-local-server", action="store_true", help="never start the bundled server")
    p.add_argument(
        "--synthetic-media", action="store_true", help="a test picture and tone instead of camera and microphone"
    )
    p.add_argument(
        "--join-now",
        action="store_true",
        help="join the link's room at once, without the pre-join screen (camera and microphone as in the settings)",
    )
    p.add_argument(
        "--stats",
        metavar="FILE",
        type=Path,
        help="during a call, append one JSON line of statistics per second to FILE (sent and received frame rates)",
    )
    p.add_argument(
        "--ics",
        metavar="FILE",
        type=Path,
        help="open a calendar file (.ics): the scheduling dialog, filled in from its first event",
    )
    p.add_argument("--ice-host", action="append", default=[], help="gather ICE host candidates on this address only")
    p.add_argument(
        "--language",
        choices=("system", "en", "ru"),
        help="the interface language for this run (default: the language setting, else the system's)",
    )
    p.add_argument("--log-level", default="INFO", help="log file level (default %(default)s)")
    p.add_argument(
        "--smoke-test",
        action="store_true",
        help="check this installation offscreen (window, screens, icons, translation) and exit; no network",
    )
    return p


def setup_logging(level: int, directory: Path) -> Path:
    """A rotating file under the platform log dir, and warnings on stderr. Tokens are never logged anywhere.

    The directory and every log file are private (0700, 0600), older ones included: logs name servers and rooms."""
    private_dir(directory)
    tighten_tree(directory, LOG_FILE + "*")
    path = directory / LOG_FILE
    handler = PrivateRotatingFileHandler(path, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(level)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.WARNING)
    root = logging.getLogger()
    root.setLevel(min(level, logging.WARNING))
    root.addHandler(handler)
    root.addHandler(console)
    return path


def install_crash_handler(directory: Path) -> None:
    """Every unhandled exception is logged with its traceback (main thread, other threads, Qt slots); a native
    crash (Qt, FFmpeg) leaves its Python stacks in ``crash.log`` via faulthandler. Installed before the loop."""
    global _crash_file

    def log_exception(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, value, tb)
            return
        logger.critical("unhandled exception", exc_info=(kind, value, tb))

    def log_thread_exception(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            logger.critical(
                "unhandled exception in thread %s",
                args.thread.name if args.thread else "?",
                exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
            )

    sys.excepthook = log_exception
    threading.excepthook = log_thread_exception
    private_dir(directory)
    _crash_file = open_private(directory / "crash.log", "a")
    _crash_file.write(f"--- nimeet started {time.strftime('%Y-%m-%d %H:%M:%S')} pid {os.getpid()}\n")
    _crash_file.flush()
    faulthandler.enable(_crash_file)


def _loop_exception(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    exc = context.get("exception")
    logger.error("event loop: %s", context.get("message"), exc_info=exc if isinstance(exc, BaseException) else None)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.smoke_test:  # before anything touches the profile or the display: it uses neither (ui/smoke_test.py)
        from nimeet_desktop.ui import smoke_test

        return smoke_test.run()
    level = getattr(logging, str(args.log_level).upper(), None)
    if not isinstance(level, int):
        build_parser().error(f"unknown log level {args.log_level!r}")
    # Taken out of the environment at once, whatever happens next (unattended.py): nothing we start inherits them.
    credentials = unattended.credentials_from_env(os.environ)
    link: JoinTarget | None = None
    if args.join_now and args.link is None:
        build_parser().error("--join-now needs a link (or room id) to join")
    if args.link is not None:
        try:
            link = parse_join_target(args.link)  # untrusted (the OS or a shell hands it to us): strictly
        except InvalidLink as exc:
            print(f"nimeet: not a join link: {exc}", file=sys.stderr)
            return 2
    server: str | None = None
    if args.server is not None:
        try:
            server = normalize_server_url(args.server)
        except InvalidServerUrl as exc:
            print(f"nimeet: --server: {exc}", file=sys.stderr)
            return 2

    # Qt aborts the process (SIGABRT) when it cannot open a window, blaming the wrong library: look first.
    if (problem := qt_preflight.check()) is not None:
        print(f"nimeet: {problem}", file=sys.stderr)
        return 1

    log_directory = app_settings.log_dir()
    install_crash_handler(log_directory)
    log_path = setup_logging(level, log_directory)
    logger.info("starting; log at %s", log_path)
    if args.ice_host:
        ice.restrict_host_addresses(args.ice_host)

    # Qt is imported only now: `nimeet --help` and a bad link answer at once.
    import qasync
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from nimeet_desktop.media.provider import MediaProvider, SyntheticMediaProvider
    from nimeet_desktop.net.credentials import CredentialStore
    from nimeet_desktop.ui import i18n, icons, messages, theme, tray
    from nimeet_desktop.ui.context import AppContext
    from nimeet_desktop.ui.file_open import FileOpenLinks
    from nimeet_desktop.ui.gui_gc import GuiThreadCollector
    from nimeet_desktop.ui.main_window import MainWindow
    from nimeet_desktop.ui.single_instance import (
        ACTIVATE,
        InstanceServer,
        forward,
        ics_message,
        link_message,
        socket_name,
    )
    from nimeet_desktop.ui.toast import ToastKind

    # Fractional scaling (125 %, 150 %) as the system asks, instead of rounding to 100 % or 200 %.
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication([sys.argv[0] if sys.argv else "nimeet"])
    app.setApplicationName("NIMeet")
    app.setDesktopFileName("nimeet")
    app.setQuitOnLastWindowClosed(False)  # we quit after leaving the call cleanly, not when the window goes
    collector = GuiThreadCollector(app)  # reference cycles holding Qt objects are freed on this thread only
    collector.start()

    instance_name = socket_name(str(app_settings.config_dir()))
    handed = ics_message(args.ics) if args.ics is not None else None
    if forward(instance_name, handed or (link_message(args.link) if link is not None else ACTIVATE)):
        logger.info("handed over to the running instance")
        return 0
    store = app_settings.SettingsStore()
    settings = store.load()
    # Before any widget is built: Qt translates a string when it is set, not when it is shown.
    language = i18n.install(app, args.language or settings.language)
    logger.info("interface language: %s", language)
    theme.apply_theme(app)
    app.setWindowIcon(icons.icon("nimeet"))

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    loop.set_exception_handler(_loop_exception)

    if server is not None:
        settings.server_url = server
    if args.no_local_server:
        settings.start_local_server = False
    provider = SyntheticMediaProvider() if args.synthetic_media else MediaProvider()
    if not args.synthetic_media:
        # The camera opens at the quality chosen in settings. The synthetic picture keeps its own small size (it
        # is for trying the app and for tests) until the quality is changed in the settings window.
        provider.video_height = settings.video_quality
    context = AppContext(store, settings, CredentialStore(), provider, stats_path=args.stats)
    window = MainWindow(context)
    tray.install(window)  # owned by the window; a menu only where the desktop has no tray

    def bring_forward() -> None:
        window.showNormal()
        window.raise_()
        window.activateWindow()

    def open_forwarded(target: JoinTarget) -> None:
        bring_forward()
        window.open_link(target)

    def refuse_link(exc: InvalidLink) -> None:
        window.toasts.show_message(messages.link_error(exc), ToastKind.ERROR)

    def open_ics(path: Path) -> None:
        bring_forward()
        window.open_ics(path)

    instance = InstanceServer(
        instance_name, on_link=open_forwarded, on_activate=bring_forward, on_bad=refuse_link, on_ics=open_ics
    )
    # macOS delivers a clicked nimeet:// link (or a .ics file) to the running app as a FileOpen event, not as a
    # second launch.
    file_open = FileOpenLinks(on_link=open_forwarded, on_bad=refuse_link, on_ics=open_ics)
    app.installEventFilter(file_open)

    # Ctrl-C or a session logout's SIGTERM: quit, so the call is left and the local server stopped as on a click
    # (never asking, never hiding into the tray). Python runs signal handlers only between bytecodes; a slow no-op
    # timer gives it the chance.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda _sig, _frame: QTimer.singleShot(0, window.quit))
    wake = QTimer()
    wake.start(250)
    wake.timeout.connect(lambda: None)

    async def run() -> None:
        closed = asyncio.Event()
        window.closed.connect(closed.set)
        window.show()
        if args.ics is not None:
            window.open_ics(args.ics)  # once signed in
        await window.start(link, sign_in=credentials, join_now=args.join_now)
        await closed.wait()
        await window.shutdown()

    with loop:
        loop.run_until_complete(run())
    instance.close()
    logger.info("stopped")
    return 0


def gui_main() -> None:
    sys.exit(main())


if __name__ == "__main__":
    gui_main()
