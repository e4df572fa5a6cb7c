"""packaging/icons.py: the installers' icons rendered from the app's SVG, in the formats Windows and macOS read."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_icons_are_rendered_for_the_hicolor_theme_windows_and_macos(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "icons.py"), str(tmp_path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    pngs = sorted(tmp_path.glob("nimeet-*.png"), key=lambda p: int(p.stem.split("-")[1]))
    assert [p.name for p in pngs] == [f"nimeet-{n}.png" for n in (16, 24, 32, 48, 64, 128, 256, 512)]
    for png in pngs:
        data = png.read_bytes()
        size = int(png.stem.split("-")[1])
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", data[16:24]) == (size, size)  # IHDR width, height

    ico = (tmp_path / "nimeet.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind, count) == (0, 1, 7)
    for i in range(count):
        width, _h, _c, _r, _planes, _bits, length, offset = struct.unpack("<BBBBHHII", ico[6 + 16 * i : 22 + 16 * i])
        assert ico[offset : offset + 8] == b"\x89PNG\r\n\x1a\n" and offset + length <= len(ico)
        assert struct.unpack(">I", ico[offset + 16 : offset + 20])[0] == (width or 256)

    icns = (tmp_path / "nimeet.icns").read_bytes()
    assert icns[:4] == b"icns" and struct.unpack(">I", icns[4:8])[0] == len(icns)
    types, at = [], 8
    while at < len(icns):
        kind_bytes, length = icns[at : at + 4], struct.unpack(">I", icns[at + 4 : at + 8])[0]
        assert icns[at + 8 : at + 16] == b"\x89PNG\r\n\x1a\n"
        types.append(kind_bytes)
        at += length
    assert at == len(icns)
    assert b"ic10" in types and b"ic07" in types  # 1024 px (512@2x) and 128 px
