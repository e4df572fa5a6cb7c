"""The bundled server (``nimeet_desktop.local_server``): a real ``python -m signaling_server`` child of a real
parent process, which dies with that parent however the parent ends."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]

APP = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from nimeet_desktop.local_server import LocalServer

    async def main():
        server = LocalServer(port=0, data_dir=Path(sys.argv[1]))
        url = await server.start()
        print(server.pid, url, flush=True)
        await asyncio.sleep(3600)

    asyncio.run(main())
    """
)


GONE_WITHIN_S = 10.0


def gone(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


def wait_gone(pid: int, timeout: float) -> float | None:
    """Seconds until ``pid`` is gone, or None if it outlived ``timeout``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if gone(pid):
            return time.monotonic() - started
        time.sleep(0.05)
    return None


def test_the_bundled_server_dies_when_the_app_is_killed(tmp_path: Path) -> None:
    app = subprocess.Popen(
        [sys.executable, "-c", APP, str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    server_pid = 0
    try:
        assert app.stdout is not None
        server_pid_text, url = app.stdout.readline().split()
        server_pid = int(server_pid_text)
        host, port = url.removeprefix("http://").rsplit(":", 1)
        socket.create_connection((host, int(port)), timeout=2).close()  # it serves
        app.send_signal(signal.SIGKILL)  # no handler, no clean-up: as a crash
        app.wait(5)
        # Gone in ~0.8 s here (the kernel's SIGTERM, then uvicorn's shutdown and the interpreter's exit); 1.5 s beside
        # three busy loops, and over 3 s once at the end of a CI run. Left behind, it would live the app's 3600 s.
        took = wait_gone(server_pid, GONE_WITHIN_S)
        assert took is not None, f"the server outlived its app by {GONE_WITHIN_S:.0f} s"
        print(f"server gone {took:.2f} s after its app was killed")
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
            raise AssertionError("the port still answers")
        except ConnectionRefusedError:
            pass
    finally:
        app.kill()
        app.wait(5)
        if server_pid and not gone(server_pid):
            os.kill(server_pid, signal.SIGKILL)
