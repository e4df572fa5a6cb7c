"""Dying with the process that started us (the desktop app's bundled server): a server left behind by a crashed app
keeps the port, and the next launch would silently talk to it.

Two mechanisms. On Linux the kernel sends SIGTERM the moment the parent goes (``PR_SET_PDEATHSIG``), whatever
killed it. Everywhere, a watchdog polls the parent's pid about once a second; it is the only mechanism on macOS and
Windows, and on Linux it covers a server started with ``--parent-pid`` of a process that is not its parent.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
from pathlib import Path

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(parent_pid: int) -> None:
    """On Linux, ask the kernel for SIGTERM when ``parent_pid``, our parent, exits. The caller then checks
    ``is_alive(parent_pid)``: a parent that died before this call sends no signal ever."""
    if sys.platform != "linux" or os.getppid() != parent_pid:
        return
    # The signal fires when the *thread* that forked us exits. The app starts us from its event loop, which runs on
    # its main thread, so that thread lives as long as the app.
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        logger.warning("no parent-death signal (errno %d); the watchdog remains", ctypes.get_errno())


def is_alive(pid: int) -> bool:
    """Is process ``pid`` still running? A zombie (exited, not yet reaped by its parent) counts as gone."""
    if sys.platform == "win32":
        return _windows_is_alive(pid)
    if os.getppid() == pid:  # still our parent: no pid reuse can fool this test
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    if sys.platform == "linux":
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        return stat.rsplit(")", 1)[1].split()[0] != "Z"  # the state follows the parenthesised command name
    return True


def _windows_is_alive(pid: int) -> bool:
    if sys.platform != "win32":  # for mypy: kernel32 exists on Windows only
        raise NotImplementedError
    synchronize, wait_object_0 = 0x00100000, 0
    kernel32 = ctypes.windll.kernel32
    handle = kernel32.OpenProcess(synchronize, False, pid)
    if not handle:
        return False
    try:
        return bool(kernel32.WaitForSingleObject(handle, 0) != wait_object_0)
    finally:
        kernel32.CloseHandle(handle)
