"""``nimeet-bot``: the call engine with no screen — for admins checking a server, for tests and benchmarks.

It signs in (or registers), joins or creates a room (waiting in its lobby if it has one), sends synthetic (or real)
media, chats, shares files and reacts as asked (``bot_meeting``), measures what it receives and, at the end, writes
the report of ``docs/bot-report.md`` (``--json``) and prints a one-line summary as its last line on stdout. Exit
status: 0 done, 1 the call failed (or ``--expect-peers`` was not met, or no host admitted it in time), 2 bad usage,
3 the server ended its call (removed, denied at the lobby, the meeting ended).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import secrets
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from nimeet_desktop import bot_audio, bot_bench, bot_meeting, bot_recording
from nimeet_desktop.call import engine_loop, ice
from nimeet_desktop.call.errors import CallError, CallErrorKind
from nimeet_desktop.call.meeting import EndReason, MeetingSnapshot
from nimeet_desktop.call.remote import RemoteParticipant
from nimeet_desktop.call.report import peer_report, rate, summary_line
from nimeet_desktop.call.session import CallObserver, CallSession
from nimeet_desktop.media.base import VideoSource
from nimeet_desktop.media.synthetic import SyntheticVideo, parse_resolution
from nimeet_desktop.net.links import InvalidLink, parse_join_link
from nimeet_desktop.net.rest import ApiClient, ApiError, RestError
from nimeet_desktop.net.signaling import ConnectionState, SignalingError
from signaling_server.protocol import ChatMessage, IceServer, ModeratedMedia

# Named, not __name__: run as ``python -m nimeet_desktop.bot`` its __name__ is "__main__" (see docs/architecture.md).
logger = logging.getLogger("nimeet_desktop.bot")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="nimeet-bot",
        description="Headless NIMeet participant with synthetic media.",
        epilog="exit status: 0 the call ran (and --expect-peers was met); 1 signing in, joining or the call failed,"
        " too few peers sent media, or no host admitted the bot within --lobby-timeout; 2 bad usage; 3 the server"
        " ended the bot's call (removed, denied at the lobby, the meeting ended or its room was deleted)."
        " The --json report is described in docs/bot-report.md.",
    )
    p.add_argument("--server", default="http://127.0.0.1:8765", help="server URL (default %(default)s)")
    p.add_argument("--email", help="account email (with --password-file or NIMEET_PASSWORD)")
    secret = p.add_mutually_exclusive_group()
    secret.add_argument(
        "--password-file", metavar="PATH", help="read the account password from this file (its first line)"
    )
    secret.add_argument(
        "--password", help="account password: shown to everyone by `ps`, prefer --password-file or NIMEET_PASSWORD"
    )
    p.add_argument("--register", action="store_true", help="create a new account (random unless --email/--username)")
    p.add_argument("--username", help="username for --register")
    room = p.add_mutually_exclusive_group(required=True)
    room.add_argument("--room", help="room id or join link; ids may begin with '-': write --room=ID")
    room.add_argument("--create", action="store_true", help="create a room and print its id")
    p.add_argument("--video", choices=["synthetic", "camera", "screen", "none"], default="synthetic")
    bot_audio.add_arguments(p)
    p.add_argument("--resolution", default="640x360", help="WxH of synthetic or camera video (default %(default)s)")
    p.add_argument("--fps", type=float, default=30.0, help="video frame rate (default %(default)s)")
    p.add_argument("--camera-device", default="0", help="camera index or path for --video camera")
    p.add_argument("--monitor", type=int, default=1, help="monitor number for --video screen (1 = first)")
    p.add_argument(
        "--duration", type=float, default=10.0, help="seconds in the call (after any lobby wait); 0 = until interrupted"
    )
    p.add_argument("--json", metavar="FILE", help="write the report here ('-' for stdout)")
    p.add_argument("--expect-peers", type=int, default=0, help="exit 1 unless this many peers sent us media")
    p.add_argument(
        "--ice-host",
        action="append",
        default=[a for a in os.environ.get("NIMEET_ICE_HOSTS", "").split(",") if a],
        help="gather ICE host candidates on this address only (repeatable; env NIMEET_ICE_HOSTS, comma-separated)",
    )
    p.add_argument(
        "--relay-only",
        action="store_true",
        help="send media only through the TURN server the signaling server names (relay ICE candidates only)",
    )
    p.add_argument("--log-level", default="WARNING", help="stderr log level (default %(default)s)")
    p.add_argument(
        "--record",
        metavar="FILE",
        help="record what the bot receives (the grid, everyone heard) into FILE: .mp4, .webm or .mkv",
    )
    bot_meeting.add_arguments(p)
    bot_bench.add_arguments(p)
    return p


class BotObserver(CallObserver):
    """Keeps everyone seen in the call (those who left too) for the report, and narrates on stderr; the meeting's
    events go to ``meeting``."""

    def __init__(self, meeting: bot_meeting.BotMeeting) -> None:
        self.seen: list[RemoteParticipant] = []
        self.reconnects = 0
        self.meeting = meeting

    def on_participant_joined(self, participant: RemoteParticipant) -> None:
        self.seen.append(participant)
        logger.info("%s joined (%s)", participant.username, participant.socket_id)

    def on_participant_left(self, participant: RemoteParticipant) -> None:
        logger.info("%s left", participant.username)

    def on_connection(self, state: ConnectionState, detail: str | None) -> None:
        logger.info("signaling %s%s", state, f" ({detail})" if detail else "")
        if detail == "reconnected":
            self.reconnects += 1

    def on_error(self, error: CallError) -> None:
        logger.warning("%s", error)

    def on_meeting_changed(self, meeting: MeetingSnapshot) -> None:
        self.meeting.meeting_changed(meeting)

    def on_chat_message(self, message: ChatMessage) -> None:
        self.meeting.chat_message(message)

    def on_reaction(self, socket_id: str, emoji: str) -> None:
        self.meeting.reaction(socket_id, emoji)

    def on_muted_by_host(self, media: ModeratedMedia, by_username: str | None) -> None:
        self.meeting.muted_by_host(media, by_username)

    def on_call_ended(self, reason: EndReason, by_username: str | None) -> None:
        self.meeting.ended_by_server(reason, by_username)


def _video_factory(args: argparse.Namespace, width: int, height: int) -> Callable[[], VideoSource] | None:
    if args.video == "synthetic":
        return lambda: SyntheticVideo(width, height, args.fps)
    if args.video == "camera":
        from nimeet_desktop.media.camera import CameraSource

        device: int | str = int(args.camera_device) if args.camera_device.isdigit() else args.camera_device
        return lambda: CameraSource(device, width=width, height=height, fps=args.fps)
    return None


# Where the password may come from, besides --password-file: the environment is private to the process (and its
# owner); NIMEET_BOT_PASSWORD is the name of earlier versions, still read.
PASSWORD_ENV = ("NIMEET_PASSWORD", "NIMEET_BOT_PASSWORD")
PASSWORD_FILE_MAX_BYTES = 4096


def resolve_password(args: argparse.Namespace) -> str | None:
    """The password from --password-file, --password (with a warning: any user can read it in ``ps``) or the
    environment; None when none is given. Raises ValueError for a file that cannot be used."""
    if args.password_file is not None:
        try:
            with open(args.password_file, "rb") as file:
                raw = file.read(PASSWORD_FILE_MAX_BYTES + 1)
        except OSError as exc:
            raise ValueError(f"--password-file: cannot read {args.password_file}: {exc.strerror}") from None
        if len(raw) > PASSWORD_FILE_MAX_BYTES:
            raise ValueError(f"--password-file: {args.password_file} is not a password file (over 4 KiB)")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"--password-file: {args.password_file} is not UTF-8 text") from None
        # The first line, without its line break: `echo secret > file` writes one.
        password = text.splitlines()[0] if text else ""
        if not password:
            raise ValueError(f"--password-file: {args.password_file} is empty")
        return password
    if args.password is not None:
        print(
            "nimeet-bot: warning: --password is visible to every user of this machine (ps, /proc);"
            " use --password-file PATH or NIMEET_PASSWORD instead",
            file=sys.stderr,
        )
        return str(args.password)
    for name in PASSWORD_ENV:
        if value := os.environ.get(name):
            return value
    return None


async def _sign_in(api: ApiClient, args: argparse.Namespace) -> str:
    password = args.password
    if args.register:
        name = args.username or f"bot-{secrets.token_hex(4)}"
        email = args.email or f"{name}@bots.example"
        auth = await api.register(name, email, password or secrets.token_urlsafe(18))
    else:
        if not args.email or not password:
            raise SystemExit("nimeet-bot: give --email and --password-file (or NIMEET_PASSWORD), or --register")
        auth = await api.login(args.email, password)
    api.token = auth.token
    return auth.user.username


def build_report(session: CallSession, observer: BotObserver, server: str, username: str, duration_s: float) -> Any:
    sent_video: dict[str, Any] | None = None
    encoder = session.screen or session.camera
    if encoder is not None:
        frame = encoder.latest_frame
        fps = rate(encoder.frames_encoded, encoder.first_encoded_at, encoder.last_encoded_at)
        sent_video = {
            "frames": encoder.frames_encoded,
            "fps": None if fps is None else round(fps, 1),
            "width": None if frame is None else frame.width,
            "height": None if frame is None else frame.height,
            "codec": "VP8",
        }
    sent_audio = None
    if session.audio is not None:
        audio_fps = rate(session.audio.frames_read, session.audio.first_read_at, session.audio.last_read_at)
        sent_audio = {"framesPerS": None if audio_fps is None else round(audio_fps, 1)}
    me = session.self_participant
    return {
        "server": server,
        "roomId": session.room_id,
        "self": {
            "socketId": me.socket_id if me else None,
            "username": username,
            "role": me.role if me else None,
            "media": session.media_state.wire(),
        },
        "durationS": round(duration_s, 1),
        "joinAckMs": None if session.join_ack_ms is None else round(session.join_ack_ms, 1),
        "sent": {"video": sent_video, "audio": sent_audio},
        "peers": [peer_report(p) for p in observer.seen],
        "errors": [str(error) for error in session.errors],
        **observer.meeting.report(),
    }


async def run(args: argparse.Namespace) -> int:
    width, height = parse_resolution(args.resolution)
    room_id = None
    if args.room is not None:
        try:
            room_id = parse_join_link(args.room)
        except InvalidLink as exc:
            print(f"nimeet-bot: --room: {exc}", file=sys.stderr)
            return 2
    if args.ice_host:
        ice.restrict_host_addresses(args.ice_host)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl-C still raises KeyboardInterrupt
            loop.add_signal_handler(sig, stop.set)

    async with ApiClient(args.server) as api:  # open for the whole call: files go up and down through it
        try:
            username = await _sign_in(api, args)
            if room_id is None:
                room_id = (await api.create_room(name=f"{username}'s room")).room.room_id
                print(f"room: {room_id}", flush=True)
            ice_servers = (await api.ice_servers()).ice_servers
        except (ApiError, RestError) as exc:
            print(f"nimeet-bot: {exc}", file=sys.stderr)
            return 1
        if args.relay_only and not ice.offers_relay(ice_servers):
            # Said before joining: with no relay candidate ICE would only fail later, after its timeouts.
            print(
                "nimeet-bot: --relay-only: the server offers no TURN server (its NIMEET_TURN_URLS and "
                "NIMEET_TURN_SECRET), so no call can connect",
                file=sys.stderr,
            )
            return 1
        return await _call(args, api, username, room_id, ice_servers, stop, width, height)


async def _call(
    args: argparse.Namespace,
    api: ApiClient,
    username: str,
    room_id: str,
    ice_servers: list[IceServer],
    stop: asyncio.Event,
    width: int,
    height: int,
) -> int:
    started = time.monotonic()
    meeting = bot_meeting.BotMeeting(args, started)
    observer = BotObserver(meeting)
    audio = bot_audio.BotAudio(args)
    session = CallSession(
        args.server,
        api.token or "",
        ice_servers,
        observer=observer,
        camera_factory=_video_factory(args, width, height),
        microphone=audio.microphone(),
        audio_sink=audio.audio_sink(),
        audio_processor=audio.processor,
        measure_latency=True,
        options=dataclasses.replace(bot_bench.engine_options(args), relay_only=args.relay_only),
    )
    meeting.attach(api, session, room_id)
    try:
        audio.start(session)
        await session.join(room_id, password=args.room_password)
        audio.watch(session.audio)
        if args.video == "screen":
            from nimeet_desktop.media.screen import ScreenSource

            await session.start_screen_share(ScreenSource(args.monitor, fps=args.fps))
    except SignalingError as exc:
        print(f"nimeet-bot: cannot join: {exc}", file=sys.stderr)
        await session.leave()
        await audio.aclose()
        return 1
    except Exception as exc:  # a device or server failure: report it, still leave cleanly
        print(f"nimeet-bot: {exc}", file=sys.stderr)
        await session.leave()
        await audio.aclose()
        return 1

    stats = asyncio.create_task(bot_bench.print_sender_stats(session)) if args.sender_stats else None
    quality = asyncio.create_task(bot_bench.print_quality_stats(session)) if args.quality_stats else None
    in_room = await meeting.wait_for_room(stop)  # at once, unless the room has a lobby
    recording = bot_recording.BotRecording.start(args, session, audio.mixer) if in_room else None
    if in_room:
        actions = asyncio.create_task(meeting.act())
        ends = [asyncio.ensure_future(event.wait()) for event in (stop, meeting.call_ended)]
        await asyncio.wait(ends, timeout=args.duration or None, return_when=asyncio.FIRST_COMPLETED)
        if not actions.done():
            session.report_error(CallError(CallErrorKind.FAILED, "the call ended before the bot's actions were done"))
        for waiter in (*ends, actions):
            waiter.cancel()
        await asyncio.gather(actions, return_exceptions=True)
        await meeting.finish()
    report = build_report(session, observer, args.server, username, time.monotonic() - started)
    report["audioProcessing"] = audio.report(session.audio)
    if recording is not None:
        report["recording"] = await recording.stop()
    if args.latency_samples:
        bot_bench.add_latency_samples(report["peers"], observer.seen)
    for task in (stats, quality):
        if task is not None:
            task.cancel()
    await session.leave()
    await audio.aclose()
    write_report(report, args.json)
    if meeting.ended is not None:
        return 3
    if recording is not None and recording.failed:
        return 1
    if not in_room and meeting.lobby is not None and meeting.lobby["outcome"] == "timed-out":
        return 1
    delivering = [p for p in report["peers"] if p["video"]["frames"] or p["audio"]["framesPerS"]]
    return 0 if len(delivering) >= args.expect_peers else 1


def write_report(report: Any, destination: str | None) -> None:
    """The JSON (to a file, or stdout for '-'), then the summary: always the last line on stdout."""
    if destination == "-":
        print(json.dumps(report, indent=2))
    elif destination:
        Path(destination).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(summary_line(report["peers"]), flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    level = getattr(logging, str(args.log_level).upper(), None)
    if not isinstance(level, int):
        build_parser().error(f"unknown log level {args.log_level!r}")
    logging.basicConfig(level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        parse_resolution(args.resolution)
        bot_audio.processing_config(args)
        bot_meeting.check_arguments(args)
        bot_recording.check_arguments(args)
        args.password = resolve_password(args)
    except ValueError as exc:
        build_parser().error(str(exc))
    try:
        code = engine_loop.run(run(args))  # the loop the desktop app's engine runs on (uvloop where available)
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)


if __name__ == "__main__":
    main()
