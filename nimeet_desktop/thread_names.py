"""Our threads' names where the operating system shows them (Linux: ``top -H``, ``/proc/<pid>/task/<tid>/comm``,
``perf``, py-spy's native view), not only in Python's ``threading``.

Python names its threads for itself alone; without this every thread of the app is "nimeet" to the system, and
``benchmarks/app_mesh.py`` could not tell the engine's CPU from the UI's or the converter's."""

from __future__ import annotations

import ctypes
import logging
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

logger = logging.getLogger(__name__)

PR_SET_NAME = 15  # <linux/prctl.h>
MAX_CHARS = 15  # the kernel keeps 16 bytes, the terminating NUL included


def name_this_thread(name: str) -> None:
    """Give the calling thread ``name`` (cut to 15 bytes) at the OS level; a no-op where unsupported."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_NAME, name.encode("utf-8", "replace")[:MAX_CHARS], 0, 0, 0)
    except (OSError, AttributeError) as exc:  # a libc without prctl: the name is only cosmetic
        logger.debug("thread name %r not set: %s", name, exc)


def named_executor(python_name: str, os_name: str, max_workers: int | None = None) -> ThreadPoolExecutor:
    """A thread pool whose threads carry ``os_name`` where the system shows threads (and ``python_name`` in
    Python's own listing)."""
    return ThreadPoolExecutor(
        max_workers=max_workers, thread_name_prefix=python_name, initializer=name_this_thread, initargs=(os_name,)
    )


def os_thread_name() -> str:
    """The calling thread's name as the system shows it (Linux), else Python's."""
    if sys.platform.startswith("linux"):
        try:
            with open(f"/proc/self/task/{threading.get_native_id()}/comm", encoding="utf-8") as comm:
                return comm.read().strip()
        except OSError:
            pass
    return threading.current_thread().name
