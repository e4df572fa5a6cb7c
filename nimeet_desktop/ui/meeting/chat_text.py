"""One chat message's words: plain text whose http(s) addresses are links, selectable, as tall as its lines.

The text never goes through HTML or Markdown. It is put into the document piece by piece with a text cursor: the
words as plain characters, each address (found by ``untrusted.link_spans``) as characters with a link format. So a
message that says ``<img src="file:///dev/zero">`` shows exactly that, and the only links are the addresses it
spells out, shown as they are (never a text standing for another address). A click opens an http or https address
in the browser (``QDesktopServices``), and nothing else; the document never loads a resource.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import (
    QDesktopServices,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextOption,
)
from PySide6.QtWidgets import QFrame, QSizePolicy, QTextBrowser, QWidget

from nimeet_desktop.ui.untrusted import link_spans, message_text, tooltip

LINK_SCHEMES = ("http", "https")
# First-strong isolate ... pop: an address keeps its own direction whatever override the words before it opened, so
# "\u202e" before a link cannot show its characters backwards.
_FSI, _PDI = "\u2068", "\u2069"


def safe_link(url: QUrl) -> bool:
    """Whether ``url`` may be opened: an http or https address with a host, nothing else (no ``file:``, no
    ``javascript:``, no scheme of some other application)."""
    return url.isValid() and url.scheme().lower() in LINK_SCHEMES and bool(url.host())


def open_link(url: QUrl) -> bool:
    """Open ``url`` in the browser if it is safe (``safe_link``); whether it was handed over."""
    if not safe_link(url):
        return False
    return QDesktopServices.openUrl(url)


class ChatText(QTextBrowser):
    """A message's words. Its height follows its width (``heightForWidth``), so a column of them needs no scroll bars
    of their own."""

    link_opened = Signal(QUrl)  # a link was clicked and handed to the browser

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatText")
        self.setOpenLinks(False)  # never navigate the widget itself; _activated decides
        self.setOpenExternalLinks(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)  # a long address wraps too
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.viewport().setAutoFillBackground(False)
        self.document().setDocumentMargin(0)
        self.urls: list[str] = []  # the message's links, in order
        self._fill(message_text(text))
        self.anchorClicked.connect(self._activated)

    def _fill(self, text: str) -> None:
        cursor = QTextCursor(self.document())
        plain = QTextCharFormat()
        for words, url in link_spans(text):
            if url is None:
                cursor.insertText(words, plain)
                continue
            link = QTextCharFormat()
            link.setAnchor(True)
            link.setAnchorHref(url)
            link.setForeground(self.palette().link())
            link.setFontUnderline(True)
            link.setToolTip(tooltip(url, len(url)))  # a tooltip is read as rich text: the sender's URL escaped
            cursor.insertText(_FSI, plain)
            cursor.insertText(words, link)
            cursor.insertText(_PDI, plain)
            self.urls.append(url)

    def loadResource(self, type: int, name: QUrl | str) -> object:
        return None  # a message has no images or style sheets, and never fetches any

    def _activated(self, url: QUrl) -> None:
        if open_link(url):
            self.link_opened.emit(url)

    # ---- size ---------------------------------------------------------------------------------------------

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        measure: QTextDocument = self.document().clone()
        measure.setDefaultFont(self.font())
        measure.setTextWidth(max(1, width))
        return math.ceil(measure.size().height())

    def sizeHint(self) -> QSize:
        ideal = math.ceil(self.document().idealWidth())
        width = self.width() if self.width() > 1 else ideal
        return QSize(ideal, self.heightForWidth(width))

    def minimumSizeHint(self) -> QSize:
        return QSize(40, self.fontMetrics().height())
