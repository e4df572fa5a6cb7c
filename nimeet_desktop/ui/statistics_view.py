"""The call's statistics for people, as Zoom's and Jitsi's: one compact table, refreshed every second.

A row for what we send, then one per participant: resolution, frame rate received (decoded) and painted, bitrate,
packet loss, round trip. Numbers carry their units; "—" is "not known (yet)", never a made-up zero. The figures
come as an immutable ``CallStats`` (``ui/call_statistics.py``); this dialog only formats them.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLocale, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nimeet_desktop.call.call_stats import CallStats, SentStats, TileStats
from nimeet_desktop.ui.untrusted import clip, plain_label

UNKNOWN = "—"


def _number(value: float, decimals: int = 0) -> str:
    """In the interface language's way (a decimal comma in Russian); no thousands separator (a column of short
    numbers reads better without, and "1 133" would look like two numbers)."""
    locale = QLocale()
    locale.setNumberOptions(QLocale.NumberOption.OmitGroupSeparator)
    return locale.toString(float(value), "f", decimals)


def resolution_text(width: int | None, height: int | None) -> str:
    return UNKNOWN if not width or not height else f"{width}×{height}"


def fps_text(fps: float | None) -> str:
    if fps is None:
        return UNKNOWN
    return QCoreApplication.translate("StatisticsView", "{value} fps").format(value=_number(fps))


def bitrate_text(bps: float | None) -> str:
    if bps is None:
        return UNKNOWN
    if bps >= 1_000_000:
        return QCoreApplication.translate("StatisticsView", "{value} Mbit/s").format(value=_number(bps / 1_000_000, 1))
    return QCoreApplication.translate("StatisticsView", "{value} kbit/s").format(value=_number(bps / 1000))


def loss_text(fraction: float | None) -> str:
    if fraction is None:
        return UNKNOWN
    return QCoreApplication.translate("StatisticsView", "{value} %").format(value=_number(100 * fraction, 1))


def round_trip_text(seconds: float | None) -> str:
    if seconds is None:
        return UNKNOWN
    return QCoreApplication.translate("StatisticsView", "{value} ms").format(value=_number(1000 * seconds))


class StatisticsDialog(QDialog):
    """Non-modal: the call goes on around it. ``finished`` once it is closed (the button, Esc, the window's own)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statisticsDialog")
        self.setWindowTitle(self.tr("Call statistics"))
        self.setModal(False)
        self.headers = [
            self.tr("Participant"),
            self.tr("Resolution"),
            self.tr("Frame rate"),
            self.tr("Painted"),
            self.tr("Bitrate"),
            self.tr("Packet loss"),
            self.tr("Round trip"),
        ]
        self.table = QTableWidget(0, len(self.headers))
        self.table.setObjectName("statisticsTable")
        self.table.setHorizontalHeaderLabels(self.headers)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(60)
        for column in range(1, len(self.headers)):
            item = self.table.horizontalHeaderItem(column)
            if item is not None:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.note = plain_label(
            self.tr(
                "Frame rate: frames received and decoded per second; painted: frames shown on this screen. "
                "Bitrate: everything received from that person. Packet loss and round trip come from the "
                "connections' RTCP reports; “—” means not known yet."
            )
        )
        self.note.setObjectName("statisticsNote")
        self.note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self.resize(760, 320)

    def show_stats(self, stats: CallStats) -> None:
        rows = [self._sent_row(stats.sent), *(self._tile_row(tile) for tile in stats.tiles)]
        self.table.setRowCount(len(rows))
        for row, cells in enumerate(rows):
            for column, text in enumerate(cells):
                item = self.table.item(row, column)
                if item is None:
                    item = QTableWidgetItem()
                    if column > 0:
                        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    self.table.setItem(row, column, item)
                if item.text() != text:
                    item.setText(text)  # plain text: a table item never reads markup

    def _sent_row(self, sent: SentStats) -> list[str]:
        sending = sent.width is not None
        return [
            self.tr("You (sending)"),
            resolution_text(sent.width, sent.height),
            fps_text(sent.fps if sending else None),
            UNKNOWN,
            bitrate_text(sent.bitrate_bps),
            loss_text(sent.loss_fraction),
            UNKNOWN,
        ]

    @staticmethod
    def _tile_row(tile: TileStats) -> list[str]:
        # Camera off (and no screen): no picture, so no resolution or frame rate to speak of (not "0 fps").
        video = tile.video_on and tile.width is not None
        return [
            clip(tile.username),  # someone else's name: capped, control characters made visible; elided by the table
            resolution_text(tile.width, tile.height) if video else UNKNOWN,
            fps_text(tile.decoded_fps if video else None),
            fps_text(tile.painted_fps if video else None),
            bitrate_text(tile.bitrate_bps),
            loss_text(tile.loss_fraction if video else None),
            round_trip_text(tile.round_trip_s),
        ]

    def row_texts(self, row: int) -> list[str]:
        """What a row shows, for tests and the screenshots' checks."""
        texts = []
        for column in range(self.table.columnCount()):
            item = self.table.item(row, column)
            texts.append(item.text() if item is not None else "")
        return texts
