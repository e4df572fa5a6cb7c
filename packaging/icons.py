"""The app icon for installers, rendered at build time from ``nimeet_desktop/assets/icons/nimeet.svg`` (the one
source of the artwork): PNGs for the Linux hicolor theme, ``nimeet.ico`` for Windows, ``nimeet.icns`` for macOS.

Run by build_installer.spec in a child process (``python packaging/icons.py OUT``) on the build machine's PySide6,
offscreen. ICO and ICNS are written by hand with PNG payloads (both formats allow it): Pillow is not needed, and
Qt's ICO/ICNS writers are image-format plugins the bundle does not otherwise carry.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "nimeet_desktop" / "assets" / "icons" / "nimeet.svg"
HICOLOR_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)  # 256 is the largest an ICO entry can say
# ICNS element types that hold PNG data, by pixel size (Apple's "icns" format: ic07..ic10, icp4..icp6).
ICNS_TYPES = {16: b"icp4", 32: b"icp5", 64: b"icp6", 128: b"ic07", 256: b"ic08", 512: b"ic09", 1024: b"ic10"}


def render(sizes: tuple[int, ...], out: Path) -> dict[int, bytes]:
    """``nimeet.svg`` as ``out/nimeet-<size>.png`` at each size; their bytes."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(["icons"])
    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        raise SystemExit(f"icons.py: {SOURCE} is not a valid SVG")
    pngs: dict[int, bytes] = {}
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        path = out / f"nimeet-{size}.png"
        if not image.save(str(path)):
            raise SystemExit(f"icons.py: could not write {path}")
        pngs[size] = path.read_bytes()
    return pngs


def ico(pngs: dict[int, bytes]) -> bytes:
    """An ICO file: ICONDIR, one ICONDIRENTRY per image, then the PNG images themselves."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, images = b"", b""
    for size in sizes:
        data = pngs[size]
        side = 0 if size >= 256 else size  # 0 means 256 in an ICO entry
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset)
        images += data
        offset += len(data)
    return header + entries + images


def icns(pngs: dict[int, bytes]) -> bytes:
    """An ICNS file: the ``icns`` header and one (type, length, PNG) element per size."""
    body = b"".join(ICNS_TYPES[size] + struct.pack(">I", 8 + len(pngs[size])) + pngs[size] for size in sorted(pngs))
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("nimeet-*.png"):
        old.unlink()
    pngs = render(tuple(sorted({*HICOLOR_SIZES, *ICO_SIZES, *ICNS_TYPES})), out)
    for size in set(pngs) - set(HICOLOR_SIZES):
        (out / f"nimeet-{size}.png").unlink()  # only the hicolor theme's sizes stay as files (packaging/deb.py)
    (out / "nimeet.ico").write_bytes(ico({size: pngs[size] for size in ICO_SIZES}))
    (out / "nimeet.icns").write_bytes(icns({size: pngs[size] for size in ICNS_TYPES}))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
