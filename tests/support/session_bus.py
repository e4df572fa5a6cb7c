"""A D-Bus session bus of the test's own: a real ``dbus-daemon`` on a socket in a temporary folder, with a
configuration that activates nothing (the machine's service files are never read), so only what a test registers
answers on it."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.system_packages import DBUS, require

CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={folder}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


@contextmanager
def session_bus(folder: Path) -> Iterator[str]:
    """A running bus; yields its address (for ``DBUS_SESSION_BUS_ADDRESS``)."""
    daemon = shutil.which("dbus-daemon")
    require(daemon is not None, DBUS)
    assert daemon is not None
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "bus.conf"
    config.write_text(CONFIG.format(folder=folder))
    process = subprocess.Popen(
        [daemon, f"--config-file={config}", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        address = process.stdout.readline().strip()
        assert address.startswith("unix:"), f"dbus-daemon printed {address!r}"
        yield address
    finally:
        process.terminate()
        process.wait(timeout=10)
