"""Render what sharing one window looks like, on a private X server (Xvfb), into docs/screenshots:

* ``share-window-sent.png``: the frame the others receive: the window alone (not the desktop around it), the mouse
  pointer drawn in, the presenter's camera (the blur tests' drawn person here) in the corner;
* ``share-window-presenter.png``: the presenter's screen: the window ringed by the "You are presenting" frame.

The "application window" is a real X window made with python-xlib and painted with text and shapes; nothing is
mocked: capture is ``ScreenSource(window=…)``, the corner is ``call.presenter.composite``, the frame is the app's
``PresentingFrame`` on the same X server (xcb). Usage: ``.venv/bin/python docs/screenshots/render_share.py [--out DIR]
[--language ru]``. Needs Xvfb and Qt's xcb plugin dependencies (see render.py).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.media.conftest import start_xvfb  # noqa: E402

WIDTH, HEIGHT = 1280, 800
WINDOW = (240, 140, 720, 440)  # left, top, width, height of the shared window


KEEP: list[object] = []  # the X connection that owns the window: closing it would take the window away


def paint_window(display: str, title: str) -> int:
    """A window that looks like a document: a white page, a title bar, lines of 'text' and a chart."""
    from Xlib import X
    from Xlib import display as xdisplay

    connection = xdisplay.Display(display)
    KEEP.append(connection)
    screen = connection.screen()
    left, top, width, height = WINDOW
    window = screen.root.create_window(
        left, top, width, height, 0, screen.root_depth, X.InputOutput, X.CopyFromParent, background_pixel=0xFFFFFF
    )
    utf8 = connection.intern_atom("UTF8_STRING")
    window.change_property(connection.intern_atom("_NET_WM_NAME"), utf8, 8, title.encode())
    window.map()
    connection.sync()
    time.sleep(0.2)

    def gc(colour: int) -> object:
        return window.create_gc(foreground=colour, background=0xFFFFFF)

    window.fill_rectangle(gc(0x1A73E8), 0, 0, width, 36)
    for row in range(8):
        window.fill_rectangle(gc(0xC8CCD2), 32, 70 + row * 28, 300 + (row * 37) % 200, 10)
    for index, bar in enumerate((120, 200, 160, 260, 220)):
        window.fill_rectangle(
            gc((0x34A853, 0xFBBC04, 0xEA4335, 0x1A73E8, 0x9334E6)[index]), 420 + index * 52, 380 - bar, 36, bar
        )
    screen.root.warp_pointer(left + 520, top + 210)  # pointing at the chart
    connection.sync()
    time.sleep(0.2)
    return int(window.id)


def save_rgb(picture: object, out: Path) -> None:
    import numpy as np
    from PySide6.QtGui import QImage

    assert isinstance(picture, np.ndarray)
    height, width = picture.shape[:2]
    image = QImage(picture.data, width, height, picture.strides[0], QImage.Format.Format_RGB888)
    if not image.save(str(out), "PNG"):
        raise SystemExit(f"could not write {out}")
    print(out)


async def sent_frame(display: str, window_id: int, out: Path) -> None:
    import av
    import numpy as np

    from nimeet_desktop.call.presenter import composite
    from nimeet_desktop.media.screen import ScreenSource
    from tests.support.person_picture import person_picture

    source = ScreenSource(window=window_id, display=display, fps=10)
    try:
        frame = await source.recv()
    finally:
        source.stop()
    # The presenter's camera: the blur tests' drawn person before a bookshelf, as render.py's camera films it.
    face = av.VideoFrame.from_ndarray(person_picture(640, 360)[0], format="bgr24")
    picture = np.ascontiguousarray(composite(frame, face).to_ndarray(format="rgb24"))
    save_rgb(picture, out)


def presenter_screen(display: str, window_id: int, out: Path, language: str) -> None:
    os.environ["DISPLAY"] = display
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from nimeet_desktop.media.devices import open_mss
    from nimeet_desktop.media.windows import window_geometry
    from nimeet_desktop.ui import i18n
    from nimeet_desktop.ui.presenting_frame import PresentingFrame

    app = QApplication([])
    i18n.install(app, language)

    def area() -> tuple[int, int, int, int] | None:
        where = window_geometry(window_id, display)
        return None if where is None else (where.left, where.top, where.width, where.height)

    frame = PresentingFrame(area)
    geometry = area()
    assert geometry is not None
    frame._place(geometry)
    loop = QEventLoop()
    QTimer.singleShot(800, loop.quit)
    loop.exec()
    import numpy as np

    with open_mss(display, with_cursor=True) as grabber:
        shot = grabber.grab(grabber.monitors[1])
    bgra = np.frombuffer(shot.raw, dtype=np.uint8).reshape(shot.height, shot.width, 4)
    save_rgb(np.ascontiguousarray(bgra[:, :, 2::-1]), out)
    # What the others receive, taken with the frame on screen: the frame sits outside the window, so it is not in it.
    asyncio.run(sent_frame(display, window_id, out.with_name("share-window-sent.png")))
    frame.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--language", default="en", choices=("en", "ru"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    server = start_xvfb(WIDTH, HEIGHT)
    try:
        title = "Квартальный отчёт" if args.language == "ru" else "Quarterly report"
        window_id = paint_window(server.display, title)
        presenter_screen(server.display, window_id, args.out / "share-window-presenter.png", args.language)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
