"""One participant's tile: their video (or an avatar), name, and small status badges.

The tile never holds on to a stream of frames. It is given a ``frame_source`` callable that returns the
decoded ``av.VideoFrame`` to show (a remote's ``Playout``, our own ``latest_frame``), and a frame clock calls
``refresh()`` to ask "is there something new?". A new frame goes to a ``FrameConverter`` (ui/frame_converter.py),
whose thread converts and scales it once, straight to the tile's on-screen size in device pixels; ``paintEvent``
only blits the ready image 1:1 and copies the badges, drawn once per layout (docs/architecture.md, "Data paths").
Frames the source skips between two clock ticks are never converted, and a tile nobody can see (hidden, its
window minimised, covered) converts and paints nothing.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import av
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
    QPixmap,
    QResizeEvent,
    QShowEvent,
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
from nimeet_desktop.call.snapshots import FrameSource
from nimeet_desktop.media import stamp
from nimeet_desktop.ui import icons, theme
from nimeet_desktop.ui.frame_converter import Converted, FrameConverter, FrameSlot, Target
from nimeet_desktop.ui.meeting.reactions import ReactionBubble, float_reaction
from nimeet_desktop.ui.untrusted import plain_label

CORNER_RADIUS = 10.0  # logical px; the tile's rounded corners
MARGIN = 8  # logical px between the tile edge and its badges
GAP = 4  # logical px between neighbouring badges
PAD_X, PAD_Y = 8, 3  # logical px inside the name label
SPEAKING_RING = 3.0  # logical px
AVATAR_FRACTION = 0.42  # avatar diameter relative to the tile's shorter side
MAX_LATENCY_SAMPLES = 240  # capture-to-paint samples kept until the statistics take them (a second's worth is ~30)
MAX_VOLUME_PERCENT = 200  # AudioMixer.MAX_GAIN
VOLUME_STEP_PERCENT = 10

QUALITY_BARS = {Quality.GOOD: 3, Quality.FAIR: 2, Quality.POOR: 1}  # lit bars of three
QUALITY_COLORS = {Quality.GOOD: theme.QUALITY_GOOD, Quality.FAIR: theme.QUALITY_FAIR, Quality.POOR: theme.QUALITY_POOR}

# Signal badges drawn once per quality, size and scale, shared by every tile.
_QUALITY_PIXMAPS: dict[tuple[Quality, float, float, float], QPixmap] = {}


def _badge_pixmap(area: QRectF, dpr: float, draw: Callable[[QPainter], None]) -> QPixmap:
    """What ``draw`` paints inside ``area`` (logical px, tile coordinates), on a transparent pixmap at ``dpr``."""
    pixmap = QPixmap(max(1, math.ceil(area.width() * dpr)), max(1, math.ceil(area.height() * dpr)))
    pixmap.setDevicePixelRatio(dpr)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.translate(-area.topLeft())
    draw(painter)
    painter.end()
    return pixmap


def _even(value: float) -> int:
    """swscale wants even sizes for subsampled sources; never below 2."""
    return max(2, int(value) & ~1)


def fit_size(source_w: int, source_h: int, box_w: float, box_h: float) -> tuple[float, float]:
    """The largest ``source`` aspect ratio that fits in the box: letterbox or pillarbox, never stretch or crop."""
    if source_w <= 0 or source_h <= 0 or box_w <= 0 or box_h <= 0:
        return 0.0, 0.0
    scale = min(box_w / source_w, box_h / source_h)
    return source_w * scale, source_h * scale


@dataclass(frozen=True, slots=True)
class _Geometry:
    """Where the overlays go for the current size and font (logical px), and the name as it fits."""

    name: QRectF
    mic: QRectF | None
    quality: QRectF
    pin: QRectF
    font: QFont  # the labels'
    text: str  # the name, elided to its label


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
        """``frame_source`` returns the decoded frame to show now, or None; it is called on the UI thread at each clock
        tick and paint, and must be cheap and safe against the engine's thread (a remote's ``Playout`` takes its
        own lock; a local feed's reference is replaced atomically). The converter thread is handed the frame
        itself, never the source.

        ``avatar_name``: whose initial and colour the avatar shows when it is not ``name`` (the own tile is
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
        self._hand_raised = False
        self._slot = FrameSlot(self)  # the converter puts the newest image here
        self._converter: FrameConverter | None = None  # the grid's; else one of its own, made when first needed
        self._own_converter = False
        self._requested: tuple[av.VideoFrame, Target] | None = None  # the last frame and target asked for
        self._painted: av.VideoFrame | None = None  # the frame of the last image painted
        # New frames actually painted, cumulative: the statistics' "painted fps" (call_stats.py).
        self.painted_frames = 0
        # Only while statistics are kept (``nimeet --stats``): read the synthetic picture's capture stamp at paint
        # time, for capture-to-paint latency. Off otherwise: it reads a corner of the picture each paint.
        self.measure_latency = False
        self.latencies_ms: list[float] = []  # taken (and emptied) by whoever keeps the statistics
        # Laid out once per size, name, mic state and font, not at every one of 30 paints a second.
        self._geometry_cache: tuple[tuple[int, int, str, bool], _Geometry] | None = None
        # The name label (and mic badge) drawn once per layout and scale, then copied: text shaping and the rounded
        # badge were a quarter of each paint's cost with seven tiles at 30 fps.
        self._labels_cache: tuple[_Geometry, float, QPointF, QPixmap | None] | None = None
        # Outline paths per size, and the bars around the picture per picture rectangle (path subtraction per paint).
        self._outline_cache: tuple[tuple[int, int], QPainterPath, QPainterPath] | None = None
        self._bars_cache: tuple[tuple[int, int, QRectF], QPainterPath] | None = None
        self._backdrop: QColor | None = None
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
            self._request_again()
            self.update()  # the image in hand, flipped by the painter until the converter has the new one

    def set_camera_on(self, on: bool) -> None:
        if on != self._camera_on:
            self._camera_on = on
            if not on:
                self._drop_frames()  # no reason to keep a frame's pixels behind an avatar
            else:
                self.refresh()
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
    def hand_raised(self) -> bool:
        return self._hand_raised

    def set_hand_raised(self, raised: bool) -> None:
        """The raised hand at the tile's top left (after the pin): this person wants to speak."""
        if raised != self._hand_raised:
            self._hand_raised = raised
            self.update()

    def show_reaction(self, emoji: str) -> ReactionBubble:
        """``emoji`` floats up over the tile for a few seconds (ui/meeting/reactions.py)."""
        return float_reaction(self, emoji)

    def reactions(self) -> list[ReactionBubble]:
        """The reactions floating over the tile now."""
        return [bubble for bubble in self.findChildren(ReactionBubble) if bubble.isVisible()]

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

    def set_backdrop(self, color: QColor | None) -> None:
        """The colour around the tile (what its parent paints). Given, the tile paints its own corners with it and
        is opaque to Qt, so repainting it does not first repaint the parent's (stylesheet) background under it, as
        every one of a call's 200 paints a second did; None: the parent shows through the corners."""
        self._backdrop = color
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, color is not None)
        self.update()

    def set_frame_source(self, frame_source: FrameSource) -> None:
        self._frame_source = frame_source
        self._drop_frames()
        self.refresh()
        self.update()

    # ---- frame clock ------------------------------------------------------------------------------------

    @property
    def conversions(self) -> int:
        """Frames converted to images for this tile (cumulative); tests check "once per new frame"."""
        return self._slot.conversions

    @property
    def converter(self) -> FrameConverter:
        """The converter this tile's frames go to: the grid's, or else the tile's own (started when first used,
        stopped when the tile is destroyed)."""
        if self._converter is None:
            self._converter = FrameConverter()
            self._own_converter = True
            self.destroyed.connect(self._converter.stop)
        return self._converter

    def set_converter(self, converter: FrameConverter | None) -> None:
        """Use ``converter`` (the grid's, shared by its tiles); None: a converter of the tile's own."""
        old = self._converter
        if old is converter:
            return
        if old is not None:
            old.forget(self._slot)
            if self._own_converter:
                old.stop()
        self._converter = converter
        self._own_converter = False
        self._request_again()  # ask the new converter afresh

    @property
    def slot(self) -> FrameSlot:
        """Where the converter puts this tile's newest image."""
        return self._slot

    @property
    def image_size(self) -> QSize | None:
        """The ready image's size in device pixels, or None (tests: it is the tile's fit size, painted 1:1)."""
        ready = self._slot.ready
        return None if ready is None else ready.image.size()

    def refresh(self) -> bool:
        """Ask the converter for the source's newest frame if it is new, or the tile's size changed; True if it
        did. Cheap: the conversion runs on the converter's thread, which repaints the tile when it is done.

        Nothing when nobody could see it: camera off, the tile hidden, its window minimised, or the tile covered.
        A tile shown again asks for the newest frame at the next tick (or at once, see showEvent)."""
        if not self._camera_on:
            return False
        frame = self._frame_source()
        ready = self._slot.ready
        unpainted = ready is not None and ready.frame is not self._painted
        requested = self._requested
        if not unpainted and (frame is None or (requested is not None and requested[0] is frame)):
            return False  # most ticks (the clock looks twice per frame): nothing new, so no visibility to work out
        if not self._exposed():
            return False
        if unpainted:
            # Made since the last tick but not painted yet: paint it in this wake-up of the UI thread rather than
            # wait for the converter's signal, which a loaded machine may deliver late.
            self.update()
        if frame is None:
            return False
        return self._request(frame)

    def _exposed(self) -> bool:
        return self.isVisible() and not self.window().isMinimized() and not self.visibleRegion().isEmpty()

    def _target(self, frame: av.VideoFrame) -> Target:
        """The frame fitted into the tile, in whole even device pixels, as the converter is to produce it."""
        dpr = self.devicePixelRatioF()
        fit_w, fit_h = fit_size(frame.width, frame.height, self.width(), self.height())
        return Target(_even(fit_w * dpr), _even(fit_h * dpr), self._mirrored, dpr)

    def _request(self, frame: av.VideoFrame) -> bool:
        target = self._target(frame)
        requested = self._requested
        if requested is not None and requested[0] is frame and requested[1] == target:
            return False
        self._requested = (frame, target)
        self.converter.submit(self._slot, frame, target)
        return True

    def _request_again(self) -> None:
        """The tile's size or mirroring changed: the frame in hand is wanted at the new target."""
        self._requested = None
        self.refresh()

    def _drop_frames(self) -> None:
        if self._converter is not None:
            self._converter.forget(self._slot)
        self._slot.clear()
        self._requested = None
        self._painted = None

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

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._request_again()  # until it is ready, paintEvent scales the image in hand (aspect kept)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._request_again()  # catch up with the newest frame now, not a tick later

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        outline, corners = self._outline()

        ready = self._slot.ready if self._camera_on else None
        if ready is not None:
            wanted = self._target(ready.frame)
            dpr = self.devicePixelRatioF()
            # Centred on whole device pixels so the image is blitted 1:1, without resampling.
            x = round((self.width() * dpr - wanted.width) / 2) / dpr
            y = round((self.height() * dpr - wanted.height) / 2) / dpr
            picture = QRectF(x, y, wanted.width / dpr, wanted.height / dpr)
            # The background only where the picture is not (its bars): filling the whole tile under a picture
            # that covers it cost as much as the blit itself.
            painter.fillPath(self._bars(outline, picture), theme.TILE_BACKGROUND)
            if self._backdrop is not None and ready.target == wanted:
                # Opaque in the call: the image whole, in one copy, and the corners painted over it below. Every
                # Qt call lets the engine's threads take the interpreter lock, and the clipped rows cost three.
                painter.drawImage(picture.topLeft(), ready.image)
            else:
                painter.save()
                self._paint_frame(painter, ready, wanted, picture, outline)
                painter.restore()
            if ready.frame is not self._painted:
                self._count_painted(ready.frame)
        else:
            painter.fillPath(outline, theme.TILE_BACKGROUND)
            if not self._camera_on or self._frame_source() is None:
                self._paint_avatar(painter)
            # else: the first frame is on its way from the converter; the background, not an avatar flashing by
        if self._backdrop is not None:
            painter.fillPath(corners, self._backdrop)

        geometry = self._geometry()
        self._paint_labels(painter, geometry)
        if self._quality is not None:
            self._paint_quality(painter, geometry.quality, self._quality)
        if self._pinned:
            self._paint_icon_badge(painter, geometry.pin, "pin", theme.TILE_TEXT)
        if self._hand_raised:
            self._paint_hand(painter)
        if self._speaking:
            inset = SPEAKING_RING / 2
            ring = QRectF(self.rect()).adjusted(inset, inset, -inset, -inset)
            painter.setPen(QPen(theme.SPEAKING, SPEAKING_RING))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(ring, CORNER_RADIUS - inset, CORNER_RADIUS - inset)
        painter.end()

    def _count_painted(self, frame: av.VideoFrame) -> None:
        self._painted = frame
        self.painted_frames += 1
        if self.measure_latency and frame.format.name == "yuv420p" and len(self.latencies_ms) < MAX_LATENCY_SAMPLES:
            found = stamp.read(stamp.luma_plane(frame))
            if found is not None:
                self.latencies_ms.append(found.age_ms(int(time.time() * 1000) % (1 << 32)))

    def take_latencies(self) -> list[float]:
        """The capture-to-paint samples since the last call (ms); empties the list."""
        taken, self.latencies_ms = self.latencies_ms, []
        return taken

    # ---- painting helpers -------------------------------------------------------------------------------

    def _paint_frame(
        self, painter: QPainter, ready: Converted, wanted: Target, picture: QRectF, outline: QPainterPath
    ) -> None:
        made = ready.target
        if made == wanted:
            self._blit(painter, ready.image, picture.x(), picture.y(), wanted.device_pixel_ratio, outline)
            return
        # Resized (or moved to another screen) or mirroring toggled before the converter delivered: the image in
        # hand, scaled into the new fit (the same aspect ratio) and flipped as needed, for a frame or so.
        painter.setClipPath(outline)
        if made.mirrored != wanted.mirrored:
            painter.translate(self.width(), 0)
            painter.scale(-1, 1)
            picture = QRectF(self.width() - picture.right(), picture.y(), picture.width(), picture.height())
        painter.drawImage(picture, ready.image)

    def _blit(self, painter: QPainter, image: QImage, x: float, y: float, dpr: float, outline: QPainterPath) -> None:
        """Draw ``image`` 1:1 at (x, y), inside the tile's rounded corners.

        Only the image rows level with the corners are clipped to the rounded outline: under a path clip the
        raster engine blends pixel by pixel instead of copying rows (measured on a 416x229 tile: 0.55 ms per
        drawImage clipped, 0.03 ms not), so the rows between the corners are drawn without a clip."""
        width, height = image.width(), image.height()  # device pixels
        top = min(height, math.ceil(max(0.0, CORNER_RADIUS - y) * dpr))
        below = self.height() - CORNER_RADIUS  # logical y where the bottom corners begin
        bottom = min(height - top, math.ceil(max(0.0, y + height / dpr - below) * dpr))

        def rows(first: int, count: int) -> None:
            target = QRectF(x, y + first / dpr, width / dpr, count / dpr)
            painter.drawImage(target, image, QRectF(0, first, width, count))

        if height - top - bottom > 0:
            rows(top, height - top - bottom)
        if top or bottom:
            painter.setClipPath(outline)
            if top:
                rows(0, top)
            if bottom:
                rows(height - bottom, bottom)

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

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.FontChange:
            self._geometry_cache = None
        super().changeEvent(event)

    def _geometry(self) -> _Geometry:
        key = (self.width(), self.height(), self._name, self._mic_on)
        cached = self._geometry_cache
        if cached is not None and cached[0] == key:
            return cached[1]
        geometry = self._layout()
        self._geometry_cache = (key, geometry)
        return geometry

    def _layout(self) -> _Geometry:
        font = self._label_font()
        metrics = QFontMetricsF(font)
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
        room = text_w - 2 * PAD_X
        # Elide only what does not fit: elidedText() on a width measured to the exact advance can still cut
        # the last letter off on rounding ("Da…" for "Dave").
        if metrics.horizontalAdvance(self._name) <= room:
            text = self._name
        else:
            text = metrics.elidedText(self._name, Qt.TextElideMode.ElideRight, room)
        return _Geometry(name=name, mic=mic, quality=quality, pin=pin, font=font, text=text)

    def _label_font(self) -> QFont:
        font = QFont(self.font())  # the widget font: follows the user's display and font settings
        font.setWeight(QFont.Weight.Medium)
        return font

    def _outline(self) -> tuple[QPainterPath, QPainterPath]:
        """The tile's rounded outline, and the corners outside it, for the current size."""
        key = (self.width(), self.height())
        cached = self._outline_cache
        if cached is None or cached[0] != key:
            whole = QRectF(self.rect())
            outline = QPainterPath()
            outline.addRoundedRect(whole, CORNER_RADIUS, CORNER_RADIUS)
            square = QPainterPath()
            square.addRect(whole)
            cached = (key, outline, square.subtracted(outline))
            self._outline_cache = cached
        return cached[1], cached[2]

    def _bars(self, outline: QPainterPath, picture: QRectF) -> QPainterPath:
        """The tile's background where the picture is not (letterbox or pillarbox bars)."""
        key = (self.width(), self.height(), picture)
        cached = self._bars_cache
        if cached is None or cached[0] != key:
            covered = QPainterPath()
            covered.addRect(picture)
            cached = (key, outline.subtracted(covered))
            self._bars_cache = cached
        return cached[1]

    def _paint_labels(self, painter: QPainter, geometry: _Geometry) -> None:
        """The name label and mic badge, from a pixmap made once per layout and scale."""
        dpr = self.devicePixelRatioF()
        cached = self._labels_cache
        if cached is None or cached[0] is not geometry or cached[1] != dpr:
            origin, pixmap = self._render_labels(geometry, dpr)
            cached = (geometry, dpr, origin, pixmap)
            self._labels_cache = cached
        if cached[3] is not None:
            painter.drawPixmap(cached[2], cached[3])

    def _render_labels(self, geometry: _Geometry, dpr: float) -> tuple[QPointF, QPixmap | None]:
        area = QRectF()
        if geometry.mic is not None:
            area = area.united(geometry.mic)
        if self._name and geometry.name.width() > 2 * PAD_X:
            area = area.united(geometry.name)
        if area.isEmpty():
            return QPointF(), None
        area = QRectF(area.toAlignedRect())  # whole logical pixels: the pixmap is then drawn 1:1
        return area.topLeft(), _badge_pixmap(area, dpr, lambda p: self._paint_name(p, geometry))

    def _paint_name(self, painter: QPainter, geometry: _Geometry) -> None:
        if geometry.mic is not None:
            self._paint_icon_badge(painter, geometry.mic, "mic-off", theme.DANGER)
        rect = geometry.name
        if not self._name or rect.width() <= 2 * PAD_X:
            return
        self._paint_badge(painter, rect)
        painter.setFont(geometry.font)
        painter.setPen(theme.TILE_TEXT)
        painter.drawText(rect.adjusted(PAD_X, 0, -PAD_X + 1, 0), Qt.AlignmentFlag.AlignVCenter, geometry.text)

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

    def hand_rect(self) -> QRectF:
        """Where the raised hand is drawn: the pin's place, or beside the pin when the tile is pinned."""
        geometry = self._geometry()
        pin = geometry.pin
        return pin.translated(pin.width() + GAP, 0) if self._pinned else pin

    def _paint_hand(self, painter: QPainter) -> None:
        rect = self.hand_rect()
        side = round(rect.height())
        # The same yellow disc as in the people list (icons.disc_pixmap caches it per size and scale).
        pixmap = icons.disc_pixmap("hand", side, theme.TILE_BACKGROUND, theme.HAND_RAISED, self.devicePixelRatioF())
        painter.drawPixmap(rect.topLeft(), pixmap)

    def _paint_quality(self, painter: QPainter, rect: QRectF, quality: Quality) -> None:
        dpr = self.devicePixelRatioF()
        area = QRectF(rect.toAlignedRect())
        key = (quality, area.width(), area.height(), dpr)
        pixmap = _QUALITY_PIXMAPS.get(key)
        if pixmap is None:
            pixmap = _badge_pixmap(area, dpr, lambda p: self._draw_quality(p, rect, quality))
            _QUALITY_PIXMAPS[key] = pixmap
        painter.drawPixmap(area.topLeft(), pixmap)

    def _draw_quality(self, painter: QPainter, rect: QRectF, quality: Quality) -> None:
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
