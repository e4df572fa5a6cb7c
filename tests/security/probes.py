"""What every replayed attack is judged by: the server's resident memory and how fast ``/healthz`` answers while
the attack runs. Measured from outside, on the real server process (``tests/support/server.py``)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

STALL_S = 5.0
"""What the attack tests hold ``/healthz`` to: answering at all, promptly, is the point; the attacks replayed here
kept it over 2 s for tens of seconds before they were fixed. Not a speed figure: the probes share the attacking
test's event loop, and under the full suite on two loaded cores they measured up to 2.25 s for a server that
answers in 0.1–0.35 s on a quiet machine (docs/security.md has those figures)."""


def rss_mib(pid: int) -> float:
    """Resident memory of a process, MiB (``VmRSS`` in ``/proc/<pid>/status``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


async def healthz_seconds(base_url: str, timeout: float = 10.0) -> float:
    """One ``GET /healthz`` on a new connection: seconds until a 200 (``timeout`` when it never came)."""
    started = time.monotonic()
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=timeout) as client:
            reply = await client.get("/healthz")
        if reply.status_code != 200:
            return timeout
    except httpx.HTTPError:
        return timeout
    return time.monotonic() - started


@dataclass
class Watch:
    """Samples memory and health every ``period`` seconds while an attack runs (``async with Watch(...)``)."""

    pid: int
    base_url: str
    period: float = 0.25
    rss: list[float] = field(default_factory=list)
    health: list[float] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Watch:
        self.baseline = rss_mib(self.pid)
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _run(self) -> None:
        while True:
            self.rss.append(rss_mib(self.pid))
            self.health.append(await healthz_seconds(self.base_url))
            await asyncio.sleep(self.period)

    @property
    def growth_mib(self) -> float:
        """The most the server grew over its resident memory before the attack."""
        return max(self.rss, default=self.baseline) - self.baseline

    @property
    def worst_health_s(self) -> float:
        return max(self.health, default=0.0)
