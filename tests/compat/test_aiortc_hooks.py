"""aiortc / aioice hooks of the call engine, each exercised with real aiortc peers through the real server."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import aioice
from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCRtpSender, RTCSessionDescription
from aiortc.rtp import RTCP_PSFB_APP, RTCP_PSFB_PLI, RtcpPsfbPacket, pack_remb_fci

from nimeet_desktop.call import aiortc_compat, ice
from nimeet_desktop.call.jitter import MarkerJitterBuffer
from nimeet_desktop.call.session import CallSession
from nimeet_desktop.call.shared_encoder import MIN_BITRATE, SharedVideoEncoder
from tests.call.conftest import frames_from, wait_until

AIORTC = f"aiortc {aiortc_compat.AIORTC_VERSION}"
RoomOf = Callable[..., Awaitable[tuple[str, list[str]]]]


async def two_in_a_call(room_of: RoomOf, sessions: Callable[..., CallSession]) -> tuple[CallSession, CallSession]:
    """``sender`` sends video to ``receiver`` (and back); both have decoded frames from each other."""
    room, tokens = await room_of(2)
    sender, receiver = sessions(tokens[0]), sessions(tokens[1])
    await sender.join(room)
    await receiver.join(room)
    await wait_until(lambda: frames_from(receiver, sender) >= 15, 20, "video from the sender")
    return sender, receiver


def video_sender(session: CallSession, other: CallSession) -> RTCRtpSender:
    assert other.self_participant is not None
    pc = session.peers[other.self_participant.socket_id].pc
    return next(t.sender for t in pc.getTransceivers() if t.kind == "video")


def video_receiver(session: CallSession, other: CallSession) -> RTCRtpReceiver:
    assert other.self_participant is not None
    pc = session.peers[other.self_participant.socket_id].pc
    return next(t.receiver for t in pc.getTransceivers() if t.kind == "video")


async def send_rtcp(receiver: RTCRtpReceiver, packet: RtcpPsfbPacket) -> None:
    """Send RTCP as the receiving aiortc peer itself does (its private ``_send_rtcp``, the path of its own PLIs)."""
    send = getattr(receiver, "_send_rtcp", None)
    assert send is not None, f"{AIORTC}: RTCRtpReceiver._send_rtcp is gone: this canary cannot send feedback"
    await send(packet)


def sender_ssrc(sender: RTCRtpSender) -> int:
    ssrc = getattr(sender, "_ssrc", None)
    assert isinstance(ssrc, int), f"{AIORTC}: RTCRtpSender._ssrc is gone (route_video_feedback reads it)"
    return ssrc


def camera_encoder(session: CallSession) -> SharedVideoEncoder:
    assert isinstance(session.camera, SharedVideoEncoder)
    return session.camera


async def test_a_pli_from_the_receiving_peer_forces_a_keyframe_of_the_shared_encoder(
    room_of: RoomOf, sessions: Callable[..., CallSession]
) -> None:
    sender, receiver = await two_in_a_call(room_of, sessions)
    encoder = camera_encoder(sender)
    # Settle: the subscription's own keyframe request is behind us once a second passes without a new one.
    before = encoder.keyframes_forced
    for _ in range(40):
        await asyncio.sleep(0.5)
        if encoder.keyframes_forced == before:
            break
        before = encoder.keyframes_forced
    ssrc = sender_ssrc(video_sender(sender, receiver))
    await send_rtcp(video_receiver(receiver, sender), RtcpPsfbPacket(fmt=RTCP_PSFB_PLI, ssrc=1, media_ssrc=ssrc))
    await wait_until(
        lambda: encoder.keyframes_forced > before,
        5,
        f"a keyframe after a PLI: {AIORTC} no longer hands RTCP to RTCRtpSender._handle_rtcp_packet "
        "(aiortc_compat.route_video_feedback)",
    )


async def test_a_remb_from_the_receiving_peer_sets_the_shared_encoders_bitrate(
    room_of: RoomOf, sessions: Callable[..., CallSession]
) -> None:
    sender, receiver = await two_in_a_call(room_of, sessions)
    encoder = camera_encoder(sender)
    target = 2 * MIN_BITRATE
    assert encoder.bitrate != target
    ssrc = sender_ssrc(video_sender(sender, receiver))
    rtp_receiver = video_receiver(receiver, sender)

    async def keep_estimating() -> None:
        # The receiver's own estimator sends REMBs too (about once a second); ours, sent more often, wins.
        while True:
            remb = RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=1, media_ssrc=0, fci=pack_remb_fci(target, [ssrc]))
            await send_rtcp(rtp_receiver, remb)
            await asyncio.sleep(0.05)

    task = asyncio.create_task(keep_estimating())
    try:
        await wait_until(
            lambda: encoder.bitrate == target,
            10,
            f"the bitrate to follow a REMB: {AIORTC} no longer hands RTCP to RTCRtpSender._handle_rtcp_packet, or "
            "RTCRtpSender._ssrc no longer matches the REMB's SSRCs (aiortc_compat.route_video_feedback)",
        )
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_the_marker_jitter_buffer_serves_a_real_receiver_and_releases_frames_on_the_marker(
    room_of: RoomOf, sessions: Callable[..., CallSession]
) -> None:
    sender, receiver = await two_in_a_call(room_of, sessions)
    buffer = aiortc_compat.jitter_buffer(video_receiver(receiver, sender))
    assert isinstance(buffer, MarkerJitterBuffer), (
        f"{AIORTC}: RTCRtpReceiver.__jitter_buffer is {type(buffer).__name__}, not ours "
        "(aiortc_compat.set_jitter_buffer)"
    )
    start = frames_from(receiver, sender)
    await wait_until(lambda: frames_from(receiver, sender) >= start + 30, 10, "30 more frames")
    released = buffer.released_on_marker + buffer.released_on_next_frame
    assert released >= 30, (
        f"{AIORTC}: JitterBuffer.add no longer asks JitterBuffer._remove_frame for frames "
        f"(our buffer released {released} while the decoder got 30; aiortc_compat.FrameRuleJitterBuffer)"
    )
    # Loopback loses (almost) no packet: nearly every frame must end on its marker, not wait for the next frame.
    assert buffer.released_on_marker >= 0.9 * released, (buffer.released_on_marker, buffer.released_on_next_frame)


async def test_aiortc_reads_the_jitter_buffer_where_we_replace_it() -> None:
    """Our buffer must stand where aiortc's stood (a new attribute that aiortc never reads would pass silently)."""
    pc = RTCPeerConnection()
    pc.addTransceiver("video")
    receiver = pc.getTransceivers()[0].receiver
    stock = aiortc_compat.jitter_buffer(receiver)
    assert type(stock).__name__ == "JitterBuffer", f"{AIORTC}: RTCRtpReceiver.__jitter_buffer is {type(stock)}"
    mine = MarkerJitterBuffer()
    aiortc_compat.set_jitter_buffer(receiver, mine)
    assert vars(receiver)["_RTCRtpReceiver__jitter_buffer"] is mine
    await pc.close()


async def host_candidates() -> list[str]:
    """The host candidates aiortc puts in a real offer (the addresses it gathered through aioice)."""
    pc = RTCPeerConnection(ice.configuration([]))
    pc.addTransceiver("audio")
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    return [line.split()[4] for line in sdp.splitlines() if line.startswith("a=candidate:") and " typ host" in line]


async def test_the_loopback_hook_makes_aioice_offer_127_0_0_1() -> None:
    aioice = f"aioice {aiortc_compat.AIOICE_VERSION}"
    try:
        ice.restrict_host_addresses(None)
        assert "127.0.0.1" not in await host_candidates(), f"{aioice} now gathers loopback by itself"
        ice.restrict_host_addresses(["127.0.0.1"])
        assert await host_candidates() == ["127.0.0.1"], (
            f"{aioice}: Connection.gather_candidates no longer calls aioice.ice.get_host_addresses "
            "(aiortc_compat.set_host_address_source)"
        )
    finally:
        ice.restrict_host_addresses(["127.0.0.1"])  # what the session fixture keeps for every call test


async def test_a_connection_closed_while_its_checks_complete_starts_no_consent_checks() -> None:
    """aioice 0.13: ``connect()`` starts consent checks after the check list completes; a ``close()`` that lands
    between the completion and ``connect()`` resuming finds no task to cancel, and the task started afterwards
    runs on against a closed connection (seen as "Task was destroyed but it is pending! query_consent" when a
    call was left while a rejoin's peer was connecting). Held at exactly that point here."""
    aioice_name = f"aioice {aiortc_compat.AIOICE_VERSION}"
    controlling, controlled = aioice.Connection(ice_controlling=True), aioice.Connection(ice_controlling=False)
    for connection in (controlling, controlled):
        await connection.gather_candidates()
    for mine, theirs in ((controlling, controlled), (controlled, controlling)):
        mine.remote_username, mine.remote_password = theirs.local_username, theirs.local_password
        for candidate in theirs.local_candidates:
            await mine.add_remote_candidate(candidate)
        await mine.add_remote_candidate(None)
    aiortc_compat.end_consent_checks_after_close(controlling)

    completed = asyncio.Event()
    resume = asyncio.Event()
    state_get = controlling._check_list_state.get

    async def held_get() -> int:
        result = await state_get()
        completed.set()
        await resume.wait()
        return result

    controlling._check_list_state.get = held_get  # type: ignore[method-assign]
    connecting = asyncio.gather(controlling.connect(), controlled.connect(), return_exceptions=True)
    await asyncio.wait_for(completed.wait(), 10)
    await controlling.close()
    resume.set()
    await connecting
    await controlled.close()
    consent = controlling._query_consent_task
    assert consent is None or consent.done(), f"{aioice_name}: consent checks run on a closed connection"


async def test_the_selected_candidate_pair_is_read_from_aioice(
    room_of: RoomOf, sessions: Callable[..., CallSession]
) -> None:
    """``selected_candidate_types`` reads aioice's ``Connection._nominated``; on loopback both ends are ``host``, and
    the report's ``candidatePair`` (the TURN test's witness) is filled from it once the connection is up."""
    sender, receiver = await two_in_a_call(room_of, sessions)
    assert receiver.self_participant is not None
    pc = sender.peers[receiver.self_participant.socket_id].pc
    assert aiortc_compat.selected_candidate_types(pc) == ("host", "host"), (
        f"aioice {aiortc_compat.AIOICE_VERSION}: Connection._nominated no longer holds the selected pair"
    )
    assert sender.participants[receiver.self_participant.socket_id].stats.candidate_types == ("host", "host")


async def test_ssrcs_named_by_a_later_offer_route_to_the_m_line_that_now_carries_them() -> None:
    # An SFU's offer: two video m-lines of one payload type, each with its SSRC and RTX pair.
    offerer, answerer = RTCPeerConnection(), RTCPeerConnection()
    try:
        for _ in range(2):
            offerer.addTransceiver("video", direction="sendonly")
        await offerer.setLocalDescription(await offerer.createOffer())
        first = offerer.localDescription.sdp
        await answerer.setRemoteDescription(RTCSessionDescription(first, "offer"))
        aiortc_compat.route_offered_ssrcs(answerer)
        receivers = {t.mid: t.receiver for t in answerer.getTransceivers()}
        router = receivers["0"].transport._rtp_router
        before = {ssrc: r for ssrc, r in router.ssrc_table.items()}
        assert set(before.values()) == set(receivers.values()), AIORTC

        # The next offer gives the first m-line a newcomer's stream: new SSRCs for it, the second's unchanged.
        # Its primary SSRC first, then its RTX one (the FID pair): the new numbers keep that order. (The router's
        # table comes from a set: its order says nothing, and renaming by it swapped the pair in half the runs.)
        ((old_rtx, old_primary),) = vars(receivers["0"])["_RTCRtpReceiver__rtx_ssrc"].items()
        old = [old_primary, old_rtx]
        assert set(old) == {s for s, r in before.items() if r is receivers["0"]}, AIORTC
        later = first
        for number, ssrc in enumerate(old):
            later = later.replace(str(ssrc), str(4000000000 + number))
        await answerer.setRemoteDescription(RTCSessionDescription(later, "offer"))
        aiortc_compat.route_offered_ssrcs(answerer)
        table = router.ssrc_table
        assert all(ssrc not in table for ssrc in old), "the old stream's SSRCs no longer route there"
        assert table[4000000000] is receivers["0"], AIORTC
        assert {s for s, r in table.items() if r is receivers["1"]} == {
            s for s, r in before.items() if r is receivers["1"]
        }
        rtx = vars(receivers["0"])["_RTCRtpReceiver__rtx_ssrc"]
        assert rtx == {4000000001: 4000000000}, rtx
    finally:
        await offerer.close()
        await answerer.close()
