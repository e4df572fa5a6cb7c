"""Server settings: typed, declared once, every one overridable by an ``NIMEET_*`` environment variable."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Collection
from pathlib import Path
from typing import Annotated, Literal, get_args, get_origin
from urllib.parse import urlsplit

import annotated_types
import platformdirs
from email_validator import EmailNotValidError, validate_email
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from signaling_server.mail.smtp import parse_smtp_url
from signaling_server.protocol import MAX_EVENT_BYTES, MAX_FILE_BYTES_DEFAULT

APP_NAME = "nimeet-server"


# OpenSSL's reason codes for what people get wrong, in their words.
_TLS_REASONS = {
    "KEY_VALUES_MISMATCH": "the key does not belong to the certificate",
    "PEM_LIB": "not a PEM certificate and key (swapped, or another format)",
    "NO_START_LINE": "not a PEM file",
}


class _EncryptedKey(Exception):
    pass


def _no_key_password() -> bytes:
    raise _EncryptedKey("the private key is encrypted; the server cannot ask for its passphrase")


def _split_list(value: object) -> object:
    """Lists come from the environment as comma-separated text (``a,b``) or as a JSON list."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            import json

            return json.loads(text)
        return [item.strip() for item in text.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NIMEET_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=0, le=65535)
    # Where the SQLite database and the generated signing key live.
    data_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)))
    # Empty means SQLite in ``data_dir``; otherwise any SQLAlchemy async URL (postgresql+asyncpg://…).
    database_url: str = ""
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "text"] = "json"
    # Shut down when this process is gone: the desktop app passes its own pid for the server it bundles.
    parent_pid: int | None = Field(default=None, ge=1)

    # Accounts. Without a configured secret a random one is generated once and kept in ``data_dir`` (0600).
    jwt_secret: SecretStr | None = None
    token_ttl_s: int = Field(default=7 * 24 * 3600, ge=60)
    # argon2id cost (RFC 9106 low-memory profile by default); hashes with other parameters are upgraded on login.
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=64 * 1024, ge=8 * 1024)
    argon2_parallelism: int = Field(default=4, ge=1)

    # ICE: STUN/TURN URLs handed to clients; TURN credentials use coturn's ``use-auth-secret`` scheme.
    stun_urls: Annotated[list[str], NoDecode] = Field(default_factory=list)
    turn_urls: Annotated[list[str], NoDecode] = Field(default_factory=list)
    turn_secret: SecretStr | None = None
    turn_ttl_s: int = Field(default=3600, ge=60)

    # Web clients: origins allowed to call the API and open sockets cross-origin (none by default).
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # Abuse limits: requests per minute per client IP.
    register_per_min: int = Field(default=10, ge=1)
    login_per_min: int = Field(default=30, ge=1)
    create_room_per_min: int = Field(default=30, ge=1)
    # A whole socket.io event over this is refused by the transport (the connection is closed).
    max_message_bytes: int = Field(default=MAX_EVENT_BYTES, ge=1024)
    # permessage-deflate costs CPU and up to 4x memory per connection (measured): off unless asked for.
    ws_compression: bool = False
    # Whole seconds: engineio advertises int(interval) * 1000 ms, so 0.5 would tell clients 0.
    ping_interval_s: int = Field(default=25, ge=1)
    ping_timeout_s: int = Field(default=20, ge=1)
    # Full garbage-collection passes on a timer instead of automatically (see gc_policy.py); 0 = automatic.
    gc_full_interval_s: float = Field(default=0.0, ge=0)

    # ---- Invitations (contract v1.1) ----
    # The base URL people reach this server at (https://meet.example.org, a path prefix allowed): invitations are
    # <base>/join/<roomId>. Unset, each request's own scheme and Host are used.
    public_url: str | None = None

    # ---- Meetings (contract v1.1) ----
    # The largest file one upload may carry; a larger one is refused (413) and nothing of it is kept.
    max_file_bytes: int = Field(default=MAX_FILE_BYTES_DEFAULT, ge=1)

    # ---- Reminder and invitation mail (contract v1.1, "Scheduling") ----
    # smtp://[user:password@]host[:port] (STARTTLS when offered) or smtps://… (TLS); unset, no mail is attempted.
    smtp_url: SecretStr | None = None
    # The From address; unset: nimeet@<host of NIMEET_PUBLIC_URL> (nimeet@localhost without one).
    smtp_from: str | None = None
    # How often due reminders and unsent mail are looked for: a reminder goes out at most this late.
    mail_poll_s: float = Field(default=30.0, ge=0.05, le=3600)
    # ---- History and statistics (contract v1.1) ----
    # Accounts allowed GET /api/admin/stats, by email (compared case-insensitively); none by default.
    admin_emails: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # GET /metrics answers only loopback clients unless this is true (then anyone who reaches the server).
    metrics_public: bool = False

    # ---- Several server nodes (docs/deploy.md, "Several nodes") ----
    # redis://[user:password@]host[:port][/db] (rediss:// for TLS). Set, this process is one node of several: live room
    # state, events between sockets on different nodes and rate limits are shared through that Redis. Unset (the
    # default): one process keeps it all in memory and no Redis is needed.
    redis_url: SecretStr | None = None
    # How often a node tells the others it is alive, and how long its silence lasts before they take its members out
    # of their rooms (everyone else receives ``user-left``): the two add up to how long a dead node's ghosts last.
    node_heartbeat_s: float = Field(default=1.0, ge=0.05, le=60)
    node_timeout_s: float = Field(default=5.0, ge=0.2, le=600)

    # ---- Large rooms through Janus (issue 17; docs/sfu.md) ----
    # Janus's HTTP API (http://127.0.0.1:8088/janus) and its VideoRoom's ``admin_key``, both or neither. Set, rooms of
    # more than 8 places (up to 100) carry their media through Janus (``mode: "sfu"``); unset, every room is a mesh
    # of at most 16.
    janus_url: str | None = None
    janus_admin_key: SecretStr | None = None

    # ---- TLS (issue 11) ----
    # Serve https:// and wss:// directly: a PEM certificate (chain) and its unencrypted PEM private key, both or
    # neither. Behind a reverse proxy that terminates TLS, leave both unset (docs/deploy.md).
    tls_cert: Path | None = None
    tls_key: Path | None = None

    # ---- HTTP, accounts and database hardening (issue 10) ----
    # REST bodies over this are refused with 413 before they are read whole (uploads are excepted by route).
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=64 * 1024 * 1024)
    # A request line and headers over this are refused with 431 before they are parsed whole.
    max_header_bytes: int = Field(default=16 * 1024, ge=1024, le=1024 * 1024)
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed: addresses or networks (10.0.0.0/8); none by
    # default, so a client cannot pick the address its rate limits key on.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Host names the server answers to, port ignored ("*" = any). A server on a loopback address always answers
    # to localhost, 127.0.0.1 and [::1] (DNS rebinding: a web page cannot reach it under its own name); elsewhere
    # an empty list means any host.
    allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # SQLite waits this long for a lock before a request fails with 503 (clients give up on acks at 10 s).
    db_busy_timeout_s: float = Field(default=2.0, ge=0.1, le=60)
    # How often revocations written by other server processes (logout elsewhere, delete-user) are picked up.
    revocation_poll_s: float = Field(default=2.0, ge=0.1, le=300)

    # ---- Socket limits (issue 10, socket handling; docs/security.md) ----
    # Sockets one account holds at once: a desktop app uses one per call; ten covers several devices and reconnects.
    max_sockets_per_user: int = Field(default=10, ge=1, le=100_000)
    # Sockets one peer address (the real one: forwarded headers count only from trusted proxies) holds at once.
    # 200 leaves room for an office or campus behind one NAT while keeping one host far from the fd limit.
    max_sockets_per_address: int = Field(default=200, ge=1, le=1_000_000)
    # Client events per socket: a token bucket (rate per second, burst). A call sends a handful a second.
    event_rate_per_s: float = Field(default=50.0, gt=0, le=1_000_000)
    event_burst: int = Field(default=100, ge=1, le=1_000_000)
    # join-room per account (each writes a database row): a burst of ten, then one a second.
    join_rate_per_s: float = Field(default=1.0, gt=0, le=1_000_000)
    join_burst: int = Field(default=10, ge=1, le=1_000_000)
    # Seats one account may hold in one room (several devices, a reconnect overlapping its old socket).
    max_seats_per_user: int = Field(default=3, ge=1, le=1000)

    # ---- Engine.IO / Socket.IO transport limits (issue 10) ----
    # Output the server may hold for one socket that does not read (its Engine.IO queue); past it the socket is
    # disconnected and what it held freed. At least two whole events, or one big relay would trip it.
    max_unsent_bytes: int = Field(default=4 * 1024 * 1024, ge=2 * MAX_EVENT_BYTES, le=1024 * 1024 * 1024)
    # An Engine.IO session that has not completed the Socket.IO connect this long after opening (or after
    # leaving its namespace) is closed: idle sessions would otherwise hold a file descriptor forever.
    connect_timeout_s: float = Field(default=10.0, ge=0.5, le=300.0)

    @field_validator("stun_urls", "turn_urls", "cors_origins", "trusted_proxies", "allowed_hosts", mode="before")
    @classmethod
    def _lists(cls, value: object) -> object:
        return _split_list(value)

    @field_validator("admin_emails", mode="before")
    @classmethod
    def _admin_emails(cls, value: object) -> object:
        listed = _split_list(value)
        return [str(email).strip().lower() for email in listed] if isinstance(listed, list) else listed

    @field_validator("turn_urls")
    @classmethod
    def _turn_scheme(cls, value: list[str]) -> list[str]:
        for url in value:
            if not url.startswith(("turn:", "turns:")):
                raise ValueError(f"TURN URL must start with turn: or turns: ({url!r})")
        return value

    @field_validator("stun_urls")
    @classmethod
    def _stun_scheme(cls, value: list[str]) -> list[str]:
        for url in value:
            if not url.startswith(("stun:", "stuns:")):
                raise ValueError(f"STUN URL must start with stun: or stuns: ({url!r})")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise ValueError(
                f"must be an http:// or https:// URL with no query, such as https://meet.example.org ({value!r})"
            )
        return value.strip().rstrip("/")

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, value: list[str]) -> list[str]:
        proxies = []
        for item in value:
            try:
                network = ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"must be IP addresses or networks such as 10.0.0.0/8 (got {item!r})") from None
            # Normalised (10.1.2.3/8 -> 10.0.0.0/8): uvicorn takes a network with host bits set for a name that
            # never matches, and would silently trust nobody.
            proxies.append(str(network) if "/" in item else str(network.network_address))
        return proxies

    @field_validator("janus_url", "janus_admin_key", mode="before")
    @classmethod
    def _empty_janus_setting_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("janus_url")
    @classmethod
    def _janus_url(cls, value: str | None) -> str | None:
        if value is not None and (urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).hostname):
            raise ValueError("must be Janus's HTTP API, e.g. http://127.0.0.1:8088/janus")
        return None if value is None else value.rstrip("/")

    @model_validator(mode="after")
    def _janus_pair(self) -> Settings:
        if (self.janus_url is None) != (self.janus_admin_key is None):
            raise ValueError("NIMEET_JANUS_URL and NIMEET_JANUS_ADMIN_KEY go together: set both or neither")
        return self

    @property
    def sfu(self) -> bool:
        """Large rooms go through Janus (both Janus settings are given)."""
        return self.janus_url is not None

    @field_validator("redis_url", mode="before")
    @classmethod
    def _empty_redis_url_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and urlsplit(value.get_secret_value()).scheme not in ("redis", "rediss"):
            raise ValueError("must be a redis:// or rediss:// URL")  # never the URL itself: it may hold a password
        return value

    @model_validator(mode="after")
    def _nodes_share_database_and_key(self) -> Settings:
        if self.redis_url is None:
            return self
        if not self.database_url:
            raise ValueError("NIMEET_REDIS_URL (several nodes) needs NIMEET_DATABASE_URL: one database all nodes share")
        if self.jwt_secret is None:
            raise ValueError(
                "NIMEET_REDIS_URL (several nodes) needs NIMEET_JWT_SECRET: the same signing key on every node"
            )
        if self.node_timeout_s <= 2 * self.node_heartbeat_s:
            raise ValueError("NIMEET_NODE_TIMEOUT_S must be more than twice NIMEET_NODE_HEARTBEAT_S")
        return self

    @field_validator("smtp_url", "smtp_from", mode="before")
    @classmethod
    def _empty_mail_setting_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_smtp_url(value.get_secret_value())  # its ValueError names the problem, never the password
        return value

    @field_validator("smtp_from")
    @classmethod
    def _smtp_from(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return validate_email(value.strip(), check_deliverability=False).normalized
        except EmailNotValidError as exc:
            raise ValueError(f"must be an email address ({exc})") from None

    def mail_sender(self) -> str:
        if self.smtp_from is not None:
            return self.smtp_from
        host = urlsplit(self.public_url).hostname if self.public_url else None
        return f"nimeet@{host or 'localhost'}"

    @field_validator("jwt_secret", mode="before")
    @classmethod
    def _empty_secret_is_none(cls, value: object) -> object:
        # ``NIMEET_JWT_SECRET=`` (set but empty) means "generate one", not a zero-length key.
        return None if value == "" else value

    @field_validator("allowed_hosts")
    @classmethod
    def _host_names(cls, value: list[str]) -> list[str]:
        return [item.lower().strip("[]") if item != "*" else item for item in value]

    @field_validator("tls_cert", "tls_key", mode="before")
    @classmethod
    def _empty_path_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("tls_cert", "tls_key")
    @classmethod
    def _readable_file(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        try:
            with value.open("rb"):
                pass
        except OSError as exc:
            raise ValueError(f"cannot read {str(value)!r}: {exc.strerror or exc}") from None
        if not value.is_file():
            raise ValueError(f"not a file: {str(value)!r}")
        return value

    @model_validator(mode="after")
    def _tls_pair(self) -> Settings:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError(
                "TLS needs both a certificate and its key: --tls-cert and --tls-key (NIMEET_TLS_CERT "
                "and NIMEET_TLS_KEY), or neither"
            )
        if self.tls_cert is not None and self.tls_key is not None:
            # Loaded once here, so a wrong file is a one-line error at start instead of uvicorn's traceback. The
            # password callback keeps OpenSSL from prompting on the terminal for an encrypted key.
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            try:
                context.load_cert_chain(self.tls_cert, self.tls_key, password=_no_key_password)
            except _EncryptedKey as exc:
                reason = str(exc)
            except (ssl.SSLError, OSError) as exc:
                code = getattr(exc, "reason", None) or ("PEM_LIB" if "PEM lib" in str(exc) else "")
                reason = _TLS_REASONS.get(code, f"{exc} (PEM files expected)")
            else:
                return self
            raise ValueError(
                f"the TLS certificate {str(self.tls_cert)!r} and key {str(self.tls_key)!r} cannot be used: {reason}"
            ) from None
        return self

    @model_validator(mode="after")
    def _turn_needs_secret(self) -> Settings:
        if self.turn_urls and self.turn_secret is None:
            raise ValueError("TURN URLs need NIMEET_TURN_SECRET (coturn's static-auth-secret)")
        return self

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'nimeet.sqlite3'}"


_WHAT_IT_MUST_BE = {
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "bool_parsing": "must be true or false",
}


def explain(exc: ValidationError, from_command_line: Collection[str] = ()) -> list[str]:
    """One line per bad setting, named as the person set it (``--port`` or ``NIMEET_PORT``), saying what it must
    be and what it was: people starting a server need that, not pydantic's report."""
    lines = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        if field in from_command_line:
            name = "--" + field.replace("_", "-")
        elif field:
            name = "NIMEET_" + field.upper()
        else:  # a rule across settings (TURN URLs need a secret): its message names them
            lines.append(str(error["msg"]).removeprefix("Value error, "))
            continue
        kind = error["type"]
        if kind == "value_error":  # our own validators: the message says it all, the input included
            lines.append(f"{name}: {str(error['msg']).removeprefix('Value error, ')}")
            continue
        info = Settings.model_fields.get(field)
        must = _WHAT_IT_MUST_BE.get(kind) or (_bounds(info.metadata) if info else None)
        if kind == "literal_error" and info is not None and get_origin(info.annotation) is Literal:
            must = "must be one of " + ", ".join(str(choice) for choice in get_args(info.annotation))
        if must is None:
            must = str(error["msg"])
        secret = info is not None and SecretStr in (info.annotation, *get_args(info.annotation))
        lines.append(f"{name}: {must}" if secret else f"{name}: {must} (got {error['input']!r})")
    return lines


def _bounds(metadata: list[object]) -> str | None:
    low = next((m.ge for m in metadata if isinstance(m, annotated_types.Ge)), None)
    high = next((m.le for m in metadata if isinstance(m, annotated_types.Le)), None)
    if low is not None and high is not None:
        return f"must be between {low} and {high}"
    if low is not None:
        return f"must be at least {low}"
    if high is not None:
        return f"must be at most {high}"
    return None
