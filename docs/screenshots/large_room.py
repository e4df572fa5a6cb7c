"""The app in a large room through the SFU, as a person sees it: ``docs/screenshots/call-sfu-11[-ru].png``.

A real Janus in a network namespace of its own (``tests/support/janus.py``: needs root, ``ip netns`` and Debian's
``janus``), the real server with ``NIMEET_JANUS_URL``, ten ``nimeet-bot`` processes (160x120 at 10 fps, a tone each,
run at a lower CPU priority so that the app gets its share of a 2-core machine) and the app itself under Xvfb,
signed in from the environment and joining at once (``--join-now``). After ``--settle`` seconds the whole screen is
captured (``xwd``, converted with PyAV) and the app's ``--stats`` lines are summed up: each tile's decoded frame
rate, the two people on the grid's second page at 0 (their video paused by ``sfu-view``).

    sudo .venv/bin/python docs/screenshots/large_room.py [--language ru] [--out DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # run as a script from anywhere: the packages live at the repository root
    sys.path.insert(0, str(REPO))

import av  # noqa: E402

from tests.support.clients import Api  # noqa: E402
from tests.support.janus import janus_process  # noqa: E402
from tests.support.server import ServerProcess  # noqa: E402

PASSWORD = "correct horse battery"
DISPLAY = ":77"


def xwd_to_png(source: Path, target: Path) -> None:
    with av.open(str(source)) as capture:
        frame = next(capture.decode(video=0))
    with av.open(str(target), "w", format="image2") as out:
        stream = out.add_stream("png", rate=1)
        stream.width, stream.height, stream.pix_fmt = frame.width, frame.height, "rgb24"
        for packet in stream.encode(frame.reformat(format="rgb24")):
            out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


async def main(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="nimeet-large-room-"))
    suffix = "" if args.language == "en" else f"-{args.language}"
    with janus_process(tmp / "janus", media=True) as janus:
        janus_at = janus.instance
        assert janus_at.media_address is not None
        env = {"NIMEET_JANUS_URL": janus_at.url, "NIMEET_JANUS_ADMIN_KEY": janus_at.admin_key}
        server = ServerProcess(tmp / "data", "", env)
        url = server.start()
        api = Api(url)
        bots: list[subprocess.Popen[bytes]] = []
        xvfb = app = None
        try:
            owner = await api.register("ada", password=PASSWORD)
            room = await api.create_room(owner["token"], maxParticipants=20, name=args.room_name)
            for index in range(args.bots):
                bots.append(
                    subprocess.Popen(
                        # niced: a real participant's machine runs only the app; the others are elsewhere
                        ["nice", "-n", "15", sys.executable, "-m", "nimeet_desktop.bot", "--server", url, "--register",
                         "--username", f"guest{index + 1:02d}", f"--room={room['roomId']}",
                         "--ice-host", janus_at.media_address, "--resolution", "160x120", "--fps", "10",
                         "--duration", str(args.settle + 60)],
                        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    )
                )  # fmt: skip
            home = tmp / "home"
            home.mkdir()
            app_env = {
                **os.environ,
                "HOME": str(home),
                "XDG_CONFIG_HOME": str(home / ".config"),
                "XDG_DATA_HOME": str(home / ".local" / "share"),
                "XDG_STATE_HOME": str(home / ".local" / "state"),
                "DISPLAY": DISPLAY,
                "QT_QPA_PLATFORM": "xcb",
                "NIMEET_EMAIL": "ada@example.test",
                "NIMEET_PASSWORD": PASSWORD,
            }
            xvfb = subprocess.Popen(["Xvfb", DISPLAY, "-screen", "0", "1100x720x24"], stderr=subprocess.DEVNULL)
            await asyncio.sleep(1.0)
            stats = tmp / "stats.jsonl"
            app = subprocess.Popen(
                [
                    str(Path(sys.executable).with_name("nimeet")),
                    "--server",
                    url,
                    "--no-local-server",
                    "--synthetic-media",
                    "--join-now",
                    "--ice-host",
                    janus_at.media_address,
                    "--stats",
                    str(stats),
                    "--language",
                    args.language,
                    room["roomId"],
                ],
                env=app_env,
                cwd=REPO,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            await asyncio.sleep(args.settle)
            capture = tmp / "screen.xwd"
            with capture.open("wb") as out:
                subprocess.run(["xwd", "-root", "-display", DISPLAY], stdout=out, check=True)
            target = args.out / f"call-sfu-11{suffix}.png"
            xwd_to_png(capture, target)
            lines = [json.loads(line) for line in stats.read_text().splitlines() if line.strip()]
            last = lines[-5:]
            print(f"wrote {target}")
            for tile in sorted({t["username"] for line in last for t in line["tiles"]}):
                rates = [t["decodedFps"] for line in last for t in line["tiles"] if t["username"] == tile]
                print(f"  {tile}: {sum(rates) / len(rates):.1f} fps decoded over the last {len(last)} s")
        finally:
            for process in [app, *bots]:
                if process is not None:
                    process.terminate()
            for process in [app, *bots]:
                if process is not None:
                    process.wait(30)
            if xvfb is not None:
                xvfb.terminate()
            server.stop()
            await api.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--language", choices=["en", "ru"], default="en")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--bots", type=int, default=10)
    parser.add_argument("--settle", type=float, default=40.0, help="seconds from the app's start to the capture")
    parser.add_argument("--room-name", default="All hands")
    asyncio.run(main(parser.parse_args()))
