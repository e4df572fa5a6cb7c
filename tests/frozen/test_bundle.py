"""The installers, as built: ``python -m PyInstaller build_installer.spec`` once for this module (into a temporary
dist/work path), then, all frozen: ``nimeet --smoke-test`` (with the native libraries loaded late: livekit's audio
processing, pynput's X11 backend on Xvfb, one background segmentation on LiteRT); ``nimeet-server`` answering
``/healthz``; two ``nimeet-bot`` processes in one call through it exchanging video and audio at full rate, and one
sending a video file that OpenCV decodes with PyAV's FFmpeg (the bundle carries one FFmpeg, packaging/prune.py); the
.deb's fields and contents; the .deb installed into a scratch root with dpkg, its ``nimeet --smoke-test`` run there,
and removed.

PyInstaller is a dev dependency: without it the build fails, and so does this module (it never skips). The build
takes about a minute and a half here; the .deb is written uncompressed (``NIMEET_DEB_COMPRESSION=none``, see
packaging/deb.py), since xz alone would take minutes and changes nothing this checks.
``NIMEET_FROZEN_DIST=<distpath>`` reuses a finished build instead (local reruns, benchmarks/bundle_budget.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.media.conftest import start_xvfb
from tests.media.test_microphone import ASOUNDRC
from tests.support.server import ServerProcess
from tests.test_smoke_native_libraries import AUDIO_PROCESSING, ENGINE_LOOP, NO_DISPLAY, XORG, native_line
from tests.test_smoke_test import check_passes, smoke

pytestmark = [
    pytest.mark.skipif(sys.platform != "linux", reason="the Linux bundle and .deb; CI builds the others"),
    # The first test pays for the module's build (pytest-timeout counts fixture set-up): minutes, not seconds.
    pytest.mark.timeout(900),
]

ROOT = Path(__file__).resolve().parents[2]
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
BUILD_TIMEOUT_S = 900
PYINSTALLER = [sys.executable, "-m", "PyInstaller", "build_installer.spec", "--noconfirm", "--log-level", "WARN"]
BOT_ENV = {"NIMEET_ICE_HOSTS": "127.0.0.1"}
# The smoke test's segmentation line (ui/smoke_test.py check_background_segmentation): the bundle must blur on LiteRT,
# not fall back to OpenCV's DNN because a library of LiteRT's was left out (packaging/prune.py once dropped both).
LITERT_SEGMENTATION = "background segmentation: LiteRT 2."


def segmentation_line(stdout: str) -> str:
    (line,) = [line for line in stdout.splitlines() if line.startswith("background segmentation: ")]
    return line


def build(dist: Path, work: Path) -> float:
    """Build the spec into ``dist``; the seconds it took."""
    started = time.monotonic()
    done = subprocess.run(
        [*PYINSTALLER, "--distpath", str(dist), "--workpath", str(work)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        env={**os.environ, "NIMEET_DEB_COMPRESSION": "none"},
    )
    assert done.returncode == 0, f"the spec did not build:\n{done.stderr[-5000:]}"
    return time.monotonic() - started


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    reuse = os.environ.get("NIMEET_FROZEN_DIST")
    if reuse:
        yield Path(reuse)
        return
    out, work = tmp_path_factory.mktemp("dist"), tmp_path_factory.mktemp("work")
    try:
        seconds = build(out, work)
        print(f"\nbuild_installer.spec built in {seconds:.0f} s")
        yield out
    finally:
        # About 1.5 GB (the bundle, the uncompressed .deb, PyInstaller's work files): not kept with pytest's temp dirs.
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def bundle(dist: Path) -> Path:
    return dist / "nimeet"


@pytest.fixture(scope="module")
def deb(dist: Path) -> Path:
    return dist / f"nimeet_{VERSION}_amd64.deb"


@pytest.fixture(scope="module")
def frozen_server(bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = ServerProcess(tmp_path_factory.mktemp("server-data"), python=str(bundle / "nimeet-server"), entry=())
    server.start(timeout=60)
    try:
        yield server
    finally:
        server.stop_gracefully()


def test_the_bundle_holds_three_programs_sharing_one_library_folder(bundle: Path) -> None:
    programs = sorted(p.name for p in bundle.iterdir() if p.is_file())
    assert programs == ["nimeet", "nimeet-bot", "nimeet-server"]
    assert all(os.access(bundle / p, os.X_OK) for p in programs)
    internal = bundle / "_internal"
    # The modules are shared .pyc files (noarchive), so the three executables are just the bootloader and a script.
    assert all((bundle / p).stat().st_size < 5_000_000 for p in programs)
    assert (internal / "nimeet_desktop" / "assets" / "icons" / "nimeet.svg").is_file()
    assert (internal / "nimeet_desktop" / "translations" / "nimeet_ru.qm").is_file()
    assert (internal / "nimeet_desktop" / "translations" / "nimeet_en.qm").is_file()
    assert (internal / "signaling_server" / "db" / "migrations" / "env.py").is_file()
    assert not list(internal.rglob("libgtk-3*")), "the GTK theme plugin's stack is bundled again"
    # The system's libraries are the system's (the .deb depends on them), not copies from the build machine.
    assert not [
        p.name for p in internal.glob("lib*.so*") if p.name.startswith(("libX11", "libxcb-cursor", "libssl.so"))
    ]


def test_the_bundle_carries_the_native_libraries_of_issue_12(bundle: Path) -> None:
    internal = bundle / "_internal"
    # Where livekit's _ffi_client.py looks (importlib.resources of livekit.rtc.resources), and the licences.
    assert (internal / "livekit" / "rtc" / "resources" / "liblivekit_ffi.so").stat().st_size > 20_000_000
    assert (internal / "livekit" / "rtc" / "resources" / "LICENSE.md").is_file()
    for backend in ("keyboard/_xorg", "keyboard/_uinput", "keyboard/_dummy", "mouse/_xorg"):
        assert list((internal / "pynput").glob(f"{backend}.*")), backend
    assert list((internal / "Xlib" / "ext").glob("record.*"))  # python-xlib's extensions, loaded by name


def test_the_bundle_carries_background_blurs_model_and_litert_interpreter_only(bundle: Path) -> None:
    internal = bundle / "_internal"
    # Where media/background.py looks (MODEL_PATH, beside its package), with the model's licence.
    models = internal / "nimeet_desktop" / "assets" / "models"
    assert (models / "selfie_segmentation_landscape.tflite").stat().st_size > 200_000
    assert (models / "LICENSE-mediapipe").is_file()
    # Of LiteRT's libraries, what its interpreter loads: its module and the library that links (not libLiteRt.so,
    # the WebGPU accelerator, the converter...: build_installer.spec says why).
    litert = {p.name for p in (internal / "ai_edge_litert").iterdir() if ".so" in p.name}
    assert litert == {"_pywrap_litert_interpreter_wrapper.so", "libpywrap_litert_common.so"}
    assert not [p.name for p in (internal / "ai_edge_litert").iterdir() if p.is_dir()]  # no aot, tools, vendors


def test_opencvs_ffmpeg_is_pyavs(bundle: Path) -> None:
    opencv = bundle / "_internal" / "opencv_python_headless.libs"
    links = {p.name.split("-")[0]: os.readlink(p) for p in opencv.iterdir() if p.is_symlink()}
    # The four cv2 links; its libswresample only OpenCV's own libavcodec linked.
    assert set(links) == {"libavcodec", "libavformat", "libavutil", "libswscale"}
    assert all(target.startswith("../av.libs/") and (opencv / target).is_file() for target in links.values())
    # What only OpenCV's own FFmpeg linked went with it: its libvpx 11 and OpenSSL 1.1.
    gone = ("libvpx", "libssl", "libcrypto", "libswresample")
    assert not [p.name for p in opencv.iterdir() if p.name.startswith(gone)]


def test_frozen_smoke_test_passes_with_a_clean_stderr(bundle: Path) -> None:
    done = smoke(command=[str(bundle / "nimeet"), "--smoke-test"])
    check_passes(done)
    line = native_line(done.stdout)
    assert line.startswith(f"native libraries: {AUDIO_PROCESSING}") and line.endswith(NO_DISPLAY), line
    assert f"; {ENGINE_LOOP}; " in line, line
    assert segmentation_line(done.stdout).startswith(LITERT_SEGMENTATION), done.stdout


def test_the_frozen_bot_lists_sound_devices_for_the_apps_hot_plug_watch(bundle: Path, tmp_path: Path) -> None:
    """A bundle has no Python to run ``media/audio_lister.py`` with: the app's device watch runs the bundled
    ``nimeet-bot --list-audio-devices`` instead, which must print the lists a fresh PortAudio sees (here an ALSA
    device defined in the .asoundrc of its HOME) and nothing of the bot."""
    (tmp_path / ".asoundrc").write_text(ASOUNDRC)
    started = time.monotonic()
    done = subprocess.run(
        [str(bundle / "nimeet-bot"), "--list-audio-devices"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HOME": str(tmp_path)},
        check=True,
    )
    elapsed = time.monotonic() - started
    found = json.loads(done.stdout)
    assert "nimeet_null" in found["microphones"] and "nimeet_null" in found["speakers"], found
    print(f"frozen lister: {elapsed:.2f} s")


def _healthz(url: str) -> int:
    with urllib.request.urlopen(f"{url}/healthz", timeout=10) as response:  # noqa: S310 (loopback)
        assert json.loads(response.read())["status"] == "ok"
        return int(response.status)


def test_frozen_smoke_test_on_a_real_x_server(bundle: Path) -> None:
    # The same walk through Qt's xcb plugin on Xvfb: the plugin the bundle ships, with the system's X libraries
    # (the .deb's Depends) instead of copies from the build machine.
    xvfb = start_xvfb(1280, 800)
    try:
        env = {"DISPLAY": xvfb.display, "NIMEET_SMOKE_TEST_PLATFORM": "xcb"}
        done = smoke(env, command=[str(bundle / "nimeet"), "--smoke-test"])
        check_passes(done)
        # With a display, push-to-talk's X11 backend loads too (pynput picks it by name, through python-xlib).
        line = native_line(done.stdout)
        assert line.startswith(f"native libraries: {AUDIO_PROCESSING}") and line.endswith(XORG), line
    finally:
        xvfb.stop()


def test_frozen_server_answers_healthz(frozen_server: ServerProcess) -> None:
    assert _healthz(frozen_server.url) == 200


def _bot(bundle: Path, server: ServerProcess, *args: str) -> subprocess.Popen[str]:
    command = [str(bundle / "nimeet-bot"), "--server", server.url, "--register", *args]
    env = {**os.environ, **BOT_ENV}
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _finish(proc: subprocess.Popen[str]) -> str:
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == 0, f"bot exited {proc.returncode}:\n{err[-3000:]}"
    return out


async def test_two_frozen_bots_exchange_video_and_audio_at_full_rate(
    bundle: Path, frozen_server: ServerProcess, tmp_path: Path
) -> None:
    # The thresholds of tests/call/test_bots.py: 25 of 30 video frames a second, 45 of 50 audio frames.
    first = _bot(
        bundle,
        frozen_server,
        "--create",
        "--resolution",
        "320x240",
        "--duration",
        "8",
        "--json",
        str(tmp_path / "0.json"),
    )
    assert first.stdout is not None
    line = await asyncio.to_thread(first.stdout.readline)
    assert line.startswith("room: "), line
    room = line.split()[1]
    second = _bot(
        bundle,
        frozen_server,
        f"--room={room}",
        "--resolution",
        "320x240",
        "--duration",
        "6",
        "--json",
        str(tmp_path / "1.json"),
    )
    outputs = [await asyncio.to_thread(_finish, proc) for proc in (first, second)]
    for i, out in enumerate(outputs):
        assert out.strip().splitlines()[-1].startswith("bot: 1 peers, min video fps"), out
        report = json.loads((tmp_path / f"{i}.json").read_text())
        assert report["roomId"] == room and report["errors"] == []
        assert report["sent"]["video"]["codec"] == "VP8"
        (peer,) = report["peers"]
        assert peer["video"]["fps"] >= 25, peer
        assert (peer["video"]["width"], peer["video"]["height"]) == (320, 240)
        assert peer["audio"]["framesPerS"] >= 45, peer
        assert peer["bytesReceived"] > 0


def _write_clip(path: Path, width: int, height: int, seconds: int, fps: int = 30) -> Path:
    """MPEG-4 Part 2 in MP4: only FFmpeg reads it among OpenCV's backends (its own reader takes MJPEG AVI only)."""
    import av
    import numpy as np

    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index in range(seconds * fps):
            image = np.zeros((height, width, 3), np.uint8)
            image[:, : (index * 7) % width] = (0, 128, 255)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


async def test_a_frozen_bot_sends_a_video_file_opencv_decodes_with_pyavs_ffmpeg(
    bundle: Path, frozen_server: ServerProcess, tmp_path: Path
) -> None:
    # A file as the camera goes through cv2.VideoCapture's FFmpeg backend: in the bundle OpenCV's FFmpeg is links
    # to PyAV's (test_opencvs_ffmpeg_is_pyavs), so this is OpenCV working on the other build of the same release.
    clip = _write_clip(tmp_path / "clip.mp4", 320, 240, seconds=10)
    camera = ["--video", "camera", "--camera-device", str(clip), "--resolution", "320x240"]
    sender = _bot(bundle, frozen_server, "--create", *camera, "--duration", "7", "--json", str(tmp_path / "s.json"))
    assert sender.stdout is not None
    line = await asyncio.to_thread(sender.stdout.readline)
    assert line.startswith("room: "), line
    room = line.split()[1]
    receiver = _bot(bundle, frozen_server, f"--room={room}", "--duration", "5", "--json", str(tmp_path / "r.json"))
    for proc in (sender, receiver):
        await asyncio.to_thread(_finish, proc)
    sent = json.loads((tmp_path / "s.json").read_text())
    assert sent["errors"] == [], sent["errors"]
    (peer,) = json.loads((tmp_path / "r.json").read_text())["peers"]
    assert peer["video"]["fps"] >= 25, peer
    assert (peer["video"]["width"], peer["video"]["height"]) == (320, 240)


def _deb_fields(deb: Path) -> dict[str, str]:
    done = subprocess.run(["dpkg-deb", "-f", str(deb)], capture_output=True, text=True, check=True)
    fields: dict[str, str] = {}
    for line in done.stdout.splitlines():
        if line and not line.startswith(" "):
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def test_the_deb_says_what_it_is_and_what_it_needs(deb: Path) -> None:
    info = subprocess.run(["dpkg-deb", "-I", str(deb)], capture_output=True, text=True, check=True).stdout
    assert " postinst" in info and " postrm" in info
    fields = _deb_fields(deb)
    assert (fields["Package"], fields["Version"], fields["Architecture"]) == ("nimeet", VERSION, "amd64")
    depends = {name.strip() for name in fields["Depends"].split(",")}
    # What Qt's xcb plugin, OpenGL, fonts and sounddevice load from the system (nimeet_desktop/qt_preflight.py).
    needed = {"libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "libxkbcommon-x11-0", "libportaudio2"}
    needed |= {"libfontconfig1", "libegl1", "libgl1", "libx11-xcb1", "libdbus-1-3"}
    assert needed <= depends, needed - depends
    assert int(fields["Installed-Size"]) > 100_000  # KiB


def test_the_deb_installs_programs_links_desktop_entry_and_icons(deb: Path) -> None:
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    entries = {line.split()[5]: line for line in listing.splitlines()}
    for program in ("nimeet", "nimeet-server", "nimeet-bot"):
        assert entries[f"./opt/nimeet/{program}"].startswith("-rwxr-xr-x root/root")
        assert entries[f"./usr/bin/{program}"].endswith(f"./usr/bin/{program} -> /opt/nimeet/{program}")
    assert "./usr/share/applications/nimeet.desktop" in entries
    assert "./usr/share/icons/hicolor/scalable/apps/nimeet.svg" in entries
    assert "./usr/share/icons/hicolor/256x256/apps/nimeet.png" in entries
    assert "./usr/share/icons/hicolor/48x48/apps/nimeet.png" in entries
    # The one FFmpeg: OpenCV's names stay symbolic links in the package (dpkg-deb -c prints "name -> target").
    opencv_links = [line for path, line in entries.items() if "/opencv_python_headless.libs/libavcodec-" in path]
    assert (
        len(opencv_links) == 1 and opencv_links[0].startswith("l") and " -> ../av.libs/libavcodec-" in opencv_links[0]
    )


@pytest.fixture(scope="module")
def installed(deb: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The .deb installed by dpkg into a scratch root (its own package database; maintainer scripts run with
    DPKG_ROOT pointing there); removed again at the end, which must leave nothing of the package behind."""
    root = tmp_path_factory.mktemp("root")
    for sub in ("var/lib/dpkg/info", "var/lib/dpkg/updates", "var/log"):
        (root / sub).mkdir(parents=True)
    (root / "var/lib/dpkg/status").touch()
    dpkg = ["dpkg", f"--root={root}", "--force-not-root", "--force-script-chrootless", "--force-depends"]
    done = subprocess.run([*dpkg, "-i", str(deb)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    yield root
    done = subprocess.run([*dpkg, "--purge", "nimeet"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert not (root / "opt/nimeet").exists()
    assert not (root / "usr/bin/nimeet").is_symlink()


def test_the_installed_package_passes_the_smoke_test(installed: Path) -> None:
    program = installed / "opt/nimeet/nimeet"
    assert os.readlink(installed / "usr/bin/nimeet") == "/opt/nimeet/nimeet"
    done = smoke(command=[str(program), "--smoke-test"])
    check_passes(done)
    assert native_line(done.stdout).startswith(f"native libraries: {AUDIO_PROCESSING}")
    assert segmentation_line(done.stdout).startswith(LITERT_SEGMENTATION), done.stdout
    desktop = (installed / "usr/share/applications/nimeet.desktop").read_text(encoding="utf-8")
    assert "MimeType=x-scheme-handler/nimeet;" in desktop.splitlines()
    assert "Exec=/usr/bin/nimeet %u" in desktop.splitlines()
    status = (installed / "var/lib/dpkg/status").read_text(encoding="utf-8")
    assert "Package: nimeet\nStatus: install ok installed" in status


@pytest.mark.skipif(shutil.which("gtk-update-icon-cache") is None, reason="postinst refreshes only what is there")
def test_the_postinst_refreshed_the_icon_cache_inside_the_root(installed: Path) -> None:
    assert (installed / "usr/share/icons/hicolor/icon-theme.cache").is_file()


async def test_the_frozen_app_starts_its_sibling_nimeet_server(
    bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the bootloader sets in the frozen app: sys.frozen, and sys.executable = the nimeet program itself (which
    # `-m signaling_server` would start a second app of). LocalServer must start the bundle's nimeet-server instead.
    from nimeet_desktop.local_server import LocalServer

    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(bundle / "nimeet"))
    server = LocalServer(port=0, data_dir=tmp_path / "data")
    url = await server.start()
    try:
        assert server.pid is not None
        assert os.readlink(f"/proc/{server.pid}/exe") == str((bundle / "nimeet-server").resolve())
        assert await asyncio.to_thread(_healthz, url) == 200
    finally:
        await server.stop()
