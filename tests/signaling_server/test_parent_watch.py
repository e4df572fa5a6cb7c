"""``parent_watch.is_alive`` on real processes: running, exited but not reaped (a zombie), reaped."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from signaling_server.parent_watch import is_alive


def test_a_running_process_and_our_own_parent_are_alive() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert is_alive(child.pid)
        assert is_alive(os.getppid())
    finally:
        child.kill()
        child.wait()
    assert not is_alive(child.pid)


@pytest.mark.skipif(sys.platform != "linux", reason="zombies are read from /proc, which is Linux only")
def test_an_exited_process_not_yet_reaped_is_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while is_alive(child.pid):  # a zombie from the moment it exits, until wait() below reaps it
        assert time.monotonic() < deadline, "a zombie counted as alive"
        time.sleep(0.05)
    assert os.waitpid(child.pid, os.WNOHANG)[0] == child.pid  # it was a zombie: reaping it only now
    child.returncode = 0
