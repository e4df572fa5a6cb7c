"""The one task owner: failures logged with their stack, close that cancels and awaits, nothing left un-awaited."""

from __future__ import annotations

import asyncio
import gc
import logging
import warnings

import pytest

from nimeet_desktop.task_set import Once, TaskSet


async def boom() -> None:
    raise ValueError("boom")


async def test_a_failing_task_is_logged_with_its_stack_and_reported(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[BaseException] = []
    tasks = TaskSet("test", on_error=seen.append)
    task = tasks.spawn(boom(), "fails")
    assert task is not None
    await asyncio.gather(task, return_exceptions=True)
    await asyncio.sleep(0)  # done callbacks run on the next loop turn
    [record] = [r for r in caplog.records if "test:fails failed" in r.getMessage()]
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None and isinstance(record.exc_info[1], ValueError)
    assert [str(e) for e in seen] == ["boom"]
    assert not tasks.busy


async def test_close_cancels_and_awaits_every_task_and_refuses_new_ones() -> None:
    tasks = TaskSet("test")
    finished: list[str] = []

    async def sleeper(name: str) -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            finished.append(name)

    for name in ("a", "b"):
        tasks.spawn(sleeper(name), name)
    await asyncio.sleep(0)
    assert len(tasks) == 2
    await tasks.close()
    assert sorted(finished) == ["a", "b"]  # their clean-up ran before close() returned
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tasks.spawn(sleeper("late"), "late") is None
        gc.collect()
    assert "late" not in finished


def test_spawning_without_a_running_loop_leaves_no_coroutine_unawaited() -> None:
    """Regression (item 17): the coroutine was built, then the loop looked for: "never awaited" at exit."""
    tasks = TaskSet("test")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tasks.spawn(boom(), "no-loop") is None
        gc.collect()


async def test_once_runs_once_and_a_cancelled_caller_does_not_cut_it_short() -> None:
    runs: list[str] = []
    release = asyncio.Event()

    async def action() -> None:
        runs.append("started")
        await release.wait()
        runs.append("finished")

    once = Once(action)
    first = asyncio.create_task(once())
    await asyncio.sleep(0.01)
    assert once.started and not once.done
    first.cancel()  # e.g. the window closing while "Leave" is in progress
    await asyncio.gather(first, return_exceptions=True)
    second = asyncio.create_task(once())
    await asyncio.sleep(0.01)
    assert not second.done(), "the second caller must wait for the first caller's action"
    release.set()
    await second
    assert runs == ["started", "finished"]
    await once()  # already done: returns at once, runs nothing
    assert runs == ["started", "finished"]
