"""The engine's own loop and thread: commands in from another loop, clean and idempotent shutdown."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from nimeet_desktop.call import engine_loop
from nimeet_desktop.call.engine_loop import EngineLoop


@pytest.fixture
def engine() -> Iterator[EngineLoop]:
    loop = EngineLoop(name="test-engine")
    yield loop
    loop.close()


def test_the_engine_runs_uvloop_where_it_is_installed(engine: EngineLoop) -> None:
    assert engine_loop.uvloop_available(), "uvloop is a dependency on this platform"
    assert engine.kind == "uvloop"
    assert engine.thread.is_alive() and engine.thread is not threading.current_thread()


def test_a_coroutine_runs_on_the_engine_thread_and_its_result_comes_back(engine: EngineLoop) -> None:
    async def where() -> str:
        await asyncio.sleep(0)
        return threading.current_thread().name

    async def caller() -> str:
        return await engine.run(where())

    assert asyncio.run(caller()) == "test-engine"
    assert engine.submit(where()).result(5) == "test-engine"


def test_an_exception_reaches_the_caller(engine: EngineLoop) -> None:
    async def fail() -> None:
        raise ValueError("engine said no")

    async def caller() -> None:
        await engine.run(fail())

    with pytest.raises(ValueError, match="engine said no"):
        asyncio.run(caller())


def test_cancelling_the_caller_cancels_the_work_on_the_engine(engine: EngineLoop) -> None:
    started = threading.Event()
    cancelled = threading.Event()

    async def long() -> None:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def caller() -> None:
        task = asyncio.ensure_future(engine.run(long()))
        await asyncio.to_thread(started.wait, 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(caller())
    assert cancelled.wait(5), "the engine's task went on after its caller gave up"


def test_close_cancels_what_still_runs_joins_the_thread_and_is_idempotent() -> None:
    engine = EngineLoop(name="closing")
    cleaned = threading.Event()

    async def forever() -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            cleaned.set()

    engine.submit(forever())
    assert engine.close() is True
    assert cleaned.is_set(), "a task was not given the chance to clean up"
    assert not engine.thread.is_alive()
    assert engine.close() is True  # again: nothing to do
    assert engine.call_soon(print) is False

    async def late() -> None: ...

    with pytest.raises(RuntimeError, match="closed"):
        engine.submit(late())


def test_call_soon_runs_on_the_engine_thread(engine: EngineLoop) -> None:
    seen: list[str] = []
    done = threading.Event()

    def note(value: str) -> None:
        seen.append(f"{value} on {threading.current_thread().name}")
        done.set()

    assert engine.call_soon(note, "volume")
    assert done.wait(5)
    assert seen == ["volume on test-engine"]


def test_the_headless_client_runs_on_the_same_kind_of_loop() -> None:
    async def kind() -> str:
        return type(asyncio.get_running_loop()).__module__

    assert engine_loop.run(kind()).startswith("uvloop")


def test_the_engine_thread_is_named_where_the_system_shows_threads(engine: EngineLoop) -> None:
    """top -H, /proc and benchmarks/app_mesh.py's per-thread CPU see "nimeet-engine", not the process's name."""
    from nimeet_desktop.thread_names import os_thread_name

    async def name() -> str:
        return os_thread_name()

    assert engine.submit(name()).result(5) == "test-engine"
