"""The tests' Qt event loop (``ui_loop``, ``run`` in conftest.py) counts as running for the whole test.

qasync's ``run_until_complete`` clears the running loop when its ``run_forever`` ends and then processes Qt events
"one last time": a timer due then (a source's pacer, a socket's callback) stepped a task outside any running loop,
which failed with "no running event loop" (seen once in CI, in a pre-join preview's microphone reader)."""

from __future__ import annotations

import asyncio

from tests.ui.conftest import Run


def test_a_task_sleeping_across_many_runs_never_steps_outside_the_loop(
    ui_loop: asyncio.AbstractEventLoop, run: Run
) -> None:
    async def pacer() -> int:
        steps = 0
        for _ in range(400):
            await asyncio.sleep(0.001)
            steps += 1
        return steps

    task = ui_loop.create_task(pacer())
    for _ in range(300):  # each run returns through qasync's last processEvents, with a timer of the pacer due
        run(asyncio.sleep(0))
    assert run(task) == 400
