"""packaging/prune.py on the real wheels' libraries (no build): FFmpeg bundled once, by PyAV, with OpenCV's copy
standing in for it only where its symbols allow; what only OpenCV's copy linked falls out; livekit's FFI library,
loaded by ctypes, stays; so do LiteRT's interpreter module, though its name carries no ABI tag, and its library.
tests/frozen/test_bundle.py checks the same on the built bundle, and that OpenCV still decodes a video through
PyAV's FFmpeg there."""

from __future__ import annotations

import os
import sys
from importlib.util import module_from_spec, spec_from_file_location
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="ELF libraries, readelf and nm: the Linux build")

ROOT = Path(__file__).resolve().parents[2]


def _load_prune() -> ModuleType:
    # By path, as build_installer.spec loads it: the folder is named like the PyPI library ``packaging``.
    spec = spec_from_file_location("nimeet_prune", ROOT / "packaging" / "prune.py")
    assert spec is not None and spec.loader is not None
    module = module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


prune = _load_prune()


def _site_packages() -> Path:
    import cv2

    return Path(cv2.__file__).resolve().parents[1]


def _entries(folder: str, kind: str = "BINARY") -> list[tuple[str, str, str]]:
    """PyInstaller's TOC entries for the files of a site-packages folder: (dest, source, typecode)."""
    base = _site_packages()
    return [
        (f"{folder}/{path.name}", str(path), kind)
        for path in sorted((base / folder).iterdir())
        if path.is_file() and ".so" in path.name
    ]


@pytest.fixture(scope="module")
def wheels() -> list[tuple[str, str, str]]:
    return [
        *_entries("cv2", "EXTENSION"),
        *_entries("av", "EXTENSION"),
        *_entries("opencv_python_headless.libs"),
        *_entries("av.libs"),
        *_entries("livekit/rtc/resources"),
    ]


def _shared(entries: list[tuple[str, str, str]]) -> dict[str, str]:
    return prune.shared_copies(  # type: ignore[no-any-return]
        entries, copy_folder="opencv_python_headless.libs", kept_folder="av.libs", names=prune.FFMPEG
    )


def test_opencvs_ffmpeg_is_pyavs_same_version(wheels: list[tuple[str, str, str]]) -> None:
    shared = _shared(wheels)
    assert {os.path.basename(copy).split("-")[0] for copy in shared} == set(prune.FFMPEG)
    for copy, kept in shared.items():
        assert kept.startswith("av.libs/")
        # Same library, same major.minor: 62.28.101 stands for 62.28.102, never 61.x for 62.x.
        assert copy.split("-")[0] == kept.split("-")[0].replace("av.libs", "opencv_python_headless.libs")
        assert copy.split(".so.")[1].rsplit(".", 1)[0] == kept.split(".so.")[1].rsplit(".", 1)[0]


def test_a_library_lacking_a_symbol_opencv_takes_is_not_a_stand_in(wheels: list[tuple[str, str, str]]) -> None:
    # PyAV's libavutil in place of its libavcodec: the same folder, name pattern and version numbers are not
    # enough; cv2 takes avcodec_* functions that libavutil does not define.
    av_codec = next(e for e in wheels if e[0].startswith("av.libs/libavcodec-"))
    av_util = next(e for e in wheels if e[0].startswith("av.libs/libavutil-"))
    forged = [e for e in wheels if e is not av_codec] + [(av_codec[0], av_util[1], "BINARY")]
    assert not any(os.path.basename(copy).startswith("libavcodec-") for copy in _shared(forged))
    cv2_module = next(e[1] for e in wheels if e[0].startswith("cv2/cv2"))
    opencv_codec = next(e[1] for e in wheels if e[0].startswith("opencv_python_headless.libs/libavcodec-"))
    assert "avcodec_open2" in prune.missing_symbols([cv2_module], opencv_codec, av_util[1])
    assert prune.missing_symbols([cv2_module], opencv_codec, av_codec[1]) == set()


def test_what_only_opencvs_ffmpeg_linked_falls_out_and_livekit_stays(wheels: list[tuple[str, str, str]]) -> None:
    shared = _shared(wheels)
    pruned = [e for e in wheels if e[0] not in shared] + prune.symlink_entries(shared)
    dropped = {os.path.basename(dest).split("-")[0] for dest in prune.unreachable(pruned)}
    # OpenCV's FFmpeg alone linked its libvpx 11 and OpenSSL 1.1; PyAV's FFmpeg has its own libvpx 12 and GnuTLS.
    assert {"libvpx", "libssl", "libcrypto"} <= dropped
    assert not dropped & {"liblivekit_ffi.so", "libavif", "libopenblasp", "libx265", "libgnutls"}
    # Without the stand-ins nothing of OpenCV's FFmpeg is unreachable: cv2 links all of it.
    assert not {os.path.basename(d).split("-")[0] for d in prune.unreachable(wheels)} & {"libavcodec", "libvpx"}
    for copy, target, kind in prune.symlink_entries(shared):
        assert kind == "SYMLINK" and target.startswith("../av.libs/lib")
        assert os.path.normpath(os.path.join(os.path.dirname(copy), target)) == shared[copy]


def test_litert_interpreter_module_and_its_library_stay() -> None:
    # As PyInstaller's analysis lists them: the module as an EXTENSION (named without an ABI tag: Bazel's build), the
    # 18 MB library it links as a BINARY. By file name alone the module looked like a plain library nothing linked.
    base = _site_packages() / "ai_edge_litert"
    module, library = "_pywrap_litert_interpreter_wrapper.so", "libpywrap_litert_common.so"
    assert library in prune.needed(str(base / module))
    entries = [
        (f"ai_edge_litert/{module}", str(base / module), "EXTENSION"),
        (f"ai_edge_litert/{library}", str(base / library), "BINARY"),
    ]
    assert prune.unreachable(entries) == set()
    # Once nothing loads the module, its library goes too.
    assert prune.unreachable(entries[1:]) == {f"ai_edge_litert/{library}"}
