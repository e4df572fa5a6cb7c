"""A throwaway Janus for tests, from the repository's own configuration (deploy/janus) and Debian's ``janus``.

The folder is copied and only what must differ per instance is rewritten: the HTTP port (a free one), the
VideoRoom's ``admin_key`` (a random one) and, when a test asks, the session timeout. Janus runs in the foreground,
its output going to ``janus.log`` beside the copy; it is stopped with SIGTERM (then SIGKILL).

Media needs more. Janus never gathers ICE candidates on a loopback interface (ice.c skips ``IFF_LOOPBACK``
outright, whatever ``ice_enforce_list`` says; checked on 1.1.2), so on loopback aiortc's 127.0.0.1 candidates and
Janus's candidates on the machine's own address never pair, and the tests must not send media anywhere but to this
machine. ``running_janus(media=True)`` therefore starts Janus in a network namespace of its own, joined to this
(the root) namespace by a veth pair: Janus's only candidate is its end of the pair (``10.119.n.2``), the peers in the
test gather on the root's end (``media_address``, ``10.119.n.1``; ``nimeet_desktop.call.ice.restrict_host_addresses``),
and the HTTP API listens on Janus's end instead of 127.0.0.1. Nothing on the pair is routed anywhere else. That
needs root (CI and the development machine have it); elsewhere the media tests are skipped saying so.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import re
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aioice.ice
import httpx
import pytest

from nimeet_desktop.call import ice
from tests.support import system_packages
from tests.support.postgres import free_port
from tests.support.relay_network import join_by_veth, run

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "janus"
STARTUP_S = 15.0
_uses = itertools.count()


@dataclass(frozen=True)
class JanusInstance:
    url: str  # the HTTP API, e.g. http://127.0.0.1:40123/janus
    admin_key: str  # the VideoRoom's admin key in this instance's copy
    log: Path
    media_address: str | None  # media mode: the address this namespace's peers gather on to reach Janus
    pid: int = 0  # Janus's process (benchmarks measure its CPU)

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else "(no log)"


def set_option(text: str, key: str, value: str) -> str:
    """``text`` with the one uncommented ``key = ...`` line set to ``value`` (a jcfg literal); fails loudly when
    the shipped file no longer has exactly one, so a change to deploy/janus cannot silently escape the tests."""
    pattern = re.compile(rf"^(\s*){re.escape(key)}\s*=\s*[^#\n]*?(\s*(#.*)?)$", re.MULTILINE)
    found = pattern.findall(text)
    if len(found) != 1:
        raise AssertionError(f"expected one {key!r} setting in the Janus configuration, found {len(found)}")
    return pattern.sub(lambda m: f"{m.group(1)}{key} = {value}{m.group(2)}", text)


def _rewrite(path: Path, **options: str) -> None:
    text = path.read_text()
    for key, value in options.items():
        text = set_option(text, key, value)
    path.write_text(text)


@dataclass(frozen=True)
class Namespace:
    name: str
    ours: str  # this (the root) namespace's end of the veth pair
    theirs: str  # the namespace's end


@contextmanager
def _namespace() -> Iterator[Namespace]:
    """A network namespace joined to this one by a veth pair."""
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("Janus's media tests run it in a network namespace: that needs root and iproute2's ip")
    # Names and addresses of their own per process and per use: parallel test workers, and two Janus of one test,
    # must not share them.
    use = next(_uses)
    n = (os.getpid() + use) % 250 + 1
    serial = f"{os.getpid() % 100000}x{use % 1000}"
    namespace, link = f"nimeet-janus{serial}", f"njn{serial}"  # interface names: at most 15 characters
    ours, theirs = f"10.119.{n}.1", f"10.119.{n}.2"
    try:
        try:
            run("ip", "netns", "add", namespace)
        except RuntimeError as exc:
            pytest.skip(f"cannot create a network namespace here: {exc}")
        join_by_veth(namespace, link, ours, theirs)
        yield Namespace(namespace, ours, theirs)
    finally:
        # Deleting one end of a veth pair deletes the other at once.
        subprocess.run(["ip", "link", "delete", link], capture_output=True, check=False)
        subprocess.run(["ip", "netns", "delete", namespace], capture_output=True, check=False)


class JanusProcess:
    """One Janus configuration that can be started, killed and started again (same address, same keys): a test's
    Janus restart. ``instance`` is the running one's (its ``pid`` changes with each start)."""

    def __init__(self, command: list[str], instance: JanusInstance) -> None:
        self._command = command
        self.instance = instance
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> JanusInstance:
        with self.instance.log.open("ab") as output:
            process = subprocess.Popen(self._command, stdout=output, stderr=subprocess.STDOUT)
        self._process = process
        # ``ip netns exec`` execs janus: the same process.
        self.instance = dataclasses.replace(self.instance, pid=process.pid)
        _wait_answering(process, self.instance)
        return self.instance

    def kill(self) -> None:
        """SIGKILL, as a crash: nothing is told to anyone."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()

    def stop(self) -> None:
        if self._process is not None:
            _stop(self._process)


@contextmanager
def janus_process(
    tmp_path: Path, *, media: bool = False, session_timeout_s: int | None = None
) -> Iterator[JanusProcess]:
    """Janus from a copy of deploy/janus in ``tmp_path``, started: on a free loopback port, or (``media=True``) in a
    network namespace of its own that peers of this process can send media to (see the module's docstring)."""
    system_packages.require(shutil.which("janus") is not None, system_packages.JANUS)
    configs = tmp_path / "janus-configs"
    shutil.copytree(DEPLOY, configs)
    admin_key = secrets.token_hex(16)
    _rewrite(configs / "janus.plugin.videoroom.jcfg", admin_key=f'"{admin_key}"')
    if session_timeout_s is not None:
        _rewrite(configs / "janus.jcfg", session_timeout=str(session_timeout_s))
    log = tmp_path / "janus.log"
    command = ["janus", f"--configs-folder={configs}"]
    with _namespace() if media else _no_namespace() as namespace:
        if namespace is None:
            port = free_port()
            _rewrite(configs / "janus.transport.http.jcfg", port=str(port))
            instance = JanusInstance(f"http://127.0.0.1:{port}/janus", admin_key, log, None)
        else:
            # The API on Janus's end of the pair, open to ours only (it is the test's, in the root namespace).
            ours, theirs = namespace.ours, namespace.theirs
            _rewrite(configs / "janus.transport.http.jcfg", ip=f'"{theirs}"', acl=f'"{ours}"')
            instance = JanusInstance(f"http://{theirs}:8088/janus", admin_key, log, ours)
            command = ["ip", "netns", "exec", namespace.name, *command]
        janus = JanusProcess(command, instance)
        try:
            janus.start()
            yield janus
        finally:
            janus.stop()


@contextmanager
def running_janus(
    tmp_path: Path, *, media: bool = False, session_timeout_s: int | None = None
) -> Iterator[JanusInstance]:
    """A started Janus (``janus_process``): its address and keys."""
    with janus_process(tmp_path, media=media, session_timeout_s=session_timeout_s) as janus:
        yield janus.instance


@contextmanager
def janus_for_media(tmp_path: Path) -> Iterator[JanusInstance]:
    """Janus in a network namespace of its own, with this process's aiortc peers gathering on our end of the veth
    pair only (loopback would never reach it); the host addresses chosen before are restored afterwards."""
    with running_janus(tmp_path, media=True) as instance:
        assert instance.media_address is not None
        previous = aioice.ice.get_host_addresses  # whatever another test module of this process chose
        ice.restrict_host_addresses([instance.media_address])
        try:
            yield instance
        finally:
            aioice.ice.get_host_addresses = previous


@contextmanager
def _no_namespace() -> Iterator[None]:
    yield None


def _wait_answering(process: subprocess.Popen[bytes], instance: JanusInstance) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"janus exited {process.returncode}:\n{instance.log_tail()}")
        try:
            reply = httpx.post(instance.url, json={"janus": "info", "transaction": "up"}, timeout=2).json()
            if reply.get("janus") == "server_info":
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"janus did not answer at {instance.url} within {STARTUP_S} s:\n{instance.log_tail()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
