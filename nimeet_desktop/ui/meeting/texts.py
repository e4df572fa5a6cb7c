"""The meeting's words that more than one widget says: sizes, times, what a host did to you, reactions' names."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QCoreApplication, QDateTime, QLocale

from nimeet_desktop.ui.untrusted import isolate


def reaction_name(emoji: str) -> str:
    """What a screen reader says for one of protocol.REACTIONS."""
    names = {
        "\U0001f44d": QCoreApplication.translate("Reactions", "Thumbs up"),
        "\U0001f44f": QCoreApplication.translate("Reactions", "Clapping"),
        "\U0001f602": QCoreApplication.translate("Reactions", "Laughing"),
        "\U0001f62e": QCoreApplication.translate("Reactions", "Surprised"),
        "\u2764\ufe0f": QCoreApplication.translate("Reactions", "Heart"),
        "\U0001f389": QCoreApplication.translate("Reactions", "Celebrating"),
        "\U0001f914": QCoreApplication.translate("Reactions", "Thinking"),
        "\U0001f44b": QCoreApplication.translate("Reactions", "Waving"),
    }
    return names.get(emoji, emoji)


def clock_time(seconds: float) -> str:
    """``1:05`` or ``1:02:05``: a span of time as a clock shows it (the call's length in the tray, the time recorded,
    a recording's length); whole seconds, the fraction dropped."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def file_size(size: int) -> str:
    """``size`` bytes for people, in the UI's language ("1.5 MB", "1,5 МБ")."""
    return QLocale().formattedDataSize(max(0, size), 1, QLocale.DataSizeFormat.DataSizeTraditionalFormat)


def local_time(when: datetime) -> str:
    """The time of day ``when`` (aware, usually UTC from the server) was, on this computer's clock, in the UI's
    language's short format ("2:05 PM", "14:05")."""
    moment = QDateTime.fromMSecsSinceEpoch(round(when.timestamp() * 1000)).toLocalTime()
    return QLocale().toString(moment.time(), QLocale.FormatType.ShortFormat)


def muted_by_host(media_type: str, by_username: str | None) -> str:
    """The toast when a host turned our microphone or camera off (``muted-by-host``)."""
    if media_type == "camera":
        if by_username:
            return QCoreApplication.translate("Meeting", "{name} turned your camera off").format(
                name=isolate(by_username)
            )
        return QCoreApplication.translate("Meeting", "A host turned your camera off")
    if by_username:
        return QCoreApplication.translate("Meeting", "{name} muted your microphone").format(name=isolate(by_username))
    return QCoreApplication.translate("Meeting", "A host muted your microphone")
