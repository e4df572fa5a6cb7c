#!/usr/bin/env python3
"""One participant of ``benchmarks/receive_path.py``, in a process of its own: the real ``CallSession``.

Two roles:

- ``hub``: the process measured. Registers, creates the room (prints ``room: <id>`` and ``user: <username>``), and
  joins it, sending synthetic video (``--send``) or nothing. On each ``stats`` line on its stdin it prints one
  ``stats`` line with its counters (nothing runs between two requests, so measuring costs the hub nothing):
  ``stats t=<monotonic> rtp_in=<n> rtp_out=<n> frames_in=<n> connected=<n> frames_out=<n> rtcp_out=<n>`` (RTCP and DTLS
  datagrams sent: all the transports' datagrams less the RTP ones).
- ``spoke``: one of the K others. Joins the room and calls the hub *only*: the spokes ignore one another, so that the
  machine's two cores carry the hub's load and not a full mesh. It sends synthetic video (``--send``) or nothing.

``--stock`` runs the hub's engine with aiortc's stock packet path (``EngineOptions.lean_packet_path=False``);
``--loop uvloop`` runs it on uvloop. ``NIMEET_ROOT`` (the benchmark sets it) names the checkout whose engine runs,
so that another tree's engine (``/work/main``, say) can be measured with this script.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import os
import secrets
import sys
import time
from pathlib import Path
from typing import Any, cast

import av
import numpy as np
import numpy.typing as npt

ROOT = Path(os.environ.get("NIMEET_ROOT") or Path(__file__).resolve().parent.parent)
sys.path.insert(0, str(ROOT))

from nimeet_desktop.call import ice  # noqa: E402
from nimeet_desktop.call.options import EngineOptions  # noqa: E402
from nimeet_desktop.call.session import CallSession  # noqa: E402
from nimeet_desktop.media.synthetic import SyntheticVideo  # noqa: E402
from nimeet_desktop.net.rest import ApiClient  # noqa: E402
from signaling_server.protocol import Participant  # noqa: E402


class CameraLikeVideo(SyntheticVideo):
    """The synthetic picture with sensor-like noise over it: a camera's picture keeps VP8 at its target rate
    (~1 Mbit/s, ~100 packets/s at 640x360), where the clean synthetic one needs a third of that."""

    def __init__(self, width: int, height: int, fps: float) -> None:
        super().__init__(width, height, fps)
        self._rng = np.random.default_rng(1)

    async def _next(self) -> av.VideoFrame:
        frame = await super()._next()
        yuv = cast(npt.NDArray[np.uint8], frame.to_ndarray())  # yuv420p: one uint8 plane of 3/2 the height
        rows = self.height // 3  # a band of noise: a third of the picture, enough to use the whole bitrate
        yuv[:rows] ^= self._rng.integers(0, 24, size=(rows, yuv.shape[1]), dtype=np.uint8)
        noisy = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        noisy.pts, noisy.time_base = frame.pts, frame.time_base
        return noisy


class HubOnlySession(CallSession):
    """A spoke: everyone but the hub is treated as beyond the room's capacity, so it is never called, never
    answered (its relays come from a stranger), and never watched."""

    hub: str = ""

    def _room_is_full(self, participant: Participant) -> bool:
        return participant.username != self.hub or super()._room_is_full(participant)


def options(stock: bool) -> EngineOptions | None:
    if not stock:
        return None
    if "lean_packet_path" not in {f.name for f in dataclasses.fields(EngineOptions)}:
        raise SystemExit(f"--stock: the engine in {ROOT} has no EngineOptions.lean_packet_path")
    return EngineOptions(lean_packet_path=False)  # type: ignore[call-arg, unused-ignore]


async def counters(session: CallSession) -> str:
    rtp_in = rtp_out = datagrams_out = connected = 0
    for peer in list(session.peers.values()):
        connected += peer.pc.connectionState == "connected"
        for stats in (await peer.pc.getStats()).values():
            if stats.type == "inbound-rtp":
                rtp_in += stats.packetsReceived
            elif stats.type == "outbound-rtp":
                rtp_out += stats.packetsSent
            elif stats.type == "transport":
                datagrams_out += stats.packetsSent
    frames = sum(p.stats.video_frames for p in session.participants.values())
    encoded = getattr(session.camera, "frames_encoded", 0)
    return (
        f"stats t={time.monotonic():.3f} rtp_in={rtp_in} rtp_out={rtp_out} frames_in={frames} "
        f"connected={connected} frames_out={encoded} rtcp_out={datagrams_out - rtp_out}"
    )


async def serve_stats(session: CallSession) -> None:
    """Answer each ``stats`` line on stdin; return at its end (the benchmark closed it: time to leave)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    profiler: cProfile.Profile | None = None
    while line := await reader.readline():
        command, _, argument = line.decode().strip().partition(" ")
        if command == "stats":
            print(await counters(session), flush=True)
        elif command == "profile":  # the event loop's thread only, deterministic: call counts per packet
            profiler = cProfile.Profile(time.thread_time)  # CPU time of this thread, not wall time
            profiler.enable()
        elif command == "dump" and profiler is not None:
            profiler.disable()
            profiler.dump_stats(argument)
            profiler = None


async def run(args: argparse.Namespace) -> None:
    ice.restrict_host_addresses(["127.0.0.1"])
    async with ApiClient(args.server) as api:
        name = f"{args.role}-{secrets.token_hex(4)}"
        api.token = (await api.register(name, f"{name}@bots.example", secrets.token_urlsafe(18))).token
        room = args.room or (await api.create_room(name=f"{name}'s room", max_participants=8)).room.room_id
        ice_servers = (await api.ice_servers()).ice_servers
    width, height = (int(v) for v in args.resolution.split("x"))
    video = CameraLikeVideo if args.noise else SyntheticVideo
    camera = (lambda: video(width, height, args.fps)) if args.send else None
    session_class = HubOnlySession if args.role == "spoke" else CallSession
    session = session_class(
        args.server, api.token or "", ice_servers, camera_factory=camera, options=options(args.stock)
    )
    if isinstance(session, HubOnlySession):
        session.hub = args.hub
    await session.join(room, camera=args.send, microphone=False)
    print(f"room: {room}", flush=True)
    print(f"user: {name}", flush=True)
    try:
        await serve_stats(session)
    finally:
        await session.leave()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("role", choices=["hub", "spoke"])
    p.add_argument("--server", required=True)
    p.add_argument("--room", help="join this room (hub: create one when absent)")
    p.add_argument("--hub", default="", help="spoke: the hub's username, the only one it calls")
    p.add_argument("--send", action="store_true", help="send synthetic video")
    p.add_argument("--resolution", default="640x360")
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--noise", action="store_true", help="camera-like noise over the synthetic picture")
    p.add_argument("--stock", action="store_true", help="aiortc's stock packet path")
    p.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    args = p.parse_args()
    runner: Any = asyncio.run
    if args.loop == "uvloop":
        import uvloop

        runner = uvloop.run
    runner(run(args))


if __name__ == "__main__":
    main()
