"""Hosting from the app for the local network: a real second computer is a network namespace joined to this one by a
veth pair (10.x addresses), so "another computer on the LAN" is tested without any traffic leaving the machine.

Needs root (CI runs as root); without ``ip netns`` these tests fail rather than skip: a skipped test here would hide
that the feature is untested.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from nimeet_desktop.local_server import LocalServer
from nimeet_desktop.net.lan_address import lan_address, usable_for_others
from tests.support.server import FAST_ENV

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Lan:
    """``namespace`` is the other computer (``other_address``); this one is ``our_address`` on the same /24."""

    namespace: str
    our_address: str
    other_address: str

    def run(self, code: str, timeout: float = 30.0) -> str:
        """Run Python ``code`` on the other computer (in the namespace) with this project importable; its stdout."""
        done = subprocess.run(
            ["ip", "netns", "exec", self.namespace, sys.executable, "-c", textwrap.dedent(code)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


@pytest.fixture
def lan() -> Iterator[Lan]:
    tag = os.getpid() % 100_000
    subnet = f"10.213.{tag % 250 + 1}"  # per process: several test runs on one machine must not collide
    lan = Lan(f"nimeet-lan-{tag}", f"{subnet}.1", f"{subnet}.2")
    ours, theirs = f"nmlan{tag}a", f"nmlan{tag}b"  # interface names: 15 characters at most
    _ip("netns", "add", lan.namespace)
    try:
        # IPv4 only on the other computer: IPv6 would send router solicitations of its own (the picker test counts
        # packets), and the feature is IPv4.
        subprocess.run(
            [
                "ip",
                "netns",
                "exec",
                lan.namespace,
                "sysctl",
                "-qw",
                "net.ipv6.conf.all.disable_ipv6=1",
                "net.ipv6.conf.default.disable_ipv6=1",
            ],
            check=True,
        )
        _ip("link", "add", ours, "type", "veth", "peer", "name", theirs, "netns", lan.namespace)
        _ip("addr", "add", f"{lan.our_address}/24", "dev", ours)
        _ip("link", "set", ours, "up")
        _ip("-n", lan.namespace, "addr", "add", f"{lan.other_address}/24", "dev", theirs)
        _ip("-n", lan.namespace, "link", "set", theirs, "up")
        _ip("-n", lan.namespace, "link", "set", "lo", "up")
        # The other computer's default route leads here, as a home router's would.
        _ip("-n", lan.namespace, "route", "add", "default", "via", lan.our_address)
        yield lan
    finally:
        subprocess.run(["ip", "link", "del", ours], check=False, capture_output=True)  # its peer goes with it
        subprocess.run(["ip", "netns", "del", lan.namespace], check=False, capture_output=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("0.0.0.0", 0))  # noqa: S104  # free on every interface, as the server will bind it
        return int(probe.getsockname()[1])


# ---- the address picker ----------------------------------------------------------------------------------------


def test_the_address_is_the_one_the_default_route_leaves_by(lan: Lan) -> None:
    picked = lan.run("from nimeet_desktop.net.lan_address import lan_address; print(lan_address())")
    assert picked == lan.other_address


def test_without_a_network_there_is_no_address(lan: Lan) -> None:
    _ip("-n", lan.namespace, "route", "del", "default")
    _ip("-n", lan.namespace, "route", "del", f"{lan.our_address.rsplit('.', 1)[0]}.0/24")
    picked = lan.run("from nimeet_desktop.net.lan_address import lan_address; print(lan_address())")
    assert picked == "None"


def test_the_picker_sends_nothing(lan: Lan) -> None:
    """A UDP connect() is a route lookup: no packet leaves, so asking is free and private."""
    # The counters of the namespace's interfaces, read from inside it, around a picker call made inside it too.
    code = """
        import psutil
        from nimeet_desktop.net.lan_address import lan_address
        before = sum(c.packets_sent for c in psutil.net_io_counters(pernic=True).values())
        for _ in range(20):
            lan_address()
        after = sum(c.packets_sent for c in psutil.net_io_counters(pernic=True).values())
        print(after - before)
    """
    assert lan.run(code) == "0"


def test_only_addresses_others_can_use_are_offered() -> None:
    assert usable_for_others("10.1.2.3")
    assert usable_for_others("192.168.0.7")
    for address in ("127.0.0.1", "0.0.0.0", "169.254.10.1", "224.0.0.1", "::1", "fe80::1", "not an address", ""):  # noqa: S104
        assert not usable_for_others(address), address
    picked = lan_address()  # this machine: its own default route's address, or None offline
    assert picked is None or usable_for_others(picked)


# ---- the bundled server on the network --------------------------------------------------------------------------

CLIENT = """
    import json, sys, urllib.request
    base = sys.argv[1]

    def call(method, path, body=None, token=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        data = json.dumps(body).encode() if body is not None else None
        with urllib.request.urlopen(urllib.request.Request(base + path, data, headers, method=method), timeout=10) as r:
            return r.status, r.read().decode()

    status, health = call("GET", "/healthz")
    auth = json.loads(call("POST", "/api/auth/register",
                           {"username": "guest", "email": "guest@example.org", "password": "a long passphrase"})[1])
    room = json.loads(call("POST", "/api/rooms/create", {"name": "LAN call"}, auth["token"])[1])["room"]
    page_status, page = call("GET", "/join/" + room["roomId"])
    print(json.dumps({"health": status, "room": room, "page": page_status, "pageText": page}))
"""


def run_client(lan: Lan, base: str) -> dict[str, object]:
    done = subprocess.run(
        ["ip", "netns", "exec", lan.namespace, sys.executable, "-c", textwrap.dedent(CLIENT), base],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def get(url: str, host: str | None = None) -> int:
    """The status of a GET, with ``host`` as the Host header if given (what a DNS-rebinding page would send)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    try:
        connection.request("GET", parts.path, headers={"Host": host} if host else {})
        return connection.getresponse().status
    finally:
        connection.close()


def test_another_computer_joins_a_server_hosted_for_the_network(lan: Lan, tmp_path: Path) -> None:
    port = free_port()
    server = LocalServer(port=port, data_dir=tmp_path, env=FAST_ENV, lan_address=lan.our_address)

    async def scenario() -> None:
        url = await server.start()
        try:
            # The app keeps talking to its own server over loopback.
            assert url == f"http://127.0.0.1:{port}"
            assert server.lan_url == f"http://{lan.our_address}:{port}"
            assert await asyncio.to_thread(get, url + "/healthz") == 200
            # The other computer reaches it at the LAN address, and the invitation it gets names that address.
            seen = await asyncio.to_thread(run_client, lan, f"http://{lan.our_address}:{port}")
            assert seen["health"] == 200
            room = seen["room"]
            assert isinstance(room, dict)
            assert room["inviteUrl"] == f"http://{lan.our_address}:{port}/join/{room['roomId']}"
            assert seen["page"] == 200
            assert f"server=http%3A%2F%2F{lan.our_address}%3A{port}" in str(seen["pageText"])
            # Any other host name is refused (DNS rebinding), loopback names still answer for this app.
            assert await asyncio.to_thread(get, url + "/healthz", "attacker.example") == 421
            assert await asyncio.to_thread(get, url + "/healthz", f"localhost:{port}") == 200
        finally:
            await server.stop()

    asyncio.run(scenario())


def test_a_server_for_this_computer_only_cannot_be_reached_from_the_network(lan: Lan, tmp_path: Path) -> None:
    """The default: what the screen says ("from this computer only") is true."""
    port = free_port()
    server = LocalServer(port=port, data_dir=tmp_path, env=FAST_ENV)
    assert server.lan_url is None

    async def scenario() -> None:
        await server.start()
        try:
            code = f"""
                import socket
                try:
                    socket.create_connection(("{lan.our_address}", {port}), timeout=3).close()
                    print("reached")
                except OSError as exc:
                    print(type(exc).__name__)
            """
            assert await asyncio.to_thread(lan.run, code) == "ConnectionRefusedError"
        finally:
            await server.stop()

    asyncio.run(scenario())


def test_hosting_on_the_network_needs_a_fixed_port_and_an_ipv4_address(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="fixed port"):
        LocalServer(port=0, data_dir=tmp_path, lan_address="10.0.0.5")
    with pytest.raises(ValueError, match="IPv4"):
        LocalServer(port=8765, data_dir=tmp_path, lan_address="fe80::1")


def test_a_call_on_the_network_gathers_lan_host_candidates(lan: Lan) -> None:
    """The app gathers host candidates on every interface but loopback unless told otherwise (``--ice-host``), so
    the peers of a LAN-hosted call offer each other their LAN addresses: checked on the other computer."""
    code = """
        import asyncio
        from aiortc import RTCPeerConnection
        from nimeet_desktop.call import ice

        async def main():
            ice.restrict_host_addresses(None)  # the app's default
            pc = RTCPeerConnection(ice.configuration([]))
            pc.createDataChannel("probe")
            await pc.setLocalDescription(await pc.createOffer())
            print(pc.localDescription.sdp)
            await pc.close()

        asyncio.run(main())
    """
    sdp = lan.run(code)
    candidates = [line for line in sdp.splitlines() if line.startswith("a=candidate:")]
    assert any(f" {lan.other_address} " in line and " typ host" in line for line in candidates), candidates


def test_a_call_between_two_computers_through_a_server_hosted_for_the_network(lan: Lan, tmp_path: Path) -> None:
    """The whole point: two nimeet-bot processes, one here (talking to the server over loopback, as the app does) and
    one on the other computer (using the address the invitation names), in one call, media both ways over the LAN.
    Both gather ICE candidates as the app does by default (every interface but loopback)."""
    port = free_port()
    server = LocalServer(port=port, data_dir=tmp_path / "data", env=FAST_ENV, lan_address=lan.our_address)
    env = {key: value for key, value in os.environ.items() if key != "NIMEET_ICE_HOSTS"}
    env["PYTHONPATH"] = str(ROOT)
    common = ["--register", "--resolution", "160x120", "--expect-peers", "1"]

    async def bot(*args: str, namespace: str | None = None) -> asyncio.subprocess.Process:
        where = ["ip", "netns", "exec", namespace] if namespace else []
        return await asyncio.create_subprocess_exec(
            *where,
            *(sys.executable, "-m", "nimeet_desktop.bot", *common, *args),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            cwd=ROOT,
        )

    async def scenario() -> None:
        url = await server.start()
        try:
            here = await bot("--server", url, "--create", "--duration", "8", "--json", str(tmp_path / "here.json"))
            assert here.stdout is not None
            line = (await here.stdout.readline()).decode()
            assert line.startswith("room: "), line
            room = line.split()[1]
            there_args = ("--server", f"http://{lan.our_address}:{port}", f"--room={room}", "--duration", "6")
            there = await bot(*there_args, "--json", str(tmp_path / "there.json"), namespace=lan.namespace)
            for proc in (here, there):
                _out, err = await asyncio.wait_for(proc.communicate(), 60)
                assert proc.returncode == 0, err.decode()[-3000:]
        finally:
            await server.stop()

    asyncio.run(scenario())
    for name in ("here", "there"):
        report = json.loads((tmp_path / f"{name}.json").read_text())
        assert report["errors"] == [], report["errors"]
        (peer,) = report["peers"]
        assert peer["bytesReceived"] > 0, peer
        # Well under the 30 fps sent: two cores shared with other test runs; the point is media crossing the LAN.
        assert peer["video"]["fps"] >= 10, peer
        assert peer["audio"]["framesPerS"] >= 25, peer
