"""``nimeet-bot --audio room-sim``: two real bot processes through the real server, one in the simulated room."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from nimeet_desktop import bot_audio
from nimeet_desktop.bot import build_parser
from nimeet_desktop.media.audio_processing import AudioProcessingConfig
from tests.call.test_bots import bot, finish
from tests.support.server import ServerProcess


def test_the_audio_flags_parse() -> None:
    args = build_parser().parse_args(["--create", "--audio", "room-sim-talk", "--no-audio-processing"])
    assert args.audio == "room-sim-talk"
    assert bot_audio.processing_config(args) == AudioProcessingConfig.off()
    default = build_parser().parse_args(["--create", "--audio", "room-sim"])
    assert bot_audio.processing_config(default) == AudioProcessingConfig()
    some = build_parser().parse_args(["--create", "--audio-stages", "aec,hpf"])
    assert bot_audio.processing_config(some) == AudioProcessingConfig(True, False, False, True)
    with pytest.raises(ValueError, match="unknown stage 'echo'"):
        bot_audio.processing_config(build_parser().parse_args(["--create", "--audio-stages", "echo"]))
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--create", "--audio", "room"])


def test_only_the_room_and_a_real_microphone_are_processed() -> None:
    for mode, processed, mixed in [
        ("synthetic", False, False),
        ("voice", False, False),
        ("none", False, False),
        ("room-sim", True, True),
        ("room-sim-talk", True, True),
    ]:
        audio = bot_audio.BotAudio(build_parser().parse_args(["--create", "--audio", mode]))
        assert (audio.processor is not None, audio.mixer is not None) == (processed, mixed), mode


async def test_a_bot_in_the_room_cancels_the_echo_of_the_other(call_server: ServerProcess, tmp_path: Path) -> None:
    """The far bot talks (the synthetic voice); the room bot plays it into its room and sends its processed
    microphone. Without the gain control: with no near-end talker to adapt to, it raises the residual echo
    (docs/architecture.md, "Audio processing"); benchmarks/echo.py shows both."""
    far = bot(call_server, "--create", "--resolution", "320x240", "--duration", "0", "--audio", "voice")
    assert far.stdout is not None
    line = await asyncio.to_thread(far.stdout.readline)
    assert line.startswith("room: "), line
    room = line.split()[1]
    report_path = tmp_path / "room.json"
    in_room = bot(
        call_server,
        f"--room={room}",
        "--resolution",
        "320x240",
        "--duration",
        "8",
        "--audio",
        "room-sim",
        "--audio-stages",
        "aec,ns,hpf",
        "--json",
        str(report_path),
    )
    try:
        await asyncio.to_thread(finish, in_room, 60)
    finally:
        far.terminate()
        await asyncio.to_thread(far.communicate, None, 30)
    report = json.loads(report_path.read_text())
    assert report["errors"] == []
    (peer,) = report["peers"]
    assert peer["audio"]["framesPerS"] >= 40, peer  # the far end's audio reached the room bot's mixer
    assert report["sent"]["audio"]["framesPerS"] >= 45
    processing = report["audioProcessing"]
    assert processing["stages"] == {
        "echoCancellation": True,
        "noiseSuppression": True,
        "autoGainControl": False,
        "highPassFilter": True,
    }
    room_figures = processing["room"]
    assert room_figures["erleDb"] is not None and room_figures["erleDb"] >= 15, room_figures
    assert processing["nearCpuMsPerFrame"] < 5 and processing["farCpuMsPerFrame"] < 5
    assert processing["addedLatencyMs"]["worker"]["p50"] < 10
