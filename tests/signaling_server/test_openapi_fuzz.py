"""schemathesis against the served OpenAPI schema: no 5xx, and every response matches the schema."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.server import ServerProcess

# The REST routes fuzzed here keep no live state of their own: the two-node run (the contract's event tests) would
# fuzz the same code twice for a minute more of CI.
ONE_NODE = True
# Cases per operation and mode: each run draws new ones (no example database), so CI's runs add up. 100 took CI
# about 110 s for 25 operations in two modes (23 ms a case, schemathesis' own work more than the server's);
# NIMEET_FUZZ_EXAMPLES=1000 for a deeper pass by hand.
EXAMPLES = int(os.environ.get("NIMEET_FUZZ_EXAMPLES", "50"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,  # input the schema forbids must get a 4xx
    ignored_auth,  # protected operations must refuse missing or bad credentials
]


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, str]]:
    server = ServerProcess(tmp_path_factory.mktemp("fuzz"))
    url = server.start()
    r = httpx.post(
        f"{url}/api/auth/register",
        json={"username": "fuzzer", "email": "fuzzer@example.test", "password": "password123"},
    )
    yield server, r.json()["token"]
    server.stop()
    assert server.errors_logged() == [], "".join(server.stderr_lines[-60:])


def operations(url: str) -> list[Any]:
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    return [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]


def fuzz(
    operation: Any,
    mode: GenerationMode,
    base_url: str,
    headers: dict[str, str] | None,
    max_examples: int = EXAMPLES,
    fresh_headers: Callable[[], dict[str, str]] | None = None,
) -> None:
    @given(case=operation.as_strategy(mode))
    @settings(max_examples=max_examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case: Any) -> None:
        case_headers = fresh_headers() if fresh_headers is not None else headers
        case.call_and_validate(base_url=base_url, headers=case_headers, checks=CHECKS)

    check()


def logout_token(base_url: str) -> dict[str, str]:
    """Logout revokes its token (or all of the user's): each case gets a new one of a user of its own."""
    r = httpx.post(f"{base_url}/api/auth/login", json={"email": "fuzz_logout@example.test", "password": "password123"})
    if r.status_code == 401:
        r = httpx.post(
            f"{base_url}/api/auth/register",
            json={"username": "fuzz_logout", "email": "fuzz_logout@example.test", "password": "password123"},
        )
    return {"Authorization": f"Bearer {r.json()['token']}"}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_conforms_to_its_schema(fuzz_server: tuple[ServerProcess, str], mode: GenerationMode) -> None:
    # Driven by hand rather than with schemathesis' pytest plugin, whose lazy loader breaks on pytest 9.
    server, token = fuzz_server
    ops = operations(server.url)
    # register, login, logout, me, create, get, list, ice-servers, healthz; v1.1: patch, delete, upload, download,
    # preferences (get, put); meetings (create, list, get, patch, delete, respond, ics); room sessions, my stats,
    # admin stats
    assert len(ops) == 25
    for operation in ops:
        if mode is GenerationMode.NEGATIVE and operation.method.upper() == "GET" and "{" not in operation.path:
            continue  # no input to get wrong (auth is checked by ignored_auth and test_rooms_need_a_token)
        headers = {"Authorization": f"Bearer {token}"} if operation.security else None
        if operation.path == "/api/auth/logout":
            # Its body is one optional flag, and "log out everywhere" answers after up to a second.
            fuzz(operation, mode, server.url, None, max_examples=8, fresh_headers=lambda: logout_token(server.url))
            continue
        fuzz(operation, mode, server.url, headers)


def test_schema_documents_every_error_status(fuzz_server: tuple[ServerProcess, str]) -> None:
    server, _ = fuzz_server
    spec = httpx.get(f"{server.url}/openapi.json").json()
    paths = spec["paths"]
    assert set(paths["/api/auth/register"]["post"]["responses"]) == {"201", "409", "422", "429"}
    assert set(paths["/api/rooms/create"]["post"]["responses"]) == {"201", "401", "422", "429"}
    assert set(paths["/api/rooms/{roomId}"]["get"]["responses"]) >= {"200", "401", "404"}
    assert set(paths["/api/auth/logout"]["post"]["responses"]) == {"204", "401", "422"}
    error_schema = spec["components"]["schemas"]["ErrorResponse"]
    assert error_schema["required"] == ["error"]
