"""macOS hands ``nimeet://`` links to a running app as a ``QEvent.FileOpen`` (``QFileOpenEvent.url()``) on the
application object, not on the command line: this filter takes them to the same strict parser and the same
``open_link`` as every other link. The URL is taken fully encoded, as the link was written: Qt's default display
form decodes some escapes (``%20`` becomes a space), and the parser must judge what the sender wrote."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QUrl
from PySide6.QtGui import QFileOpenEvent

from nimeet_desktop.net.links import InvalidLink, JoinTarget, parse_join_target

logger = logging.getLogger(__name__)


class FileOpenLinks(QObject):
    """Install on the QApplication (``app.installEventFilter``); ``on_link`` or ``on_bad`` runs for each link."""

    def __init__(
        self,
        on_link: Callable[[JoinTarget], None],
        on_bad: Callable[[InvalidLink], None],
        on_ics: Callable[[Path], None] | None = None,
    ) -> None:
        super().__init__()
        self._on_link = on_link
        self._on_bad = on_bad
        self._on_ics = on_ics  # a calendar file opened with the app: schedule a meeting from it

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.FileOpen or not isinstance(event, QFileOpenEvent):
            return False
        url = event.url()
        local = event.file()
        if self._on_ics is not None and local and Path(local).suffix.lower() == ".ics":
            self._on_ics(Path(local))
            return True
        text = url.toString(QUrl.ComponentFormattingOption.FullyEncoded) if url.isValid() else event.file()
        try:
            target = parse_join_target(text)
        except InvalidLink as exc:
            logger.info("the system opened something that is not a join link: %s", exc.message)
            self._on_bad(exc)
            return True
        self._on_link(target)
        return True
