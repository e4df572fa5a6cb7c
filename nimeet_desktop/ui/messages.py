"""What the engine and the server report, as sentences people can read in their own language.

The engine (``call``, ``media``, ``net``) never imports Qt, so it cannot translate: it raises errors with a code
(``ApiError.code``, ``SignalingError.code``, the ``signaling_server.protocol.ErrorCode`` values) or, where it has
none yet, an English message of its own. Both are mapped here to a translated sentence, and whatever is not known
gets a translated fallback rather than the raw English text. Every table is keyed by what the engine sends, so a
test can check that each code and each engine message has its sentence (tests/ui/test_messages.py).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QObject

from nimeet_desktop.local_server import LocalServerError
from nimeet_desktop.net.error_codes import AnyErrorCode, LocalErrorCode
from nimeet_desktop.net.links import InvalidLink, InvalidServerUrl, LinkProblem, ServerUrlProblem
from nimeet_desktop.net.rest import ApiError, RestError
from nimeet_desktop.net.signaling import SignalingError, Unauthorized
from nimeet_desktop.ui.untrusted import MESSAGE_CHARS, isolate
from signaling_server.protocol import ErrorCode

logger = logging.getLogger(__name__)

CONTEXT = "Messages"


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # the name lupdate looks for
    """Marks ``text`` for lupdate and returns it untranslated: the tables below are built before any translator is
    installed, so they hold the English text and ``_tr`` translates it when it is shown. (PySide6's own
    ``QT_TRANSLATE_NOOP`` is typed as returning ``object``.)"""
    return text


def _tr(text: str) -> str:
    """A table's sentence (marked with QT_TRANSLATE_NOOP, so lupdate has collected it) in the UI's language."""
    return QCoreApplication.translate(CONTEXT, text)


# Server error codes (REST answers and socket.io acks) and the signaling client's own codes.
ERROR_CODES: dict[AnyErrorCode, str] = {
    ErrorCode.UNAUTHORIZED: QT_TRANSLATE_NOOP("Messages", "Your session has expired: please sign in again"),
    ErrorCode.INVALID_INPUT: QT_TRANSLATE_NOOP("Messages", "The server did not accept what was entered"),
    ErrorCode.USERNAME_TAKEN: QT_TRANSLATE_NOOP("Messages", "This username is already taken"),
    ErrorCode.EMAIL_TAKEN: QT_TRANSLATE_NOOP("Messages", "An account with this email already exists"),
    ErrorCode.INVALID_CREDENTIALS: QT_TRANSLATE_NOOP("Messages", "Wrong email or password"),
    ErrorCode.RATE_LIMITED: QT_TRANSLATE_NOOP("Messages", "Too many attempts: please wait a little"),
    ErrorCode.ROOM_NOT_FOUND: QT_TRANSLATE_NOOP("Messages", "This room does not exist or was deleted"),
    ErrorCode.NOT_FOUND: QT_TRANSLATE_NOOP("Messages", "The server does not know this request: is it a NIMeet server?"),
    ErrorCode.METHOD_NOT_ALLOWED: QT_TRANSLATE_NOOP(
        "Messages", "The server does not support this request: it may be an older version"
    ),
    ErrorCode.INTERNAL: QT_TRANSLATE_NOOP("Messages", "Something went wrong on the server: please try again"),
    ErrorCode.UNAVAILABLE: QT_TRANSLATE_NOOP("Messages", "The server is busy right now: please try again shortly"),
    # The app meets it when a server is reached under a name it does not answer to (its NIMEET_ALLOWED_HOSTS).
    ErrorCode.FORBIDDEN: QT_TRANSLATE_NOOP(
        "Messages", "The server refused this address: use the address its administrator gave you"
    ),
    ErrorCode.ROOM_FULL: QT_TRANSLATE_NOOP("Messages", "This call is full"),
    ErrorCode.ALREADY_IN_ROOM: QT_TRANSLATE_NOOP("Messages", "You are already in this call"),
    ErrorCode.NOT_IN_ROOM: QT_TRANSLATE_NOOP("Messages", "You are no longer in this call"),
    ErrorCode.UNKNOWN_TARGET: QT_TRANSLATE_NOOP("Messages", "That participant has already left the call"),
    ErrorCode.TOO_LARGE: QT_TRANSLATE_NOOP("Messages", "The message is too large for the server"),
    ErrorCode.UNKNOWN_EVENT: QT_TRANSLATE_NOOP(
        "Messages", "The server does not understand this version of NIMeet: please update the app"
    ),
    ErrorCode.TOO_MANY_CONNECTIONS: QT_TRANSLATE_NOOP(
        "Messages", "You are connected from too many places: close NIMeet on another device and try again"
    ),
    # v1.1: joining a room with a password, a locked meeting, one the user was removed from (issue 14).
    ErrorCode.PASSWORD_REQUIRED: QT_TRANSLATE_NOOP("Messages", "This meeting needs a password"),
    ErrorCode.WRONG_PASSWORD: QT_TRANSLATE_NOOP("Messages", "Wrong password for this meeting"),
    ErrorCode.ROOM_LOCKED: QT_TRANSLATE_NOOP("Messages", "This meeting is locked: nobody else can join it right now"),
    ErrorCode.REMOVED_FROM_ROOM: QT_TRANSLATE_NOOP(
        "Messages", "You were removed from this meeting: you can join again once it has ended"
    ),
    # A host's action refused: the only host stepping down (issue 14); a meeting overlapping another (issue 15).
    ErrorCode.LAST_HOST: QT_TRANSLATE_NOOP("Messages", "You are the only host: make someone else a host first"),
    ErrorCode.SCHEDULE_CONFLICT: QT_TRANSLATE_NOOP(
        "Messages", "Another meeting is scheduled in this room at that time"
    ),
    # The client's own (net/error_codes.py); UNKNOWN, a code of a newer server, gets the fallback.
    LocalErrorCode.UNREACHABLE: QT_TRANSLATE_NOOP("Messages", "Cannot reach the server: check your connection"),
    LocalErrorCode.TIMEOUT: QT_TRANSLATE_NOOP("Messages", "The server did not answer in time: please try again"),
    LocalErrorCode.DISCONNECTED: QT_TRANSLATE_NOOP("Messages", "The connection to the server was lost"),
    LocalErrorCode.INVALID_ACK: QT_TRANSLATE_NOOP(
        "Messages", "The server gave an unexpected answer: is it a NIMeet server?"
    ),
    LocalErrorCode.HTTP_STATUS: QT_TRANSLATE_NOOP(
        "Messages", "The server gave an unexpected answer: is it a NIMeet server?"
    ),
}
SERVER_ERROR_FALLBACK = QT_TRANSLATE_NOOP("Messages", "The server reported an error: please try again")

# net/links.py's reasons for refusing a link or a server address.
LINK_ERRORS: dict[LinkProblem, str] = {
    LinkProblem.NOT_TEXT: QT_TRANSLATE_NOOP("Messages", "This is neither an invite link nor a room id"),
    LinkProblem.NOT_A_LINK: QT_TRANSLATE_NOOP("Messages", "This is neither an invite link nor a room id"),
    LinkProblem.EMPTY: QT_TRANSLATE_NOOP("Messages", "Paste an invite link or type a room id"),
    LinkProblem.TOO_LONG: QT_TRANSLATE_NOOP("Messages", "This invite link is too long"),
    LinkProblem.BAD_CHARACTERS: QT_TRANSLATE_NOOP("Messages", "An invite link cannot contain spaces or symbols"),
    LinkProblem.BAD_NIMEET_LINK: QT_TRANSLATE_NOOP("Messages", "An invite link looks like nimeet://join/<room id>"),
    LinkProblem.BAD_NIMEET_QUERY: QT_TRANSLATE_NOOP(
        "Messages", "An invite link can carry nothing after the room id but its server (?server=…)"
    ),
    LinkProblem.BAD_WEB_LINK: QT_TRANSLATE_NOOP(
        "Messages", "A web invite link looks like https://<server>/join/<room id>"
    ),
    LinkProblem.BAD_SERVER: QT_TRANSLATE_NOOP("Messages", "The server address in this link is not valid"),
    LinkProblem.UNSUPPORTED_SCHEME: QT_TRANSLATE_NOOP(
        "Messages", "Only nimeet://, https:// and http:// invite links can be opened"
    ),
}
SERVER_URL_ERRORS: dict[ServerUrlProblem, str] = {
    ServerUrlProblem.NOT_TEXT: QT_TRANSLATE_NOOP("Messages", "This is not a valid server address"),
    ServerUrlProblem.NOT_A_URL: QT_TRANSLATE_NOOP("Messages", "This is not a valid server address"),
    ServerUrlProblem.EMPTY: QT_TRANSLATE_NOOP("Messages", "Enter the server's address"),
    ServerUrlProblem.TOO_LONG: QT_TRANSLATE_NOOP("Messages", "This server address is too long"),
    ServerUrlProblem.BAD_CHARACTERS: QT_TRANSLATE_NOOP(
        "Messages", "A server address cannot contain spaces or non-Latin letters"
    ),
    ServerUrlProblem.BAD_SCHEME: QT_TRANSLATE_NOOP("Messages", "The address must start with https:// or http://"),
    ServerUrlProblem.QUERY_OR_FRAGMENT: QT_TRANSLATE_NOOP("Messages", "Leave anything after ? or # out of the address"),
    ServerUrlProblem.USER_INFO: QT_TRANSLATE_NOOP("Messages", "Leave the user name and password out of the address"),
    ServerUrlProblem.NO_HOST: QT_TRANSLATE_NOOP("Messages", "The address has no server name"),
    ServerUrlProblem.BAD_PORT: QT_TRANSLATE_NOOP("Messages", "The port in this address is not valid"),
    ServerUrlProblem.BAD_HOST: QT_TRANSLATE_NOOP("Messages", "The server name in this address is not valid"),
    ServerUrlProblem.BAD_PATH: QT_TRANSLATE_NOOP("Messages", "The path in this address is not valid"),
}


class MessagePlurals(QObject):
    """Sentences with a number in them. pyside6-lupdate records plural forms only from ``self.tr(text, "", n)``:
    ``QCoreApplication.translate(context, text, None, n)`` with a variable ``n`` comes out as a singular message.
    The context is this class's name, as it is for ``self.tr`` at run time."""

    def retry_in(self, seconds: int) -> str:
        return self.tr("Too many attempts: try again in %n second(s)", "", seconds)


def error_code(code: AnyErrorCode) -> str | None:
    """The sentence for a server or signaling error code; None when the code is not one we know."""
    sentence = ERROR_CODES.get(code)
    return None if sentence is None else _tr(sentence)


def api_error(exc: ApiError) -> str:
    """A REST error answer as a sentence; a rate limit says how long to wait."""
    if exc.code == ErrorCode.RATE_LIMITED and exc.retry_after:
        seconds = int(exc.retry_after) + 1
        return MessagePlurals().retry_in(seconds)
    return _code_or_fallback(exc.code, exc.raw_code, exc.message)


def rest_error(exc: RestError) -> str:
    """Any REST failure: the server's answer, or why there was none."""
    if isinstance(exc, ApiError):
        return api_error(exc)
    return QCoreApplication.translate(
        "Messages", "Cannot reach the server: check your connection and the server's address"
    )


def signaling_error(exc: SignalingError) -> str:
    if isinstance(exc, Unauthorized):
        return _tr(ERROR_CODES[ErrorCode.UNAUTHORIZED])
    return _code_or_fallback(exc.code, exc.raw_code, exc.message)


def _code_or_fallback(code: AnyErrorCode, raw_code: str, message: str) -> str:
    known = error_code(code)
    if known is not None:
        return known
    logger.info("no translated sentence for error %s (%s)", raw_code, message)
    return _tr(SERVER_ERROR_FALLBACK)


def link_error(exc: InvalidLink) -> str:
    return _tr(LINK_ERRORS[exc.problem])


def server_url_error(exc: InvalidServerUrl) -> str:
    return _tr(SERVER_URL_ERRORS[exc.problem])


def local_server_error(exc: LocalServerError) -> str:
    # The reason is the server's last line of output: technical, but what someone helping them needs to see.
    reason = exc.message.removeprefix("the local server could not start: ")
    return QCoreApplication.translate("Messages", "The server on this computer could not start ({reason})").format(
        reason=isolate(reason, MESSAGE_CHARS)
    )


def unexpected_error(exc: BaseException) -> str:
    """A failure nobody foresaw (a task's exception): a sentence of ours, the details in the log."""
    if isinstance(exc, RestError):
        return rest_error(exc)
    if isinstance(exc, SignalingError):
        return signaling_error(exc)
    # Never the exception's own words: English, technical, and sometimes what nobody should see. The log has them.
    return QCoreApplication.translate("Messages", "Something went wrong (the details are in the log)")
