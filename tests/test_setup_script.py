"""``scripts/setup.sh``, the README's set-up command: once it has run (as .ci/run does before the tests), running it
again finds everything in place and installs nothing."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SETUP = ROOT / "scripts" / "setup.sh"


def test_a_second_run_installs_nothing_and_is_quick() -> None:
    if not (ROOT / ".venv" / ".nimeet-installed").exists():
        pytest.skip("scripts/setup.sh has not been run in this checkout (.ci/run runs it first)")
    started = time.monotonic()
    done = subprocess.run(["bash", str(SETUP), "--dev"], capture_output=True, text=True, timeout=300)
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("setup.sh: ready (Python 3.1"), lines
    assert took < 10, f"{took:.1f} s"


def test_an_unknown_option_is_refused() -> None:
    done = subprocess.run(["bash", str(SETUP), "--devv"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert done.stderr == "setup.sh: unknown option --devv (try --help)\n"
