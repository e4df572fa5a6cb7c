"""nimeet_desktop/frozen.py: from source a program runs `python -m`; frozen, the bundle's sibling program.
(tests/frozen/test_bundle.py starts the real frozen nimeet-server this way.)"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from nimeet_desktop import frozen


def test_from_source_the_server_is_python_dash_m() -> None:
    assert not frozen.is_frozen()
    assert frozen.python_command("signaling_server", "nimeet-server") == [sys.executable, "-m", "signaling_server"]


def test_frozen_the_server_is_the_program_beside_the_running_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "nimeet").touch()
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "nimeet"))
    assert frozen.is_frozen()
    suffix = ".exe" if sys.platform == "win32" else ""
    assert frozen.python_command("signaling_server", "nimeet-server") == [str(tmp_path / f"nimeet-server{suffix}")]
