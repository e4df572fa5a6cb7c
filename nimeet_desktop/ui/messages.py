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
from nimeet_desktop.net.links import InvalidLink, InvalidServerUrl
from nimeet_desktop.net.rest import ApiError, RestError
from nimeet_desktop.net.signaling import SignalingError, Unauthorized
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
ERROR_CODES: dict[str, str] = {
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
    ErrorCode.ROOM_FULL: QT_TRANSLATE_NOOP("Messages", "This call is full"),
    ErrorCode.ALREADY_IN_ROOM: QT_TRANSLATE_NOOP("Messages", "You are already in this call"),
    ErrorCode.NOT_IN_ROOM: QT_TRANSLATE_NOOP("Messages", "You are no longer in this call"),
    ErrorCode.UNKNOWN_TARGET: QT_TRANSLATE_NOOP("Messages", "That participant has already left the call"),
    ErrorCode.TOO_LARGE: QT_TRANSLATE_NOOP("Messages", "The message is too large for the server"),
    ErrorCode.UNKNOWN_EVENT: QT_TRANSLATE_NOOP(
        "Messages", "The server does not understand this version of NIMeet: please update the app"
    ),
    # net/signaling.py's own codes
    "unreachable": QT_TRANSLATE_NOOP("Messages", "Cannot reach the server: check your connection"),
    "timeout": QT_TRANSLATE_NOOP("Messages", "The server did not answer in time: please try again"),
    "disconnected": QT_TRANSLATE_NOOP("Messages", "The connection to the server was lost"),
    "invalid-ack": QT_TRANSLATE_NOOP("Messages", "The server gave an unexpected answer: is it a NIMeet server?"),
}
SERVER_ERROR_FALLBACK = QT_TRANSLATE_NOOP("Messages", "The server reported an error: please try again")

# net/links.py's InvalidLink messages, by how they start (some end with details). Longest prefixes first.
LINK_ERRORS: list[tuple[str, str]] = [
    ("the link is empty", QT_TRANSLATE_NOOP("Messages", "Paste an invite link or type a room id")),
    ("the link is too long", QT_TRANSLATE_NOOP("Messages", "This invite link is too long")),
    ("the link contains spaces", QT_TRANSLATE_NOOP("Messages", "An invite link cannot contain spaces or symbols")),
    ("a NIMeet link must be", QT_TRANSLATE_NOOP("Messages", "An invite link looks like nimeet://join/<room id>")),
    (
        "a web join link must be",
        QT_TRANSLATE_NOOP("Messages", "A web invite link looks like https://<server>/join/<room id>"),
    ),
    ("the link's server is not valid", QT_TRANSLATE_NOOP("Messages", "The server address in this link is not valid")),
    (
        "unsupported link type",
        QT_TRANSLATE_NOOP("Messages", "Only nimeet://, https:// and http:// invite links can be opened"),
    ),
]
LINK_ERROR_FALLBACK = QT_TRANSLATE_NOOP("Messages", "This is neither an invite link nor a room id")

# net/links.py's InvalidServerUrl messages.
SERVER_URL_ERRORS: list[tuple[str, str]] = [
    ("the server address is empty", QT_TRANSLATE_NOOP("Messages", "Enter the server's address")),
    ("the server address is too long", QT_TRANSLATE_NOOP("Messages", "This server address is too long")),
    (
        "the server address must start with",
        QT_TRANSLATE_NOOP("Messages", "The address must start with https:// or http://"),
    ),
    (
        "the server address contains spaces",
        QT_TRANSLATE_NOOP("Messages", "A server address cannot contain spaces or non-Latin letters"),
    ),
    (
        "the server address must not contain a user name",
        QT_TRANSLATE_NOOP("Messages", "Leave the user name and password out of the address"),
    ),
    (
        "the server address must not have a query",
        QT_TRANSLATE_NOOP("Messages", "Leave anything after ? or # out of the address"),
    ),
    ("the server address has no host name", QT_TRANSLATE_NOOP("Messages", "The address has no server name")),
    ("the server address has an invalid port", QT_TRANSLATE_NOOP("Messages", "The port in this address is not valid")),
    (
        "the server address has an invalid host",
        QT_TRANSLATE_NOOP("Messages", "The server name in this address is not valid"),
    ),
    (
        "the server address has an invalid IPv6",
        QT_TRANSLATE_NOOP("Messages", "The IPv6 address in this address is not valid"),
    ),
]
SERVER_URL_FALLBACK = QT_TRANSLATE_NOOP("Messages", "This is not a valid server address")

# What the call engine reports through CallObserver.on_error, by how the message starts.
CALL_ERRORS: list[tuple[str, str]] = [
    (
        "camera unavailable",
        QT_TRANSLATE_NOOP("Messages", "The camera cannot be used: it may be unplugged or busy in another app"),
    ),
    (
        "no microphone",
        QT_TRANSLATE_NOOP("Messages", "The microphone cannot be used: it may be unplugged or busy in another app"),
    ),
    ("screen sharing unavailable", QT_TRANSLATE_NOOP("Messages", "Screen sharing is not available on this computer")),
    ("camera stopped", QT_TRANSLATE_NOOP("Messages", "Your camera stopped working")),
    ("microphone stopped", QT_TRANSLATE_NOOP("Messages", "Your microphone stopped working")),
    ("screen stopped", QT_TRANSLATE_NOOP("Messages", "Screen sharing stopped")),
    ("signaling closed", QT_TRANSLATE_NOOP("Messages", "The connection to the server was closed")),
    ("could not rejoin the room", QT_TRANSLATE_NOOP("Messages", "Could not rejoin the call after reconnecting")),
]
CALL_ERROR_FALLBACK = QT_TRANSLATE_NOOP("Messages", "Something went wrong in the call")

DEVICE_ERRORS: dict[str, str] = {
    "camera": QT_TRANSLATE_NOOP("Messages", "The camera cannot be used: it may be unplugged or busy in another app"),
    "microphone": QT_TRANSLATE_NOOP(
        "Messages", "The microphone cannot be used: it may be unplugged or busy in another app"
    ),
}
DEVICE_ERROR_FALLBACK = QT_TRANSLATE_NOOP("Messages", "A device cannot be used")


class MessagePlurals(QObject):
    """Sentences with a number in them. pyside6-lupdate records plural forms only from ``self.tr(text, "", n)``:
    ``QCoreApplication.translate(context, text, None, n)`` with a variable ``n`` comes out as a singular message.
    The context is this class's name, as it is for ``self.tr`` at run time."""

    def retry_in(self, seconds: int) -> str:
        return self.tr("Too many attempts: try again in %n second(s)", "", seconds)


def _by_prefix(message: str, table: list[tuple[str, str]], fallback: str, what: str) -> str:
    for prefix, sentence in table:
        if message.startswith(prefix):
            return _tr(sentence)
    logger.info("no translated sentence for %s %r", what, message)
    return _tr(fallback)


def error_code(code: str) -> str | None:
    """The sentence for a server or signaling error code; None when the code is not one we know."""
    sentence = ERROR_CODES.get(code)
    return None if sentence is None else _tr(sentence)


def api_error(exc: ApiError) -> str:
    """A REST error answer as a sentence; a rate limit says how long to wait."""
    if exc.code == ErrorCode.RATE_LIMITED and exc.retry_after:
        seconds = int(exc.retry_after) + 1
        return MessagePlurals().retry_in(seconds)
    known = error_code(exc.code)
    if known is not None:
        return known
    logger.info("no translated sentence for server error %s (%s)", exc.code, exc.message)
    return _tr(SERVER_ERROR_FALLBACK)


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
    known = error_code(exc.code)
    if known is not None:
        return known
    logger.info("no translated sentence for signaling error %s (%s)", exc.code, exc.message)
    return _tr(SERVER_ERROR_FALLBACK)


def link_error(exc: InvalidLink) -> str:
    return _by_prefix(exc.message, LINK_ERRORS, LINK_ERROR_FALLBACK, "link error")


def server_url_error(exc: InvalidServerUrl) -> str:
    return _by_prefix(exc.message, SERVER_URL_ERRORS, SERVER_URL_FALLBACK, "server address error")


def call_error(message: str) -> str:
    return _by_prefix(message, CALL_ERRORS, CALL_ERROR_FALLBACK, "call error")


def device_error(kind: str) -> str:
    """A camera or microphone that cannot open or stopped (``kind`` as ``DevicePreview`` reports it)."""
    return _tr(DEVICE_ERRORS.get(kind, DEVICE_ERROR_FALLBACK))


def local_server_error(exc: LocalServerError) -> str:
    # The reason is the server's last line of output: technical, but what someone helping them needs to see.
    reason = exc.message.removeprefix("the local server could not start: ")
    return QCoreApplication.translate("Messages", "The server on this computer could not start ({reason})").format(
        reason=reason
    )


def unexpected_error(exc: BaseException) -> str:
    """A failure nobody foresaw (a task's exception): a sentence of ours, the details in the log."""
    if isinstance(exc, RestError):
        return rest_error(exc)
    if isinstance(exc, SignalingError):
        return signaling_error(exc)
    return QCoreApplication.translate("Messages", "Something went wrong: {detail}").format(
        detail=str(exc) or type(exc).__name__
    )
