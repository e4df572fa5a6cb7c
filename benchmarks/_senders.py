#!/usr/bin/env python3
"""K lightweight participants in one process, each calling one user only: the load for ``app_mesh.py``.

The machine has two cores; what it measures is the app under test, so its K counterparts must cost as little as
they can while looking, to the app, like K ordinary participants sending 640x360 at 30 fps and a tone:

- One process, one event loop (uvloop where installed), K ``CallSession``s of the real engine.
- One synthetic source and ONE shared VP8 encoder (``SharedVideoEncoder``) for all K sessions: every session's
  peer sends the same packets (one encode, K packetizations), as a sender's encoder already does for its own
  peers in a mesh. Likewise one tone (``AudioBroadcast``), encoded to Opus once, as in the app.
  A keyframe one peer asks for goes to all, and the bitrate follows the lowest estimate any peer reports.
- Each session calls only the app's user (``EngineOptions.peer_only_with``): the senders never connect to each
  other, so K senders make K connections, not K(K+1)/2.
- What the app sends back is received (the app must really send: its own sent fps is a figure) but never
  decoded: aiortc's decoder thread is replaced, in this process only, by one that drops the encoded frames. RTP,
  SRTP, the jitter buffer, receiver reports and bitrate estimates (REMB) still run, so the app sees an ordinary
  receiver.

Protocol with the parent (``app_mesh.py``), one line each:
    stdin   ``add N``   bring the number of sessions up to N (each registers a fresh user and joins)
            ``quit``    (or end of input) leave the room and exit
    stdout  ``ready``   set up, no session yet
            ``stats t=<monotonic> sessions=<n> connected=<n> encoded=<frames> sent=<frames>`` once a second:
            sessions whose connection to the app is up, frames the shared encoder made, and video frames all
            peers together handed to RTP
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import queue
import secrets
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script: only benchmarks/ is on the path
    sys.path.insert(0, str(REPO))

from aiortc import RTCRtpReceiver, rtcrtpreceiver  # noqa: E402
from aiortc.mediastreams import MediaStreamTrack  # noqa: E402

from nimeet_desktop.call import aiortc_compat, engine_loop, ice  # noqa: E402
from nimeet_desktop.call.audio_broadcast import AudioBroadcast  # noqa: E402
from nimeet_desktop.call.options import EngineOptions  # noqa: E402
from nimeet_desktop.call.session import CallSession  # noqa: E402
from nimeet_desktop.call.shared_encoder import SharedVideoEncoder  # noqa: E402
from nimeet_desktop.media.synthetic import SyntheticAudio, SyntheticVideo, parse_resolution  # noqa: E402
from nimeet_desktop.net.rest import ApiClient  # noqa: E402
from signaling_server.protocol import IceServer, MediaState  # noqa: E402

LOOPBACK = "127.0.0.1"
STATS_INTERVAL_S = 1.0


def _discarding_decoder_worker(
    loop: asyncio.AbstractEventLoop, input_q: queue.Queue[Any], output_q: asyncio.Queue[Any], decode_error: Any
) -> None:
    """aiortc's ``decoder_worker`` without the decoding: takes each encoded frame and drops it; ends the track at
    the end as aiortc's does."""
    while input_q.get() is not None:
        pass
    with contextlib.suppress(RuntimeError):  # the loop is already closed at exit
        asyncio.run_coroutine_threadsafe(output_q.put(None), loop)


def _never_inline(receiver: RTCRtpReceiver) -> bool:
    return False  # audio too goes to the discarding worker


def never_decode() -> None:
    """Received media is not decoded in this process (``RTCRtpReceiver.receive`` starts this worker).

    The engine puts its own decoder worker in place when it makes its first peer, and decodes audio on the loop
    (``aiortc_compat.install_lean_packet_hooks``, ``decode_audio_inline``): its hooks go in first, here, so that
    they are not installed over ours later (they were, from the lean packet path on: the senders decoded the app's
    video, and their load grew with what the app sent)."""
    if not callable(getattr(rtcrtpreceiver, "decoder_worker", None)):
        raise RuntimeError("aiortc.rtcrtpreceiver.decoder_worker is gone: update benchmarks/_senders.py")
    aiortc_compat.install_lean_packet_hooks()
    rtcrtpreceiver.decoder_worker = _discarding_decoder_worker
    aiortc_compat.decode_audio_inline = _never_inline


def _drop_audio(_socket_id: str, _track: MediaStreamTrack) -> None:
    """Remote audio goes nowhere (and, never decoded, costs nothing)."""


class SenderSession(CallSession):
    """A session that sends the shared video and audio instead of opening sources of its own."""

    def __init__(
        self,
        server_url: str,
        token: str,
        ice_servers: Sequence[IceServer],
        *,
        peer: str,
        video: SharedVideoEncoder,
        audio: AudioBroadcast | None,
    ) -> None:
        super().__init__(
            server_url, token, ice_servers, audio_sink=_drop_audio, options=EngineOptions(peer_only_with=peer)
        )
        self._shared_video = video
        self._shared_audio = audio

    @property
    def media_state(self) -> MediaState:
        return MediaState(camera=True, microphone=self._shared_audio is not None, screen=False)

    def video_feed(self) -> SharedVideoEncoder:
        return self._shared_video

    def audio_feed(self) -> AudioBroadcast | None:
        return self._shared_audio

    def connected(self) -> bool:
        return any(peer.pc.connectionState == "connected" for peer in self.peers.values())


class Senders:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        width, height = parse_resolution(args.resolution)
        self.video = SharedVideoEncoder(SyntheticVideo(width, height, args.fps, label="senders"))
        self.audio = None if args.no_audio else AudioBroadcast(SyntheticAudio())
        self.sessions: list[SenderSession] = []
        self.ice_servers: list[IceServer] = []
        self.api = ApiClient(args.server)

    async def start(self) -> None:
        self.video.start()
        if self.audio is not None:
            self.audio.start()

    async def add(self, total: int) -> None:
        while len(self.sessions) < total:
            name = f"sender{len(self.sessions) + 1}-{secrets.token_hex(3)}"
            auth = await self.api.register(name, f"{name}@senders.example", secrets.token_urlsafe(18))
            if not self.sessions:  # the ICE servers are for signed-in users: asked once, as the first
                self.api.token = auth.token
                self.ice_servers = list((await self.api.ice_servers()).ice_servers)
            session = SenderSession(
                self.args.server,
                auth.token,
                self.ice_servers,
                peer=self.args.peer,
                video=self.video,
                audio=self.audio,
            )
            self.sessions.append(session)
            await session.join(self.args.room, camera=False, microphone=False)

    def stats_line(self) -> str:
        sent = sum(peer.video_out.items_sent for s in self.sessions for peer in s.peers.values())
        connected = sum(1 for s in self.sessions if s.connected())
        return (
            f"stats t={time.monotonic():.3f} sessions={len(self.sessions)} connected={connected} "
            f"encoded={self.video.frames_encoded} sent={sent}"
        )

    async def close(self) -> None:
        for session in self.sessions:
            await session.leave()
        await self.video.close()
        if self.audio is not None:
            await self.audio.close()
        await self.api.close()


def _read_commands(loop: asyncio.AbstractEventLoop, commands: asyncio.Queue[str]) -> None:
    for line in sys.stdin:
        loop.call_soon_threadsafe(commands.put_nowait, line.strip())
    loop.call_soon_threadsafe(commands.put_nowait, "quit")


async def _print_stats(senders: Senders) -> None:
    while True:
        print(senders.stats_line(), flush=True)
        await asyncio.sleep(STATS_INTERVAL_S)


async def run(args: argparse.Namespace) -> int:
    ice.restrict_host_addresses([LOOPBACK])
    never_decode()
    senders = Senders(args)
    await senders.start()
    commands: asyncio.Queue[str] = asyncio.Queue()
    threading.Thread(target=_read_commands, args=(asyncio.get_running_loop(), commands), daemon=True).start()
    print("ready", flush=True)
    stats = asyncio.create_task(_print_stats(senders))
    try:
        while (command := await commands.get()) != "quit":
            verb, _, count = command.partition(" ")
            if verb == "add" and count.isdigit():
                await senders.add(int(count))
            elif command:
                print(f"_senders.py: unknown command {command!r}", file=sys.stderr, flush=True)
    finally:
        stats.cancel()
        await senders.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--server", required=True)
    p.add_argument("--room", required=True, help="room id")
    p.add_argument("--peer", required=True, help="the user id every session calls (and no one else)")
    p.add_argument("--resolution", default="640x360")
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--no-audio", action="store_true", help="send video only")
    p.add_argument("--log-level", default="INFO", help="the engine's log on stderr (default %(default)s)")
    args = p.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for name in ("nimeet_desktop", "aioice"):  # rebuilt connections, consent lost
        logging.getLogger(name).setLevel(args.log_level.upper())
    return engine_loop.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
