"""Two hosts that can reach each other only through a TURN relay: network namespaces ``a`` and ``b``, each joined to
this (the root) namespace by a veth pair, with no route between them, and a real coturn (``use-auth-secret``) in
the root namespace.

Everything the tests start listens on ``service``, the root namespace's end of ``a``'s link (10.117.n.1): ``a``
reaches it over its link, ``b`` through a host route over its own link (the root namespace delivers any of its own
addresses locally, so no forwarding is involved). ``a`` knows only 10.117.n.0/24, ``b`` only 10.118.n.0/24 and that
one address: neither can address the other, and nothing here has a route anywhere else.

Creating namespaces and veth pairs needs root (CI and the development machine have it); elsewhere, or without coturn
(Debian ``coturn``), the test is skipped saying why (failed under CI, where ``scripts/setup.sh --dev`` installs it).
Namespaces, links and coturn are removed in ``finally``: nothing is left behind, even when a test fails.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import system_packages

REALM = "nimeet.test"
_uses = itertools.count()


@dataclass(frozen=True)
class RelayNetwork:
    namespace_a: str
    namespace_b: str
    address_a: str  # a's own address (the only one it has besides loopback)
    address_b: str
    service: str  # where the signaling server and coturn listen, reachable from both
    turn_port: int
    turn_secret: str
    turn_log: Path

    @property
    def turn_url(self) -> str:
        return f"turn:{self.service}:{self.turn_port}?transport=udp"

    def in_namespace(self, which: str, command: Sequence[str]) -> list[str]:
        return ["ip", "netns", "exec", self.namespace_a if which == "a" else self.namespace_b, *command]


def run(*command: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)}: {done.stderr.strip()}")


def join_by_veth(namespace: str, link: str, host_address: str, address: str) -> None:
    """A veth pair between this (the root) namespace, where its end ``link`` gets ``host_address``, and
    ``namespace``, where its end ``eth0`` gets ``address`` (both /24), and the namespace's loopback up."""
    run("ip", "link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", namespace)
    run("ip", "addr", "add", f"{host_address}/24", "dev", link)
    run("ip", "link", "set", link, "up")
    run("ip", "-n", namespace, "addr", "add", f"{address}/24", "dev", "eth0")
    run("ip", "-n", namespace, "link", "set", "eth0", "up")
    run("ip", "-n", namespace, "link", "set", "lo", "up")


def _free_udp_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _require_tools() -> None:
    system_packages.require(shutil.which("turnserver") is not None, system_packages.COTURN)
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("network namespaces need root and iproute2's ip")


@contextmanager
def relay_network(tmp_path: Path, secret: str) -> Iterator[RelayNetwork]:
    _require_tools()
    # Names and addresses of their own per process and per use: parallel test workers must not share them, and a
    # namespace just deleted may linger in the kernel for a moment.
    serial = f"{os.getpid() % 100000}x{next(_uses) % 1000}"
    n = (os.getpid() + next(_uses)) % 250 + 1
    ns_a, ns_b = f"nimeet-turn-a{serial}", f"nimeet-turn-b{serial}"
    link_a, link_b = f"nta{serial}", f"ntb{serial}"  # interface names: at most 15 characters
    service, address_a = f"10.117.{n}.1", f"10.117.{n}.2"
    host_b, address_b = f"10.118.{n}.1", f"10.118.{n}.2"
    coturn: subprocess.Popen[bytes] | None = None
    try:
        try:
            run("ip", "netns", "add", ns_a)
        except RuntimeError as exc:
            pytest.skip(f"cannot create a network namespace here: {exc}")
        run("ip", "netns", "add", ns_b)
        for ns, link, host_address, address in ((ns_a, link_a, service, address_a), (ns_b, link_b, host_b, address_b)):
            join_by_veth(ns, link, host_address, address)
        run("ip", "-n", ns_b, "route", "add", f"{service}/32", "via", host_b)

        turn_port = _free_udp_port(service)
        log = tmp_path / "turnserver.log"
        config = tmp_path / "turnserver.conf"
        # Relay ports are chosen by coturn in this range, on the service address only.
        config.write_text(
            "\n".join(
                [
                    f"listening-ip={service}",
                    f"relay-ip={service}",
                    f"listening-port={turn_port}",
                    "min-port=49152",
                    "max-port=65535",
                    "use-auth-secret",
                    f"static-auth-secret={secret}",
                    f"realm={REALM}",
                    "fingerprint",
                    "no-cli",
                    "no-tls",
                    "no-dtls",
                    "no-tcp",
                    "no-tcp-relay",
                    "no-multicast-peers",
                    f"userdb={tmp_path / 'turndb'}",
                    f"pidfile={tmp_path / 'turnserver.pid'}",
                    f"log-file={log}",
                    "simple-log",
                    "verbose",
                ]
            )
            + "\n"
        )
        coturn = subprocess.Popen(
            ["turnserver", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        network = RelayNetwork(ns_a, ns_b, address_a, address_b, service, turn_port, secret, log)
        _wait_listening(coturn, network)
        yield network
    finally:
        if coturn is not None:
            coturn.terminate()
            try:
                coturn.wait(10)
            except subprocess.TimeoutExpired:
                coturn.kill()
                coturn.wait()
        # Deleting one end of a veth pair deletes the other at once; the namespaces' own teardown is asynchronous.
        for link in (link_a, link_b):
            subprocess.run(["ip", "link", "delete", link], capture_output=True, check=False)
        for ns in (ns_a, ns_b):
            subprocess.run(["ip", "netns", "delete", ns], capture_output=True, check=False)


def _wait_listening(coturn: subprocess.Popen[bytes], network: RelayNetwork) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if coturn.poll() is not None:
            raise RuntimeError(f"turnserver exited {coturn.returncode}:\n{_tail(network.turn_log)}")
        done = subprocess.run(["ss", "-uln", f"sport = :{network.turn_port}"], capture_output=True, text=True)
        if network.service in done.stdout:
            return
        time.sleep(0.1)
    where = f"{network.service}:{network.turn_port}"
    raise RuntimeError(f"turnserver did not listen on {where}:\n{_tail(network.turn_log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"
