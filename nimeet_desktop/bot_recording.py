"""``nimeet-bot --record FILE``: the bot records what it receives as the app would (``call/recording.py``): the grid
of everyone's video, the shared screen featured, and everything heard (the others and its own microphone), at the
bot's ``--fps``, in the container FILE's extension names (``.mp4``, ``.webm``, ``.mkv``).

The recording starts once the bot is in the room and stops before it leaves; a recording that fails (the disk full)
stops by itself, is told on stderr and in the report, and makes the bot exit 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from nimeet_desktop.call.recording import CallRecording
from nimeet_desktop.call.session import CallSession
from nimeet_desktop.media.audio_output import AudioMixer
from nimeet_desktop.media.recording.container import format_for
from nimeet_desktop.media.recording.recorder import RecordingError, RecordingResult


def check_arguments(args: argparse.Namespace) -> None:
    """ValueError for a FILE whose extension names no container we write."""
    if args.record is not None:
        format_for(Path(args.record))


class BotRecording:
    def __init__(self, recording: CallRecording, error: RecordingError | None) -> None:
        self.recording = recording
        self.error = error

    @classmethod
    def start(cls, args: argparse.Namespace, session: CallSession, mixer: AudioMixer | None) -> BotRecording | None:
        """``mixer``: the simulated room's, which reads the remote tracks in the room modes."""
        if args.record is None:
            return None
        path = Path(args.record)
        recording = CallRecording(session, path, fps=round(args.fps), on_stopped=_tell_stopped, mixer=mixer)
        error = recording.start()
        if error is not None:
            print(f"nimeet-bot: {error}", file=sys.stderr)
        return cls(recording, error)

    @property
    def failed(self) -> bool:
        return self.error is not None

    async def stop(self) -> dict[str, Any]:
        """Stops (if it has not stopped by itself) and returns the report's ``recording``."""
        result: RecordingResult = await self.recording.stop()
        self.error = self.error or result.error
        fmt = self.recording.recorder.file_format
        return {
            "path": str(result.path),
            "container": None if fmt is None else fmt.container,
            "videoCodec": None if fmt is None else fmt.video_codec,
            "audioCodec": None if fmt is None else fmt.audio_codec,
            "durationS": round(result.duration_s, 2),
            "videoFrames": result.video_frames,
            "bytes": result.bytes_written,
            "error": None if self.error is None else {"kind": self.error.kind, "message": self.error.message},
        }


def _tell_stopped(result: RecordingResult) -> None:
    if result.error is not None:
        print(f"nimeet-bot: {result.error}", file=sys.stderr)
