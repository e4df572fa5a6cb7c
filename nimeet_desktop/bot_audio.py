"""``nimeet-bot``'s audio: which source it sends (``--audio``), whether it is processed, and the simulated room.

``--audio room-sim`` and ``room-sim-talk`` give the bot a loudspeaker and a microphone that hears it: remote audio
is mixed (``AudioMixer``, without a device), the room's microphone pulls the mix once per block it captures (one
clock, as a sound card has), the mix is the echo canceller's far end and goes into the room (``RoomAcoustics``).
The report then carries the room's echo figures (``audioProcessing`` in docs/bot-report.md).

Processing runs where a real microphone would need it (``mic`` and the room); the synthetic tone and voice are
clean test signals and go out as generated. ``--no-audio-processing`` turns every stage off.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import av
import numpy as np
from aiortc.mediastreams import MediaStreamTrack

from nimeet_desktop.call.audio_broadcast import AudioBroadcast
from nimeet_desktop.call.remote import RemoteParticipant
from nimeet_desktop.call.session import CallSession
from nimeet_desktop.media.audio_output import AudioMixer, Samples
from nimeet_desktop.media.audio_processing import AudioProcessingConfig, AudioProcessor
from nimeet_desktop.media.base import AudioSource
from nimeet_desktop.media.room_sim import RoomAcoustics, RoomMicrophone, echo_figures
from nimeet_desktop.media.synthetic import SyntheticAudio, SyntheticVoice

AUDIO_CHOICES = ("synthetic", "voice", "mic", "room-sim", "room-sim-talk", "none")
ROOM_MODES = ("room-sim", "room-sim-talk")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--audio",
        choices=AUDIO_CHOICES,
        default="synthetic",
        help="synthetic: a 440 Hz tone; voice: a speech-like synthetic talker; mic: the default microphone; "
        "room-sim: the microphone hears the bot's own loudspeaker (echo 120 ms later, 10 dB down, reverberant, "
        "over pink noise); room-sim-talk: the same with a near-end talker (the tone, 1 s on, 1 s off)",
    )
    parser.add_argument(
        "--tone-hz",
        type=float,
        default=440.0,
        help="frequency of --audio synthetic's tone (default %(default)s): bots with different tones are told apart "
        "in a recording",
    )
    parser.add_argument(
        "--no-audio-processing",
        action="store_true",
        help="send the microphone (or the room) unprocessed: no echo cancellation, noise suppression, gain control",
    )
    # For benchmarks/echo.py: only these stages (comma-separated of aec, ns, agc, hpf; empty for none).
    parser.add_argument("--audio-stages", help=argparse.SUPPRESS)


STAGES = {"aec": "echo_cancellation", "ns": "noise_suppression", "agc": "auto_gain_control", "hpf": "high_pass_filter"}


def processing_config(args: argparse.Namespace) -> AudioProcessingConfig:
    """Every stage, none (``--no-audio-processing``) or those of ``--audio-stages``; ValueError for a bad stage."""
    if args.no_audio_processing:
        return AudioProcessingConfig.off()
    if args.audio_stages is None:
        return AudioProcessingConfig()
    names = [name.strip() for name in args.audio_stages.split(",") if name.strip()]
    unknown = [name for name in names if name not in STAGES]
    if unknown:
        raise ValueError(f"--audio-stages: unknown stage {unknown[0]!r} (known: {', '.join(STAGES)})")
    return AudioProcessingConfig(**{field: key in names for key, field in STAGES.items()})


class _Counted(MediaStreamTrack):
    """A remote audio track read by the mixer, counted in the sender's stats as the session's own receiver would."""

    kind = "audio"

    def __init__(self, track: MediaStreamTrack, on_frame: Callable[[], None]) -> None:
        super().__init__()
        self._track = track
        self._on_frame = on_frame

    async def recv(self) -> av.AudioFrame:
        frame = await self._track.recv()
        self._on_frame()
        assert isinstance(frame, av.AudioFrame)
        return frame


class BotAudio:
    """The source, and for the room modes the mixer, the processor and the room, for one bot's call."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.mode: str = args.audio
        self.tone_hz: float = args.tone_hz
        config = processing_config(args)
        processed = self.mode in (*ROOM_MODES, "mic")
        self.processor = AudioProcessor(config) if processed else None
        self.room: RoomAcoustics | None = None
        self.mixer: AudioMixer | None = None
        self._output_power: dict[int, float] = {}  # what is sent
        self._canceller_power: dict[int, float] = {}  # before gain control (= what is sent when it is off)
        self._session: CallSession | None = None
        self._microphone: RoomMicrophone | None = None
        if self.mode in ROOM_MODES:
            self.room = RoomAcoustics(talker=self.mode == "room-sim-talk")
            self.mixer = AudioMixer(output=False, sink=self._played)

    def microphone(self) -> AudioSource | None:
        if self.mode == "synthetic":
            return SyntheticAudio(self.tone_hz)
        if self.mode == "voice":
            return SyntheticVoice()
        if self.mode == "mic":
            from nimeet_desktop.media.microphone import MicrophoneSource

            return MicrophoneSource()
        if self.room is not None:
            assert self.mixer is not None
            self._microphone = RoomMicrophone(self.room, speaker=self.mixer.pull)
            return self._microphone
        return None

    def audio_sink(self) -> Callable[[str, MediaStreamTrack], None] | None:
        """For the session: remote audio into the mixer (room modes), else None (the session counts it)."""
        return None if self.mixer is None else self._add_track

    def _add_track(self, socket_id: str, track: MediaStreamTrack) -> None:
        assert self.mixer is not None

        def counted() -> None:
            remote: RemoteParticipant | None = (
                None if self._session is None else self._session.participants.get(socket_id)
            )
            if remote is not None:
                remote.on_audio_frame()

        self.mixer.add(socket_id, _Counted(track, counted))

    def _played(self, samples: Samples) -> None:
        """The mixer's clock (the loop): the far end for the echo canceller, and into the room."""
        if self.processor is not None:
            self.processor.analyze_render(samples, self.mixer.output_delay_s if self.mixer else 0.0)
        if self.room is not None:
            self.room.play(samples)

    def start(self, session: CallSession) -> None:
        """The room's mixer is never started: the room's microphone pulls it (``RoomMicrophone``), one clock."""
        self._session = session

    def watch(self, broadcast: AudioBroadcast | None) -> None:
        """Keep the power of every processed block, for the room's figures."""
        if broadcast is not None and self.room is not None:
            broadcast.on_processed = self._processed

    def _processed(self, pts: int, samples: Samples) -> None:
        """The loop, right after the worker processed this block (one at a time, so ``before_gain`` is its)."""
        self._output_power[pts] = _power(samples)
        before_gain = None if self.processor is None else self.processor.before_gain
        self._canceller_power[pts] = _power(samples if before_gain is None else before_gain)

    def report(self, broadcast: AudioBroadcast | None) -> dict[str, Any] | None:
        """``audioProcessing`` of the report: None when the bot sends no processed audio."""
        if self.processor is None:
            return None
        stats = self.processor.stats()
        config = self.processor.config
        added = None if broadcast is None else broadcast.added_latency_ms()
        out: dict[str, Any] = {
            "stages": {
                "echoCancellation": config.echo_cancellation,
                "noiseSuppression": config.noise_suppression,
                "autoGainControl": config.auto_gain_control,
                "highPassFilter": config.high_pass_filter,
            },
            "nearFrames": stats.near_frames,
            "farFrames": stats.far_frames,
            "nearCpuMsPerFrame": _round(stats.near_cpu_ms_per_frame, 3),
            "farCpuMsPerFrame": _round(stats.far_cpu_ms_per_frame, 3),
            "streamDelayMs": stats.stream_delay_ms,
            "addedLatencyMs": added,
            "room": None,
        }
        if self.room is not None:
            # ERLE and noise reduction where they are defined, at the canceller's and suppressor's output; the
            # same figures of what is sent (gain control lifts what is left of the echo and the noise).
            out["room"] = echo_figures(self.room.log, self._canceller_power).as_json()
            out["room"]["droppedBlocks"] = self._microphone.dropped_blocks if self._microphone else 0
            out["roomSent"] = echo_figures(self.room.log, self._output_power).as_json()
        return out

    async def aclose(self) -> None:
        if self.mixer is not None:
            await self.mixer.aclose()


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _power(samples: Samples) -> float:
    as_float = samples.astype(np.float64)
    return float(np.mean(as_float * as_float))
