"""One participant's tile: their video (or an avatar), name, and small status badges.

The tile never holds on to a stream of frames. It is given a ``frame_source`` callable that returns the newest
decoded ``av.VideoFrame`` (``RemoteParticipant.latest_frame`` or the local preview), and a frame clock calls
``refresh()`` to ask "is there something new?". Conversion to a Qt image happens in ``paintEvent`` only, once per
painted frame, straight to the on-screen pixel size in swscale (docs/architecture.md, "Data paths"):
frames that arrive between two repaints are never converted at all.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import av
import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QFont,
    QFontMetricsF,
    QHelpEvent,
    QImage,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QMenu,
    QSizePolicy,
    QSlider,
    QToolTip,
    QWidget,
    QWidgetAction,
)

from nimeet_desktop.call.quality import Quality
from nimeet_desktop.call.remote import luma_plane
from nimeet_desktop.media import stamp
from nimeet_desktop.ui import icons, theme
from nimeet_desktop.ui.untrusted import plain_label

FrameSource = Callable[[], av.VideoFrame | None]

CORNER_RADIUS = 10.0  # logical px; the tile's rounded corners
MARGIN = 8  # logical px between the tile edge and its badges
GAP = 4  # logical px between neighbouring badges
PAD_X, PAD_Y = 8, 3  # logical px inside the name label
SPEAKING_RING = 3.0  # logical px
AVATAR_FRACTION = 0.42  # avatar diameter relative to the tile's shorter side
SWSCALE_THREADS = 1  # see _image_for
MAX_LATENCY_SAMPLES = 240  # capture-to-paint samples kept until the statistics take them (a second's worth is ~30)
MAX_VOLUME_PERCENT = 200  # AudioMixer.MAX_GAIN
VOLUME_STEP_PERCENT = 10

QUALITY_BARS = {Quality.GOOD: 3, Quality.FAIR: 2, Quality.POOR: 1}  # lit bars of three
QUALITY_COLORS = {Quality.GOOD: theme.QUALITY_GOOD, Quality.FAIR: theme.QUALITY_FAIR, Quality.POOR: theme.QUALITY_POOR}


def _even(value: float) -> int:
    """swscale wants even sizes for subsampled sources; never below 2."""
    return max(2, int(value) & ~1)


def fit_size(source_w: int, source_h: int, box_w: float, box_h: float) -> tuple[float, float]:
    """The largest ``source`` aspect ratio that fits in the box: letterbox or pillarbox, never stretch or crop."""
    if source_w <= 0 or source_h <= 0 or box_w <= 0 or box_h <= 0:
        return 0.0, 0.0
    scale = min(box_w / source_w, box_h / source_h)
    return source_w * scale, source_h * scale


@dataclass(slots=True)
class _Converted:
    """The last frame turned into an image, and the buffers the image points into (QImage does not copy)."""

    frame: av.VideoFrame  # kept so its id() cannot be reused by a newer frame while cached
    size: tuple[int, int]  # device pixels
    bgra: av.VideoFrame  # owns the buffer below
    pixels: npt.NDArray[np.uint8]  # the buffer the image points into
    image: QImage


@dataclass(frozen=True, slots=True)
class _Geometry:
    """Where the overlays go for the current size and font (logical px)."""

    name: QRectF
    mic: QRectF | None
    quality: QRectF
    pin: QRectF


class VolumeControl(QWidget):
    """The tile menu's volume: a slider from 0 to 200 % in steps of 10, and the value it is at."""

    changed = Signal(int)  # percent

    def __init__(self, percent: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("volumeControl")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("volumeSlider")
        self.slider.setRange(0, MAX_VOLUME_PERCENT)
        self.slider.setSingleStep(VOLUME_STEP_PERCENT)
        self.slider.setPageStep(VOLUME_STEP_PERCENT * 5)
        self.slider.setTickInterval(100)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)  # a mark at 100 %: as received
        self.slider.setMinimumWidth(160)
        self.slider.setAccessibleName(self.tr("Volume"))
        self.value_label = plain_label()
        self.value_label.setMinimumWidth(self.value_label.fontMetrics().horizontalAdvance(self._text(200)) + 4)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.addWidget(plain_label(self.tr("Volume")))
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.value_label)
        self.slider.setValue(percent)
        self._show(percent)
        self.slider.valueChanged.connect(self._moved)

    def _text(self, percent: int) -> str:
        return self.tr("{percent}%").format(percent=percent)

    def _show(self, percent: int) -> None:
        self.value_label.setText(self._text(percent))

    def _moved(self, value: int) -> None:
        # Snapped to the step: dragging lands on 0, 10, ... 200, so 100 % (as received) is easy to find again.
        snapped = round(value / VOLUME_STEP_PERCENT) * VOLUME_STEP_PERCENT
        if snapped != value:
            self.slider.setValue(snapped)
            return
        self._show(value)
        self.changed.emit(value)


class VideoTile(QWidget):
    """A participant's video tile. State is pushed in through setters; the frame is pulled on repaint.

    Another participant's tile has a menu (right click, or the menu key) with their volume for this call."""

    pin_requested = Signal(str)
    volume_changed = Signal(str, float)  # the tile's id, a gain (1.0 as received, 0 to 2)

    def __init__(
        self,
        tile_id: str,
        name: str,
        frame_source: FrameSource,
        *,
        is_self: bool = False,
        avatar_name: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """``avatar_name``: whose initial and colour the avatar shows when it is not ``name`` (the own tile is
        labelled "You" but shows the user's own initial and colour, as the others see it)."""
        super().__init__(parent)
        self.tile_id = tile_id
        self.is_self = is_self
        self._name = name
        self._avatar_name = avatar_name
        self._frame_source = frame_source
        self._mirrored = is_self  # people expect their own camera to behave like a mirror
        self._camera_on = True
        self._mic_on = True
        self._speaking = False
        self._quality: Quality | None = None
        self._pinned = False
        self._shown_frame: av.VideoFrame | None = None  # the newest frame painted or already asked to be
        self._converted: _Converted | None = None
        self.conversions = 0  # frames converted to images; tests check "once per new frame"
        # New frames actually painted, cumulative: the statistics' "painted fps" (call_stats.py).
        self.painted_frames = 0
        self._painted_frame: av.VideoFrame | None = None
        # Only while statistics are kept (``nimeet --stats``): read the synthetic picture's capture stamp at paint
        # time, for capture-to-paint latency. Off otherwise: it reads a corner of the picture each paint.
        self.measure_latency = False
        self.latencies_ms: list[float] = []  # taken (and emptied) by whoever keeps the statistics
        self._volume = 1.0
        self.menu: QMenu | None = None  # while the tile's menu is open
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName(name)

    # ---- state ------------------------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._name

    @property
    def initial(self) -> str:
        """The letter the avatar shows."""
        stripped = (self._avatar_name or self._name).strip()
        return stripped[0].upper() if stripped else "?"

    def set_avatar_name(self, name: str | None) -> None:
        self._avatar_name = name
        self.update()

    @property
    def mirrored(self) -> bool:
        return self._mirrored

    @property
    def camera_on(self) -> bool:
        return self._camera_on

    @property
    def mic_on(self) -> bool:
        return self._mic_on

    @property
    def speaking(self) -> bool:
        return self._speaking

    @property
    def quality(self) -> Quality | None:
        return self._quality

    @property
    def pinned(self) -> bool:
        return self._pinned

    @property
    def frame_source(self) -> FrameSource:
        return self._frame_source

    def set_name(self, name: str) -> None:
        if name != self._name:
            self._name = name
            self.setAccessibleName(name)
            self.update()

    def set_mirrored(self, mirrored: bool) -> None:
        if mirrored != self._mirrored:
            self._mirrored = mirrored
            self.update()

    def set_camera_on(self, on: bool) -> None:
        if on != self._camera_on:
            self._camera_on = on
            if not on:
                self._converted = None  # no reason to keep a frame's pixels behind an avatar
            self.update()

    def set_mic_on(self, on: bool) -> None:
        if on != self._mic_on:
            self._mic_on = on
            self.update()

    def set_speaking(self, speaking: bool) -> None:
        if speaking != self._speaking:
            self._speaking = speaking
            self.update()

    def set_quality(self, quality: Quality | None) -> None:
        if quality != self._quality:
            self._quality = quality
            # toolTip() tells tests and accessibility tools; event() shows it only over the badge itself.
            self.setToolTip("" if quality is None else self._quality_text(quality))
            self.update()

    def _quality_text(self, quality: Quality) -> str:
        return {
            Quality.GOOD: self.tr("Connection: good"),
            Quality.FAIR: self.tr("Connection: fair"),
            Quality.POOR: self.tr("Connection: poor"),
        }[quality]

    def set_pinned(self, pinned: bool) -> None:
        if pinned != self._pinned:
            self._pinned = pinned
            self.update()

    @property
    def volume(self) -> float:
        return self._volume

    def set_volume(self, gain: float) -> None:
        self._volume = gain

    def build_menu(self) -> QMenu | None:
        """The tile's menu (None for the own tile: nobody sets their own volume)."""
        if self.is_self:
            return None
        menu = QMenu(self)
        menu.setObjectName("tileMenu")
        control = VolumeControl(round(self._volume * 100), menu)
        control.changed.connect(self._volume_moved)
        action = QWidgetAction(menu)
        action.setDefaultWidget(control)
        menu.addAction(action)
        return menu

    def _volume_moved(self, percent: int) -> None:
        self._volume = percent / 100
        self.volume_changed.emit(self.tile_id, self._volume)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        menu = self.build_menu()
        if menu is None:
            super().contextMenuEvent(event)
            return
        self.menu = menu
        menu.aboutToHide.connect(menu.deleteLater)
        menu.destroyed.connect(self._menu_gone)
        menu.popup(event.globalPos())
        event.accept()

    def _menu_gone(self) -> None:
        self.menu = None

    def set_frame_source(self, frame_source: FrameSource) -> None:
        self._frame_source = frame_source
        self._shown_frame = None
        self._converted = None
        self.update()

    # ---- frame clock ------------------------------------------------------------------------------------

    def refresh(self) -> bool:
        """Schedule a repaint if the source has a frame we have not shown yet. Cheap: no conversion here."""
        if not self._camera_on:
            return False
        frame = self._frame_source()
        if frame is None or frame is self._shown_frame:
            return False
        self._shown_frame = frame
        self.update()
        return True

    # ---- Qt ---------------------------------------------------------------------------------------------

    def minimumSizeHint(self) -> QSize:
        return QSize(160, 90)

    def sizeHint(self) -> QSize:
        return QSize(320, 180)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.pin_requested.emit(self.tile_id)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.tooltip_at(QPointF(event.pos()))
            if text:
                QToolTip.showText(event.globalPos(), text, self, self._geometry().quality.toAlignedRect())
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def tooltip_at(self, pos: QPointF) -> str:
        """The tooltip for a hover at ``pos``: the connection text over the quality badge, else nothing.

        The tile is big; "Connection: fair" popping up anywhere over someone's face would be noise."""
        if self._quality is None or not self._geometry().quality.contains(pos):
            return ""
        return self.toolTip()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        outline = QPainterPath()
        outline.addRoundedRect(QRectF(self.rect()), CORNER_RADIUS, CORNER_RADIUS)
        painter.fillPath(outline, theme.TILE_BACKGROUND)

        frame = self._frame_source() if self._camera_on else None
        if frame is not None:
            self._shown_frame = frame
            painter.save()
            painter.setClipPath(outline)
            self._paint_frame(painter, frame)
            painter.restore()
            if frame is not self._painted_frame:
                self._count_painted(frame)
        else:
            self._paint_avatar(painter)

        geometry = self._geometry()
        self._paint_name(painter, geometry)
        if self._quality is not None:
            self._paint_quality(painter, geometry.quality, self._quality)
        if self._pinned:
            self._paint_icon_badge(painter, geometry.pin, "pin", theme.TILE_TEXT)
        if self._speaking:
            inset = SPEAKING_RING / 2
            ring = QRectF(self.rect()).adjusted(inset, inset, -inset, -inset)
            painter.setPen(QPen(theme.SPEAKING, SPEAKING_RING))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(ring, CORNER_RADIUS - inset, CORNER_RADIUS - inset)
        painter.end()

    def _count_painted(self, frame: av.VideoFrame) -> None:
        self._painted_frame = frame
        self.painted_frames += 1
        if self.measure_latency and frame.format.name == "yuv420p" and len(self.latencies_ms) < MAX_LATENCY_SAMPLES:
            found = stamp.read(luma_plane(frame))
            if found is not None:
                self.latencies_ms.append(found.age_ms(int(time.time() * 1000) % (1 << 32)))

    def take_latencies(self) -> list[float]:
        """The capture-to-paint samples since the last call (ms); empties the list."""
        taken, self.latencies_ms = self.latencies_ms, []
        return taken

    # ---- painting helpers -------------------------------------------------------------------------------

    def _paint_frame(self, painter: QPainter, frame: av.VideoFrame) -> None:
        dpr = self.devicePixelRatioF()
        fit_w, fit_h = fit_size(frame.width, frame.height, self.width(), self.height())
        size = (_even(fit_w * dpr), _even(fit_h * dpr))
        image = self._image_for(frame, size)
        # Centre on whole device pixels so the image is blitted 1:1, without resampling.
        x = round((self.width() * dpr - size[0]) / 2) / dpr
        y = round((self.height() * dpr - size[1]) / 2) / dpr
        target = QRectF(x, y, size[0] / dpr, size[1] / dpr)
        if self._mirrored:
            painter.translate(self.width(), 0)
            painter.scale(-1, 1)
        painter.drawImage(target, image)

    def _image_for(self, frame: av.VideoFrame, size: tuple[int, int]) -> QImage:
        """The frame at ``size`` device pixels; converted only if this frame/size pair is not cached already."""
        cached = self._converted
        if cached is not None and cached.frame is frame and cached.size == size:
            return cached.image
        width, height = size
        # One swscale pass does colour conversion and scaling together, to exactly the pixels we will show.
        # threads=1: PyAV's default (0, "auto") slices the job across threads, and the bundled swscale (FFmpeg
        # 8.1) then races: now and then the leftmost few columns come out with the wrong chroma (seen on
        # yuv420p → bgra upscales). One thread is also what a 2-core laptop wants while decoders run.
        bgra = frame.reformat(width=width, height=height, format="bgra", threads=SWSCALE_THREADS)
        plane = bgra.planes[0]
        # The plane's own buffer, padding included: rows are often padded to an alignment (a 466 px wide row
        # is 1864 bytes, stored in 1872), which to_ndarray() would hand back as a non-contiguous view that
        # QImage cannot take. QImage reads it in place with the real bytes-per-line; nothing is copied.
        pixels = np.frombuffer(memoryview(plane), dtype=np.uint8)
        # BGRA bytes are 0xAARRGGBB words on little-endian machines (all we ship on); alpha is opaque.
        image = QImage(pixels.data, width, height, plane.line_size, QImage.Format.Format_RGB32)
        self._converted = _Converted(frame, size, bgra, pixels, image)
        self.conversions += 1
        return image

    def _paint_avatar(self, painter: QPainter) -> None:
        diameter = min(self.width(), self.height()) * AVATAR_FRACTION
        circle = QRectF(0, 0, diameter, diameter)
        circle.moveCenter(QRectF(self.rect()).center())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(theme.avatar_color(self._avatar_name or self._name))
        painter.drawEllipse(circle)
        font = QFont(self.font())
        font.setPixelSize(max(1, round(diameter * 0.45)))  # the letter belongs to the circle, not the text size
        font.setWeight(QFont.Weight.DemiBold)
        painter.setFont(font)
        painter.setPen(theme.TILE_TEXT)
        painter.drawText(circle, Qt.AlignmentFlag.AlignCenter, self.initial)

    def _geometry(self) -> _Geometry:
        metrics = QFontMetricsF(self._label_font())
        badge = math.ceil(metrics.height()) + 2 * PAD_Y  # every badge is as tall as the name label, so they line up
        bottom = self.height() - MARGIN - badge
        left = float(MARGIN)
        mic = None
        if not self._mic_on:
            mic = QRectF(left, bottom, badge, badge)
            left += badge + GAP
        available = max(0.0, self.width() - MARGIN - left)
        text_w = min(math.ceil(metrics.horizontalAdvance(self._name)) + 2 * PAD_X, available)
        name = QRectF(left, bottom, text_w, badge)
        quality = QRectF(self.width() - MARGIN - badge, MARGIN, badge, badge)
        pin = QRectF(MARGIN, MARGIN, badge, badge)
        return _Geometry(name=name, mic=mic, quality=quality, pin=pin)

    def _label_font(self) -> QFont:
        font = QFont(self.font())  # the widget font: follows the user's display and font settings
        font.setWeight(QFont.Weight.Medium)
        return font

    def _paint_name(self, painter: QPainter, geometry: _Geometry) -> None:
        if geometry.mic is not None:
            self._paint_icon_badge(painter, geometry.mic, "mic-off", theme.DANGER)
        rect = geometry.name
        if not self._name or rect.width() <= 2 * PAD_X:
            return
        font = self._label_font()
        room = rect.width() - 2 * PAD_X
        metrics = QFontMetricsF(font)
        # Elide only what does not fit: elidedText() on a width measured to the exact advance can still cut
        # the last letter off on rounding ("Da…" for "Dave").
        if metrics.horizontalAdvance(self._name) <= room:
            text = self._name
        else:
            text = metrics.elidedText(self._name, Qt.TextElideMode.ElideRight, room)
        self._paint_badge(painter, rect)
        painter.setFont(font)
        painter.setPen(theme.TILE_TEXT)
        painter.drawText(rect.adjusted(PAD_X, 0, -PAD_X + 1, 0), Qt.AlignmentFlag.AlignVCenter, text)

    def _paint_badge(self, painter: QPainter, rect: QRectF) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(theme.BADGE_FILL)
        radius = min(6.0, rect.height() / 2)
        painter.drawRoundedRect(rect, radius, radius)

    def _paint_icon_badge(self, painter: QPainter, rect: QRectF, name: str, color: QColor) -> None:
        self._paint_badge(painter, rect)
        side = round(rect.height() * 0.75)
        # icons.svg_pixmap caches what it renders, per icon, colour, size and scale.
        pixmap = icons.svg_pixmap(name, QSize(side, side), color, self.devicePixelRatioF())
        icon_rect = QRectF(0, 0, side, side)
        icon_rect.moveCenter(rect.center())
        painter.drawPixmap(icon_rect.topLeft(), pixmap)

    def _paint_quality(self, painter: QPainter, rect: QRectF, quality: Quality) -> None:
        self._paint_badge(painter, rect)
        lit = QUALITY_BARS[quality]
        inner = rect.adjusted(rect.width() * 0.2, rect.height() * 0.2, -rect.width() * 0.2, -rect.height() * 0.2)
        bar_w = inner.width() / 4  # three bars with two half-width gaps
        painter.setPen(Qt.PenStyle.NoPen)
        for index in range(3):
            height = inner.height() * (index + 1) / 3
            bar = QRectF(inner.left() + index * 1.5 * bar_w, inner.bottom() - height, bar_w, height)
            painter.setBrush(QUALITY_COLORS[quality] if index < lit else theme.DIM_BAR)
            painter.drawRoundedRect(bar, bar_w / 3, bar_w / 3)
