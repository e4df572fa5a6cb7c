"""A real X server for screen capture: Xvfb on a display number it picks itself (``-displayfd``)."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from nimeet_desktop.media.devices import sounddevice_module
from tests.support.system_packages import PORTAUDIO, XVFB, require


@dataclass
class Xvfb:
    display: str
    width: int
    height: int
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_xvfb(width: int, height: int, *options: str) -> Xvfb:
    """``options``: more of Xvfb's command line (``-extension RECORD`` turns that extension off)."""
    binary = shutil.which("Xvfb")
    require(binary is not None, XVFB)
    assert binary is not None
    read_fd, write_fd = os.pipe()
    try:
        try:
            process = subprocess.Popen(
                [
                    binary,
                    "-displayfd",
                    str(write_fd),
                    "-screen",
                    "0",
                    f"{width}x{height}x24",
                    "-nolisten",
                    "tcp",
                    "-noreset",
                    *options,
                ],
                pass_fds=(write_fd,),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        finally:
            os.close(write_fd)
        number = b""
        deadline = time.monotonic() + 10
        while not number.endswith(b"\n"):
            ready, _, _ = select.select([read_fd], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(read_fd, 16) if ready else b""
            if not chunk:
                process.kill()
                process.wait(5)
                raise RuntimeError("Xvfb did not report its display number")
            number += chunk
    finally:
        os.close(read_fd)
    return Xvfb(f":{number.decode().strip()}", width, height, process)


@pytest.fixture
def portaudio() -> None:
    """The test opens audio devices through PortAudio: skip (fail under CI) without it, saying so."""
    require(sounddevice_module() is not None, PORTAUDIO)


@pytest.fixture
def xvfb_factory() -> Iterator[Callable[[int, int], Xvfb]]:
    """Start X servers of a given screen size; all stopped at the end of the test."""
    started: list[Xvfb] = []

    def make(width: int, height: int) -> Xvfb:
        server = start_xvfb(width, height)
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def xvfb() -> Iterator[Xvfb]:
    """One odd-sized screen (so capture has to crop to even sizes) shared by a module's tests."""
    server = start_xvfb(641, 481)
    yield server
    server.stop()
