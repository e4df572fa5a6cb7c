"""Fixtures of the reliability suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nimeet_desktop.call import ice


@pytest.fixture
def loopback_ice() -> Iterator[None]:
    """aioice skips 127.0.0.1 by default; media in these tests must stay on loopback."""
    ice.restrict_host_addresses(["127.0.0.1"])
    yield
    ice.restrict_host_addresses(None)
