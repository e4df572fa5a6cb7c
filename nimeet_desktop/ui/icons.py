"""Recolourable SVG icons from ``nimeet_desktop/assets/icons``, rendered crisply at any display scaling.

The icon files draw with ``currentColor``; :func:`icon` substitutes a concrete colour, so one file serves the
light theme, the dark theme and the white-on-grey call control bar. A small engine of our own then renders the
SVG straight at ``size × device pixel ratio``. ``QIcon("x.svg")`` can do neither recolouring nor, when a frozen
build leaves out Qt's SVG icon-engine plugin, scaling: it falls back to one 24 px bitmap blown up to 125–200 %.
"""

from __future__ import annotations

import logging
from functools import cache

import shiboken6
from PySide6.QtCore import QByteArray, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QIconEngine, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

from nimeet_desktop.resources import icon_path
from nimeet_desktop.ui import theme

logger = logging.getLogger(__name__)

# What a disabled icon keeps of its alpha: faded like Qt's own disabled icons, still legible.
_DISABLED_OPACITY = 0.4
# Pixmaps kept per icon. A widget asks for one or two sizes at one or two scales, and each mode doubles that.
_PIXMAP_CACHE_LIMIT = 16

ColorLike = QColor | str | None

# Engines made by clone(), kept alive for C++ (see there). Engines passed to QIcon(engine) need no such help:
# that constructor hands them to C++.
_live_clones: list[_SvgIconEngine] = []


class _SvgIconEngine(QIconEngine):
    """Renders one already-recoloured SVG document at whatever physical size is asked for."""

    def __init__(self, svg: bytes, opacity: float) -> None:
        super().__init__()
        self._svg = svg
        # The SVG itself is drawn opaque; a translucent colour is applied to the finished pixmap as a whole,
        # so strokes that overlap (a slash across a microphone) do not show darker where they cross.
        self._opacity = opacity
        self._renderer = QSvgRenderer(QByteArray(svg))
        self._pixmaps: dict[tuple[int, int, bool], QPixmap] = {}

    def key(self) -> str:
        return "nimeet-svg"

    def isNull(self) -> bool:
        return not self._renderer.isValid()

    def clone(self) -> QIconEngine:
        # QIcon clones its engine when a shared copy is modified (addPixmap, setIsMask: "detach"). The clone's new
        # QIcon data deletes it from C++, but PySide leaves a Python-made object returned from a virtual owned by
        # Python, which would delete it as soon as this returns (a crash on first use). So keep it referenced until
        # C++ has deleted it; shiboken then marks the wrapper invalid and disowns it, and it is dropped here.
        _live_clones[:] = [engine for engine in _live_clones if shiboken6.isValid(engine)]
        engine = _SvgIconEngine(self._svg, self._opacity)
        _live_clones.append(engine)
        return engine

    def actualSize(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QSize:
        # Vector art fills any size: the default for a scalable engine, stated so it is not left to chance.
        return QSize(size)

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float) -> QPixmap:
        """``size`` is in logical pixels; the pixmap has ``size × scale`` physical ones and says so in its DPR.

        QIcon.pixmap(size, dpr) calls this for dpr > 1; the base class would ignore ``scale`` and return a
        nominal-size pixmap for the window system to blow up."""
        width = max(1, round(size.width() * scale))
        height = max(1, round(size.height() * scale))
        # Active and Selected look like Normal (the button behind the icon shows hover and selection).
        faded = mode == QIcon.Mode.Disabled
        cache_key = (width, height, faded)
        cached = self._pixmaps.get(cache_key)
        if cached is None:
            cached = self._render(width, height, faded)
            if len(self._pixmaps) >= _PIXMAP_CACHE_LIMIT:
                self._pixmaps.clear()
            self._pixmaps[cache_key] = cached
        # Share the pixel data but not the DPR: the same bitmap may be asked for as 48 px @1x or 24 px @2x.
        result = QPixmap(cached)
        result.setDevicePixelRatio(scale)
        return result

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        # Through a pixmap at the target device's ratio, so painting and pixmap() give identical pixels
        # (and the disabled fade is applied the same way).
        device = painter.device()
        scale = device.devicePixelRatioF() if device is not None else 1.0
        pixmap = self.scaledPixmap(rect.size(), mode, state, scale)
        painter.drawPixmap(rect, pixmap)

    def _render(self, width: int, height: int, faded: bool) -> QPixmap:
        pixmap = QPixmap(width, height)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        # Keep the aspect ratio and centre the drawing: a non-square request must not squash the glyph.
        self._renderer.render(painter, _centred_fit(self._renderer.defaultSize(), width, height))
        opacity = self._opacity * (_DISABLED_OPACITY if faded else 1.0)
        if opacity < 1.0:
            # Scale every pixel's alpha by the same factor: the equivalent of drawing the whole icon translucent.
            painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_DestinationIn)
            painter.fillRect(pixmap.rect(), theme.opacity_mask(opacity))
        painter.end()
        return pixmap


def _centred_fit(view: QSize, width: int, height: int) -> QRectF:
    """The largest rectangle of ``view``'s aspect ratio that fits ``width × height``, centred in it."""
    if view.isEmpty():
        return QRectF(0, 0, width, height)
    factor = min(width / view.width(), height / view.height())
    fitted_w, fitted_h = view.width() * factor, view.height() * factor
    return QRectF((width - fitted_w) / 2, (height - fitted_h) / 2, fitted_w, fitted_h)


def _resolve(color: ColorLike) -> QColor:
    if color is None:
        # Read at call time, not import time: the theme (and so ButtonText) is applied after this module loads
        # and changes when the system switches between light and dark.
        return QGuiApplication.palette().color(QPalette.ColorRole.ButtonText)
    return QColor(color)


def icon(name: str, color: ColorLike = None) -> QIcon:
    """The icon ``assets/icons/<name>.svg`` drawn in ``color`` (default: the palette's button text colour).

    Never raises: a missing or broken file is logged and gives a null QIcon, i.e. a blank button face."""
    # A copy (cheap: QIcon shares its data) so a caller that adds to its icon cannot alter the cached one.
    return QIcon(_cached_icon(name, _resolve(color).rgba()))


@cache
def _cached_icon(name: str, rgba: int) -> QIcon:
    # Keyed by the colour's ARGB value, so "white", "#ffffff" and QColor(255, 255, 255) share one icon.
    path = icon_path(name)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        # A missing icon is a packaging bug, not a reason to crash a call.
        logger.error("icon %s missing at %s: %s", name, path, exc)
        return QIcon()
    color = QColor.fromRgba(rgba)
    # The SVG gets an opaque colour; the engine applies the alpha to the whole rendered icon (see there).
    svg = text.replace("currentColor", color.name(QColor.NameFormat.HexRgb)).encode("utf-8")
    engine = _SvgIconEngine(svg, color.alphaF())
    if engine.isNull():
        logger.error("icon %s at %s is not a valid SVG", name, path)
        return QIcon()
    return QIcon(engine)


def svg_pixmap(name: str, size: QSize, color: ColorLike, device_pixel_ratio: float) -> QPixmap:
    """``name`` drawn in ``color`` for a painter: ``size`` logical pixels at ``device_pixel_ratio``.

    Pass the target's ``devicePixelRatioF()`` and draw at the logical size; a null pixmap if the icon is missing.
    """
    return icon(name, color).pixmap(size, device_pixel_ratio)


_DISC_CACHE: dict[tuple[str, int, int, int, float], QPixmap] = {}


def disc_pixmap(name: str, side: int, color: ColorLike, fill: QColor, device_pixel_ratio: float) -> QPixmap:
    """``name`` drawn in ``color`` on a disc of ``fill``, ``side`` logical pixels across: a badge that reads the same
    on a light panel, a dark one and a video (the raised hand). Made once per icon, colours, size and scale."""
    glyph = _resolve(color)
    key = (name, side, glyph.rgba(), fill.rgba(), device_pixel_ratio)
    cached = _DISC_CACHE.get(key)
    if cached is not None:
        return cached
    physical = max(1, round(side * device_pixel_ratio))
    pixmap = QPixmap(physical, physical)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(fill)
    painter.drawEllipse(QRectF(0, 0, physical, physical))
    inset = round(physical * 0.2)
    inner = physical - 2 * inset
    painter.drawPixmap(inset, inset, icon(name, glyph).pixmap(QSize(inner, inner), 1.0))
    painter.end()
    pixmap.setDevicePixelRatio(device_pixel_ratio)
    _DISC_CACHE[key] = pixmap
    return pixmap
