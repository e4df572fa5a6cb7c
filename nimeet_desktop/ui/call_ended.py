"""Why a call ended (or never began) when it was not the user's doing: removed, not let in, the meeting ended by a
host, the room deleted, a locked meeting, a meeting the user was removed from. Said once, in a notice that stays
until it is read: a toast would be gone before someone who looked away from the screen saw it.
"""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from nimeet_desktop.ui import messages
from nimeet_desktop.ui.untrusted import isolate
from signaling_server.protocol import ErrorCode


class CallEnd(StrEnum):
    """The server's words for it: events (``removed``, ``denied``), ``meeting-ended`` reasons, join refusals."""

    REMOVED = "removed"  # ``removed {by}``: a host took us out
    DENIED = "denied"  # ``denied {}``: a host did not let us in from the lobby
    ENDED_BY_HOST = "ended-by-host"  # ``meeting-ended``
    ROOM_DELETED = "room-deleted"  # ``meeting-ended``
    ROOM_LOCKED = "room-locked"  # ``join-room``'s refusal
    REMOVED_FROM_ROOM = "removed-from-room"  # ``join-room``'s refusal: removed earlier in this meeting


# Before the call began: the notice's title says the join failed, not that a call ended.
_REFUSALS = frozenset({CallEnd.DENIED, CallEnd.ROOM_LOCKED, CallEnd.REMOVED_FROM_ROOM})


def call_end_text(reason: CallEnd, by_username: str | None = None) -> str:
    """One whole sentence per reason (and per whether the host's name is known): word order differs per language."""
    host = isolate(by_username) if by_username else None
    if reason is CallEnd.REMOVED:
        if host is not None:
            return QCoreApplication.translate("CallEnded", "{host} removed you from the meeting").format(host=host)
        return QCoreApplication.translate("CallEnded", "A host removed you from the meeting")
    if reason is CallEnd.DENIED:
        return QCoreApplication.translate("CallEnded", "The host did not let you in")
    if reason is CallEnd.ENDED_BY_HOST:
        if host is not None:
            return QCoreApplication.translate("CallEnded", "{host} ended the meeting for everyone").format(host=host)
        return QCoreApplication.translate("CallEnded", "The host ended the meeting for everyone")
    if reason is CallEnd.ROOM_DELETED:
        return QCoreApplication.translate("CallEnded", "The meeting ended: its room was deleted")
    # A join refused for these says what the error's own sentence says (ui/messages.py).
    code = ErrorCode.ROOM_LOCKED if reason is CallEnd.ROOM_LOCKED else ErrorCode.REMOVED_FROM_ROOM
    sentence = messages.error_code(code)
    assert sentence is not None  # every server code has one (tests/ui/test_messages.py)
    return sentence


class CallEndedNotice(QMessageBox):
    """Window-modal (``open()``), one OK button."""

    def __init__(self, parent: QWidget, reason: CallEnd, by_username: str | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("callEnded")
        self.reason = reason
        self.setIcon(QMessageBox.Icon.Information)
        self.setTextFormat(Qt.TextFormat.PlainText)  # a host's name is someone else's words
        refused = reason in _REFUSALS
        self.setWindowTitle(self.tr("Could not join") if refused else self.tr("The call ended"))
        self.setText(call_end_text(reason, by_username))
        self.setStandardButtons(QMessageBox.StandardButton.Ok)
