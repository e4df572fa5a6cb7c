"""``DesktopCall.join`` and a microphone it was not handed: the app's call, through the real server on loopback."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nimeet_desktop.call.desktop_call import DesktopCall
from nimeet_desktop.call.errors import CallErrorKind
from tests.call.conftest import Recorder
from tests.call.test_device_switch import TwoOfEach
from tests.support.server import ServerProcess

RoomOf = Callable[..., Awaitable[tuple[str, list[str]]]]


async def joined_without_a_microphone(
    call_server: ServerProcess, room_of: RoomOf, provider: TwoOfEach, *, microphone: bool
) -> DesktopCall:
    room, (token,) = await room_of(1)
    call = DesktopCall(
        call_server.url, token, room, [], provider, observer=Recorder(), microphone_device="mic-b", microphone=None
    )
    await call.join(camera=False, microphone=microphone)
    return call


async def test_a_microphone_asked_for_but_not_handed_over_is_opened_by_the_join(
    call_server: ServerProcess, room_of: RoomOf
) -> None:
    """Regression test: a call handed no microphone (pre-join had none open yet) joined with it on joined without
    one, silently, and stayed so: the camera was opened by the join in that case, the microphone never."""
    provider = TwoOfEach()
    call = await joined_without_a_microphone(call_server, room_of, provider, microphone=True)
    try:
        assert provider.opened == ["mic-b"], "the chosen microphone, opened once"
        assert call.session.media_state.microphone, "joined with the microphone on, as asked"
        assert not call.microphone_lost
        assert call.session.errors == []
    finally:
        await call.leave()


async def test_joining_muted_without_a_microphone_opens_none_and_one_that_will_not_open_is_said(
    call_server: ServerProcess, room_of: RoomOf
) -> None:
    provider = TwoOfEach()
    muted = await joined_without_a_microphone(call_server, room_of, provider, microphone=False)
    try:
        assert provider.opened == []  # the mic button opens one when it is wanted
        assert not muted.session.media_state.microphone
    finally:
        await muted.leave()

    provider.broken = {"mic-b", None}
    call = await joined_without_a_microphone(call_server, room_of, provider, microphone=True)
    try:
        assert provider.opened == ["mic-b", None], "the chosen microphone, then the system default"
        assert not call.session.media_state.microphone and call.microphone_lost
        assert [(e.kind, e.media) for e in call.session.errors] == [(CallErrorKind.DEVICE_UNAVAILABLE, "microphone")]
    finally:
        await call.leave()
