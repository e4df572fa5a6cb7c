"""Text that comes from the server or another person (room names, usernames, emails, addresses, room ids), made
safe to show.

Qt shows a label's text as rich text whenever it "looks like" HTML (``Qt.TextFormat.AutoText``, the default, and
every tooltip): a room named ``<img src="file:///dev/zero">`` made the app read /dev/zero into memory until it
froze (issue 10, item 5). So every label of the app is plain text (``plain``), the few tooltips that carry such text
are escaped (``tooltip``), and the text itself is capped in characters (``clip``) before any widget measures it:
10,000 characters of a name cost layout time everywhere they go. A name inside one of our sentences is wrapped in a
Unicode isolate (``isolate``), so that a right-to-left override in it cannot reorder the words of the sentence
around it. ``ElidedLabel`` also elides one line of such text to the width the layout gives it, ``elide_items`` the
items of a list to the list's width. A chat message (``message_text``, ``link_spans``) keeps its line breaks and has
its http(s) addresses found, so that the chat can make them links without ever reading the text as markup. The caps
are named once, here.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Final

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtWidgets import (
    QLabel,
    QListView,
    QSizePolicy,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

NAME_CHARS: Final = 100  # a room name or username shown anywhere (the server's own room-name limit is 100)
# A name inside one of our sentences ("Ada joined"): the server's username limit. A name is one unbreakable word
# to a toast's word wrap, and 32 of the widest letters still fit its line.
SENTENCE_NAME_CHARS: Final = 32
ADDRESS_CHARS: Final = 200  # a server address or an invite link
MESSAGE_CHARS: Final = 500  # a whole sentence on a label or a toast, names included
ELLIPSIS: Final = "…"
REPLACEMENT: Final = "\ufffd"  # what a control character is shown as: visible, and never a line break
ELIDED_PROPERTY: Final = "elided"  # tests/ui/layout_checks.py skips a label that elides on purpose

# First-strong isolate ... pop directional isolate (Unicode UAX #9): the text inside takes its own direction and
# ends every embedding or override it opened, whatever the sentence around it is.
_FSI: Final = "\u2068"
_PDI: Final = "\u2069"
_BREAKING_CATEGORIES: Final = frozenset({"Cc", "Zl", "Zp"})  # controls, line and paragraph separators
_MAX_HINT_WIDTH: Final = 480  # px: a long name asks for no more room than this; it elides below it
CHAT_CHARS: Final = 4000  # a chat message (the server's own limit, protocol.CHAT_TEXT_MAX)
LINK_CHARS: Final = 2000  # one address in a message: longer is not made a link (and is no address anyone types)
# A web address in a chat message: http or https, up to white space or a character that cannot be in an address
# (quotes, angle brackets) or that would make it read as another one (control, invisible, text-direction characters).
_LINK_RE: Final = re.compile(
    r"\bhttps?://[^\s<>\"'`\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]+", re.I
)
# Punctuation that ends a sentence, not an address: "see https://example.org." links without the dot.
_LINK_TRAILING: Final = ".,;:!?*_~"
_MESSAGE_CONTROLS: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def cap(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the last one an ellipsis when anything was cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)] + ELLIPSIS


def clip(text: str, limit: int = NAME_CHARS) -> str:
    """Someone else's text for one line: capped at ``limit`` characters, control characters and line breaks shown
    as U+FFFD. Everything else (bidi marks, zero-width characters, any script) is kept: it is what they typed."""
    text = cap(text, limit)
    if any(unicodedata.category(c) in _BREAKING_CATEGORIES for c in text):
        text = "".join(REPLACEMENT if unicodedata.category(c) in _BREAKING_CATEGORIES else c for c in text)
    return text


def isolate(text: str, limit: int = SENTENCE_NAME_CHARS) -> str:
    """``clip(text)`` to put inside one of our sentences: isolated, so its direction marks stay inside it."""
    return f"{_FSI}{clip(text, limit)}{_PDI}"


def tooltip(text: str, limit: int = ADDRESS_CHARS) -> str:
    """A tooltip showing ``text`` literally. Qt has no plain-text tooltip: it guesses, as AutoText does, so the text
    is escaped and marked as rich (``<qt>``) for the escapes to be read as characters."""
    return f"<qt>{html.escape(clip(text, limit))}</qt>"


def message_text(text: str) -> str:
    """A chat message to show: capped at ``CHAT_CHARS``, line breaks and tabs kept, every other control character
    (and the Unicode line and paragraph separators, which a text document would break on) shown as U+FFFD."""
    return _MESSAGE_CONTROLS.sub(REPLACEMENT, cap(text.replace("\r\n", "\n"), CHAT_CHARS))


def link_spans(text: str) -> list[tuple[str, str | None]]:
    """``text`` cut into (words, None) and (address, address) spans, in order: the http and https addresses are the
    only links a message has. Whatever else looks like markup or a link (``<a href=...>``, ``javascript:``,
    ``file:``) stays words. A closing bracket ends the address unless the address opened one (as Wikipedia's do)."""
    spans: list[tuple[str, str | None]] = []
    at = 0
    for found in _LINK_RE.finditer(text):
        url = found.group()
        while url and (url[-1] in _LINK_TRAILING or (url[-1] == ")" and url.count("(") < url.count(")"))):
            url = url[:-1]
        if len(url) <= len("https://") or len(url) > LINK_CHARS:
            continue
        if found.start() > at:
            spans.append((text[at : found.start()], None))
        spans.append((url, url))
        at = found.start() + len(url)
    if at < len(text):
        spans.append((text[at:], None))
    return spans


def plain(label: QLabel) -> QLabel:
    """``label``, set to show its text as plain text, whatever the text looks like."""
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def plain_label(text: str = "") -> QLabel:
    """A new plain-text QLabel."""
    return plain(QLabel(cap(text, MESSAGE_CHARS)))


class ElidedLabel(QLabel):
    """One line of plain text, capped at ``limit`` characters, elided at the right to the width it is given; when
    elided, the whole (capped) text is in its tooltip. ``setText`` takes the whole text; ``text()`` is what shows.

    Its size hint asks for the whole text up to ``_MAX_HINT_WIDTH`` and its minimum is an ellipsis: a long name
    never makes a window wider, it elides."""

    def __init__(self, text: str = "", limit: int = NAME_CHARS, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        plain(self)
        self.setProperty(ELIDED_PROPERTY, True)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._limit = limit
        self._full = ""
        self.setText(text)

    @property
    def full_text(self) -> str:
        """The text as set, after ``clip``: what shows when there is room for all of it."""
        return self._full

    def setText(self, text: str) -> None:
        self._full = clip(text, self._limit)
        self.updateGeometry()
        self._elide()

    def sizeHint(self) -> QSize:
        self.ensurePolished()
        margins = self.contentsMargins()
        extra = margins.left() + margins.right() + 2 * self.margin()
        width = min(self.fontMetrics().horizontalAdvance(self._full) + extra + 1, _MAX_HINT_WIDTH)
        return QSize(width, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        self.ensurePolished()
        return QSize(self.fontMetrics().horizontalAdvance(ELLIPSIS) * 2, super().minimumSizeHint().height())

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        self._elide()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._elide()

    def _elide(self) -> None:
        metrics = self.fontMetrics()
        width = self.contentsRect().width() - 2 * self.margin()
        # Elide only what does not fit: elidedText() at the exact advance can still cut the last letter off.
        if metrics.horizontalAdvance(self._full) <= width:
            shown = self._full
        else:
            shown = metrics.elidedText(self._full, Qt.TextElideMode.ElideRight, max(0, width))
        super().setText(shown)
        self.setToolTip(tooltip(self._full, self._limit) if shown != self._full else "")


class _NoWiderThanTheView(QStyledItemDelegate):
    """Items as wide as their text up to the view's width: the view then elides what does not fit (its
    ``textElideMode``) rather than growing a horizontal scroll bar for one long name."""

    def __init__(self, view: QListView) -> None:
        super().__init__(view)
        self._view = view

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        hint = super().sizeHint(option, index)
        return QSize(min(hint.width(), self._view.viewport().width()), hint.height())


def elide_items(view: QListView) -> None:
    """Elide ``view``'s items in the middle to its width (a room's id at the end stays readable), following it
    when it is resized."""
    view.setItemDelegate(_NoWiderThanTheView(view))
    view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
    view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    view.setResizeMode(QListView.ResizeMode.Adjust)
