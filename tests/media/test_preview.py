"""Pre-join's preview (``DevicePreview``) and a device that is still opening when the user joins or leaves.

The slow open is made slow on purpose: the provider's ``open_microphone`` blocks its worker thread on an event
until the test lets it finish, so the order of events is the test's, not the machine's."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from nimeet_desktop.media.base import AudioSource
from nimeet_desktop.media.preview import DevicePreview
from nimeet_desktop.media.provider import SyntheticMediaProvider

WAIT_S = 10.0


class GatedMicrophone(SyntheticMediaProvider):
    """A microphone that opens only when ``gate`` is set (``opening`` says the thread has started on it)."""

    def __init__(self) -> None:
        super().__init__(160, 120)
        self.opening = threading.Event()
        self.gate = threading.Event()
        self.opened: list[AudioSource] = []

    def open_microphone(self, device: str | None) -> AudioSource:
        self.opening.set()
        if not self.gate.wait(WAIT_S):
            raise TimeoutError("the test never let the microphone open")
        source = super().open_microphone(device)
        self.opened.append(source)
        return source


async def microphone_opening(preview: DevicePreview, provider: GatedMicrophone) -> asyncio.Task[bool]:
    """Pre-join's own step: ``set_microphone`` in a task, now blocked in its worker thread."""
    task = asyncio.create_task(preview.set_microphone(None))
    assert await asyncio.to_thread(provider.opening.wait, WAIT_S), "the preview never began to open the microphone"
    return task


async def cancelled(task: asyncio.Task[bool]) -> None:
    """What pre-join does to its tasks when Join is clicked (``PrejoinView.hand_over``)."""
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_microphone_still_opening_when_join_is_clicked_goes_to_the_call() -> None:
    """Regression test: Join clicked while the preview's microphone was still opening (a loaded machine, a slow
    driver) handed the call no microphone, so the user joined without one although they had asked for it, and the
    microphone the thread went on to open ran with nobody to stop it."""
    provider = GatedMicrophone()
    preview = DevicePreview(provider)
    try:
        await cancelled(await microphone_opening(preview, provider))
        handing_over = asyncio.ensure_future(preview.hand_over())
        provider.gate.set()
        camera, microphone = await asyncio.wait_for(handing_over, WAIT_S)
        assert camera is None
        assert microphone is not None, "the microphone still opening was not handed to the call"
        assert provider.opened == [microphone]
        assert microphone.readyState == "live"
        microphone.stop()
    finally:
        provider.gate.set()
        await preview.close()


async def test_a_microphone_still_opening_when_the_preview_closes_is_closed_once_open() -> None:
    """The other way out of pre-join (Back, a server switch): the microphone the thread opens after the preview
    closed is stopped at once rather than left running."""
    provider = GatedMicrophone()
    preview = DevicePreview(provider)
    try:
        await cancelled(await microphone_opening(preview, provider))
        await preview.close()
        provider.gate.set()
        deadline = time.monotonic() + WAIT_S
        while not (provider.opened and provider.opened[0].readyState == "ended"):
            assert time.monotonic() < deadline, "the microphone opened after the preview closed was left running"
            await asyncio.sleep(0.01)  # the worker thread hands its source back to the loop when it is done
        camera, microphone = await preview.hand_over()
        assert (camera, microphone) == (None, None)
    finally:
        provider.gate.set()
        for source in provider.opened:
            source.stop()
