"""The server over TLS (``--tls-cert`` / ``--tls-key``, ``NIMEET_TLS_*``): a throwaway CA and a certificate for
127.0.0.1 made at test time, the real server serving https:// and wss:// with them, and clients that verify.

The desktop app verifies against the system's trust store (aiohttp's default context); a private CA reaches it the
way OpenSSL is told about one, ``SSL_CERT_FILE`` or the system store (docs/deploy.md): both sides are tested.
"""

from __future__ import annotations

import datetime
import http.client
import ipaddress
import os
import ssl
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import httpx
import pytest
import socketio
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from nimeet_desktop.net.rest import ApiClient, ServerUnreachable
from tests.support.server import FAST_ENV, ServerProcess

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Pki:
    ca: Path
    cert: Path
    key: Path
    other_key: Path  # a key that is not the certificate's

    def env(self) -> dict[str, str]:
        return {"NIMEET_TLS_CERT": str(self.cert), "NIMEET_TLS_KEY": str(self.key)}

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca))


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A CA, and a server certificate it signed for 127.0.0.1 and localhost (subjectAltName, as clients require)."""
    directory = tmp_path_factory.mktemp("pki")
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("NIMeet test CA"))
        .issuer_name(_name("NIMeet test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )  # keyCertSign, cRLSign
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pki = Pki(directory / "ca.pem", directory / "server.pem", directory / "server.key", directory / "other.key")
    pki.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    pki.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(key, pki.key)
    _write_key(ec.generate_private_key(ec.SECP256R1()), pki.other_key)
    return pki


@pytest.fixture
def tls_server(make_server: Callable[..., ServerProcess], pki: Pki) -> ServerProcess:
    server = make_server(env=pki.env())
    url = server.start()
    assert url.startswith("https://127.0.0.1:"), url  # the line the app and scripts parse says https
    return server


def test_https_with_the_ca_and_refused_without_it(tls_server: ServerProcess, pki: Pki) -> None:
    response = httpx.get(f"{tls_server.url}/healthz", verify=pki.client_context())
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    # The project's own HTTP protocol class (the header limit) is what serves under TLS too.
    too_big = httpx.get(f"{tls_server.url}/healthz", headers={"X-Big": "a" * 20_000}, verify=pki.client_context())
    assert too_big.status_code == 431
    # Invitations follow the scheme the request came in by: https.
    user = httpx.post(
        f"{tls_server.url}/api/auth/register",
        json={"username": "tls_user", "email": "tls_user@example.test", "password": "password123"},
        verify=pki.client_context(),
    ).json()
    room = httpx.post(
        f"{tls_server.url}/api/rooms/create",
        json={"name": "secure"},
        headers={"Authorization": f"Bearer {user['token']}"},
        verify=pki.client_context(),
    ).json()["room"]
    assert room["inviteUrl"] == f"{tls_server.url}/join/{room['roomId']}"
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{tls_server.url}/healthz")  # the system store does not know our CA: verification is on


def test_plain_http_to_the_tls_port_fails_cleanly(tls_server: ServerProcess, pki: Pki) -> None:
    """No answer an HTTP client could take for the server's (the TLS layer drops it), and the server shrugs."""
    connection = http.client.HTTPConnection("127.0.0.1", tls_server.port, timeout=5)
    try:
        connection.request("GET", "/healthz")
        # The TLS layer reads our request as a broken handshake and closes the connection: no status line at all.
        with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
            connection.getresponse()
    finally:
        connection.close()
    # It still serves over TLS, and logged no error or traceback for the stray request.
    assert httpx.get(f"{tls_server.url}/healthz", verify=pki.client_context()).status_code == 200
    assert tls_server.errors_logged() == []


async def test_socket_io_over_wss(tls_server: ServerProcess, pki: Pki) -> None:
    async with httpx.AsyncClient(verify=pki.client_context()) as http_client:
        user = (
            await http_client.post(
                f"{tls_server.url}/api/auth/register",
                json={"username": "wss_user", "email": "wss_user@example.test", "password": "password123"},
            )
        ).json()
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=pki.client_context()))
    sio = socketio.AsyncClient(http_session=session, reconnection=False)
    try:
        await sio.connect(tls_server.url, auth={"token": user["token"]}, transports=["websocket"], wait_timeout=10)
        assert sio.transport() == "websocket"
        assert sio.eio.base_url.startswith("wss://")
        assert sio.get_sid() is not None
    finally:
        await sio.disconnect()
        await session.close()


async def test_the_app_refuses_a_certificate_it_cannot_verify(tls_server: ServerProcess) -> None:
    async with ApiClient(tls_server.url) as api:
        with pytest.raises(ServerUnreachable, match="certificate is not trusted"):
            await api.healthz()


APP_CLIENT = """
    import asyncio, sys
    from nimeet_desktop.net.rest import ApiClient
    from nimeet_desktop.net.signaling import SignalingClient

    class Quiet:
        async def on_user_joined(self, participant): pass
        async def on_user_left(self, event): pass
        async def on_description(self, event): pass
        async def on_candidate(self, event): pass
        async def on_media_toggled(self, event): pass
        async def on_connection_state(self, state, detail): pass

    async def main():
        url = sys.argv[1]
        async with ApiClient(url) as api:
            await api.healthz()
            auth = await api.register("app_over_tls", "app_over_tls@example.test", "password123")
        client = SignalingClient(url, auth.token, Quiet())
        await client.connect()
        print("connected", client.socket_id is not None)
        await client.close()

    asyncio.run(main())
"""


def test_the_app_connects_over_https_and_wss_to_a_private_ca_it_is_told_about(
    tls_server: ServerProcess, pki: Pki
) -> None:
    """An admin's private CA, given the way OpenSSL reads it (``SSL_CERT_FILE``; the system store works alike):
    REST and the signaling socket both verify against it."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(APP_CLIENT), tls_server.url],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "SSL_CERT_FILE": str(pki.ca)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "connected True"


# ---- bad settings: one clear line and exit status 2, as every other setting --------------------------------------


def start_failure(tmp_path: Path, args: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "signaling_server", "--port", "0", "--data-dir", str(tmp_path / "data"), *args],
        cwd=ROOT,
        env={**os.environ, **FAST_ENV, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return done.returncode, done.stderr


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        ("missing cert", "--tls-cert: cannot read '{missing}': No such file or directory"),
        ("only a cert", "TLS needs both a certificate and its key"),
        ("only a key (env)", "TLS needs both a certificate and its key"),
        ("wrong key", "the key does not belong to the certificate"),
        ("swapped", "not a PEM certificate and key"),
        ("directory (env)", "NIMEET_TLS_KEY: cannot read '{directory}': Is a directory"),
    ],
)
def test_bad_tls_settings_are_refused_at_start(tmp_path: Path, pki: Pki, how: str, expected: str) -> None:
    missing = tmp_path / "nowhere.pem"
    cases: dict[str, tuple[list[str], dict[str, str]]] = {
        "missing cert": (["--tls-cert", str(missing), "--tls-key", str(pki.key)], {}),
        "only a cert": (["--tls-cert", str(pki.cert)], {}),
        "only a key (env)": ([], {"NIMEET_TLS_KEY": str(pki.key)}),
        "wrong key": (["--tls-cert", str(pki.cert), "--tls-key", str(pki.other_key)], {}),
        "swapped": (["--tls-cert", str(pki.key), "--tls-key", str(pki.cert)], {}),
        "directory (env)": ([], {"NIMEET_TLS_CERT": str(pki.cert), "NIMEET_TLS_KEY": str(tmp_path)}),
    }
    args, env = cases[how]
    code, stderr = start_failure(tmp_path, args, env)
    assert code == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nimeet-server: "), stderr  # one line, no traceback
    assert expected.format(missing=missing, directory=tmp_path) in lines[0]


def test_an_encrypted_key_is_refused_without_a_prompt(tmp_path: Path, pki: Pki) -> None:
    """OpenSSL would ask for the passphrase on the terminal and hang a service: the server says why instead."""
    key = serialization.load_pem_private_key(pki.key.read_bytes(), password=None)
    encrypted = tmp_path / "encrypted.key"
    encrypted.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"passphrase"),
        )
    )
    code, stderr = start_failure(tmp_path, ["--tls-cert", str(pki.cert), "--tls-key", str(encrypted)])
    assert code == 2, stderr
    assert "the private key is encrypted" in stderr
