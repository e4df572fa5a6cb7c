#!/usr/bin/env python3
"""Echo: two ``nimeet-bot`` processes in a call through the real server on loopback, one of them in a simulated room.

Bot A (the far end) sends ``--audio voice``: a speech-like synthetic talker (harmonics of a gliding pitch through
changing formants, syllables, phrases and pauses). A pure tone would be a poor test: a canceller that adapts at one
frequency looks perfect on it, and a noise suppressor may remove it as if it were noise. Bot B is in the room
(``--audio room-sim``, docs/bot-report.md): what it plays comes back into its microphone 120 ms later, 10 dB down,
reverberant (RT60 300 ms), over pink noise at -45 dBFS. Each case is one call, with B's processing on (every
stage), on without the gain control, and off:

    room-sim       ERLE (echo in / out over blocks of echo alone) once converged; converged: the end of the first
                   0.5 s window (counted from the first echo) whose ERLE reaches 25 dB; the worst window from
                   then on (the leaks an average hides); background noise reduction (noise-alone blocks). These
                   are measured where they are defined, at the output of the canceller and the suppressor, before
                   gain control (a module of its own, last, as inside WebRTC's); "as sent" the same after it
    room-sim-talk  B's near-end talker (its tone, 1 s on, 1 s off): output level with the far end silent and
                   during double talk

and in every call B's CPU per 10 ms frame (near end, far end), the delay processing adds to its send path, and the
video frame rates B receives and sends (which must stay full). The figures are B's own report
(``audioProcessing``, docs/bot-report.md).

Example:
    .venv/bin/python benchmarks/echo.py --duration 12
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from _call_common import BotProcess, cleanup, machine_line, server_running, verdict

ERLE_TARGET_DB = 25.0
CONVERGE_TARGET_S = 2.0
DOUBLE_TALK_TARGET_DB = 6.0
NOISE_TARGET_DB = 10.0
ADDED_LATENCY_TARGET_MS = 10.0

CASES = {"on": [], "on, no AGC": ["--audio-stages", "aec,ns,hpf"], "off": ["--no-audio-processing"]}


def one_call(name: str, workdir: Path, url: str, mode: str, processing: list[str], args: argparse.Namespace) -> Any:
    video = ["--video", "synthetic", "--resolution", args.resolution, "--fps", str(args.fps)]
    a = BotProcess(f"{name}-far", workdir, url, ["--create", "--duration", "0", "--audio", "voice", *video])
    bots = [a]
    with cleanup(bots):
        room = a.room_id()
        b = BotProcess(
            f"{name}-room",
            workdir,
            url,
            [f"--room={room}", "--duration", str(args.duration), "--audio", mode, *processing, *video],
        )
        bots.append(b)
        b.wait(args.duration + 60)
        a.stop()
        return b.report()


def fmt(value: float | None, unit: str = "", digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}{unit}"


def _sent_pair(figures: dict[str, Any]) -> str:
    return f"{fmt(figures['erleDb'])}/{fmt(figures['noiseReductionDb'], ' dB')}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=float, default=12.0, help="seconds of each call (default %(default)s)")
    p.add_argument("--resolution", default="640x360", help="synthetic video WxH (default %(default)s)")
    p.add_argument("--fps", type=float, default=30.0)
    args = p.parse_args(argv)

    print(machine_line())
    print(f"far end: --audio voice; room bot: {args.duration:g} s per call, video {args.resolution}@{args.fps:g}")
    reports: dict[tuple[str, str], Any] = {}
    with tempfile.TemporaryDirectory(prefix="nimeet-echo-") as tmp, server_running(Path(tmp)) as server:
        for mode in ("room-sim", "room-sim-talk"):
            for case, flags in CASES.items():
                name = f"{mode}-{case.replace(', ', '-').replace(' ', '')}"
                reports[(mode, case)] = one_call(name, Path(tmp), server.url, mode, flags, args)
                print(f"  {mode}, processing {case}: done", flush=True)
    print(machine_line())

    def room(mode: str, case: str) -> dict[str, Any]:
        figures: dict[str, Any] = reports[(mode, case)]["audioProcessing"]["room"]
        return figures

    def sent(mode: str, case: str) -> dict[str, Any]:
        figures: dict[str, Any] = reports[(mode, case)]["audioProcessing"]["roomSent"]
        return figures

    def processing(mode: str, case: str) -> dict[str, Any]:
        result: dict[str, Any] = reports[(mode, case)]["audioProcessing"]
        return result

    rows: list[tuple[str, list[str]]] = [
        ("ERLE once converged (room-sim)", [fmt(room("room-sim", c)["erleDb"], " dB") for c in CASES]),
        ("time until ERLE first >= 25 dB", [fmt(room("room-sim", c)["convergedAfterS"], " s") for c in CASES]),
        ("  worst 0.5 s window from then", [fmt(room("room-sim", c)["worstWindowDb"], " dB") for c in CASES]),
        ("background noise reduction", [fmt(room("room-sim", c)["noiseReductionDb"], " dB") for c in CASES]),
        ("  as sent, after gain control", [fmt(sent("room-sim", c)["erleDb"], " dB") for c in CASES]),
        ("  noise reduction as sent", [fmt(sent("room-sim", c)["noiseReductionDb"], " dB") for c in CASES]),
        ("ERLE once converged (room-sim-talk)", [fmt(room("room-sim-talk", c)["erleDb"], " dB") for c in CASES]),
        ("  converged after (room-sim-talk)", [fmt(room("room-sim-talk", c)["convergedAfterS"], " s") for c in CASES]),
        ("noise reduction (room-sim-talk)", [fmt(room("room-sim-talk", c)["noiseReductionDb"], " dB") for c in CASES]),
        ("  ERLE / noise reduction as sent (room-sim-talk)", [_sent_pair(sent("room-sim-talk", c)) for c in CASES]),
        ("near end alone (room-sim-talk)", [fmt(room("room-sim-talk", c)["nearAloneDbfs"], " dBFS") for c in CASES]),
        ("near end in double talk", [fmt(room("room-sim-talk", c)["nearDoubleTalkDbfs"], " dBFS") for c in CASES]),
        ("  change in double talk", [fmt(room("room-sim-talk", c)["doubleTalkChangeDb"], " dB") for c in CASES]),
    ]
    for mode in ("room-sim", "room-sim-talk"):
        rows.append(
            (f"CPU per 10 ms frame, near/far ({mode})", [_cpu(processing(mode, c)) for c in CASES]),
        )
        rows.append((f"send path added, p50/p99/max ({mode})", [_added(processing(mode, c), "total") for c in CASES]))
        rows.append((f"  of which the worker ({mode})", [_added(processing(mode, c), "worker") for c in CASES]))
        rows.append((f"video fps received/sent ({mode})", [_video(reports[(mode, c)]) for c in CASES]))
        rows.append((f"  room blocks dropped ({mode})", [str(room(mode, c)["droppedBlocks"]) for c in CASES]))
    width = max(len(label) for label, _ in rows)
    print(f"{'':{width}}  " + "".join(f"{case:>22}" for case in CASES))
    for label, values in rows:
        print(f"{label:{width}}  " + "".join(f"{value:>22}" for value in values))

    on = room("room-sim", "on")
    on_talk = room("room-sim-talk", "on")
    checks = {
        f"ERLE >= {ERLE_TARGET_DB:.0f} dB once converged": (on["erleDb"] or 0) >= ERLE_TARGET_DB,
        f"converged within {CONVERGE_TARGET_S:.0f} s": on["convergedAfterS"] is not None
        and on["convergedAfterS"] <= CONVERGE_TARGET_S,
        f"near end within {DOUBLE_TALK_TARGET_DB:.0f} dB in double talk": on_talk["doubleTalkChangeDb"] is not None
        and abs(on_talk["doubleTalkChangeDb"]) <= DOUBLE_TALK_TARGET_DB,
        f"noise reduced >= {NOISE_TARGET_DB:.0f} dB": (on["noiseReductionDb"] or 0) >= NOISE_TARGET_DB,
        f"send path added <= {ADDED_LATENCY_TARGET_MS:.0f} ms (p99)": all(
            processing(m, "on")["addedLatencyMs"] is not None
            and processing(m, "on")["addedLatencyMs"]["total"]["p99"] <= ADDED_LATENCY_TARGET_MS
            for m in ("room-sim", "room-sim-talk")
        ),
    }
    print("with every stage on:")
    for label, ok in checks.items():
        print(f"  {label}: {verdict(ok)}")
    return 0 if all(checks.values()) else 1


def _cpu(processing: dict[str, Any]) -> str:
    return f"{fmt(processing['nearCpuMsPerFrame'], '', 3)}/{fmt(processing['farCpuMsPerFrame'], ' ms', 3)}"


def _added(processing: dict[str, Any], part: str) -> str:
    added = processing["addedLatencyMs"]
    if added is None:
        return "n/a"
    return f"{added[part]['p50']:.1f}/{added[part]['p99']:.1f}/{added[part]['max']:.1f} ms"


def _video(report: dict[str, Any]) -> str:
    peers = report["peers"]
    received = peers[0]["video"]["fps"] if peers else None
    sent = report["sent"]["video"]["fps"] if report["sent"]["video"] else None
    return f"{fmt(received)}/{fmt(sent)}"


if __name__ == "__main__":
    sys.exit(main())
