"""The protocol's meeting models as a test builds them: people, lobby entries, chat messages and files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from signaling_server.protocol import ChatMessage, FileInfo, LobbyEntry, Participant

NOW = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)


def person(
    socket_id: str,
    username: str,
    *,
    role: str = "participant",
    microphone: bool = True,
    camera: bool = True,
    hand_at: datetime | None = None,
) -> Participant:
    return Participant.model_validate(
        {
            "socketId": socket_id,
            "userId": f"user-{socket_id}",
            "username": username,
            "mediaState": {"camera": camera, "microphone": microphone, "screen": False},
            "role": role,
            "handRaisedAt": hand_at.isoformat() if hand_at else None,
        }
    )


def waiting(socket_id: str, username: str) -> LobbyEntry:
    return LobbyEntry(socket_id=socket_id, user_id=f"user-{socket_id}", username=username)


def message(
    number: int,
    sender: str,
    username: str,
    text: str,
    *,
    at: datetime = NOW,
    to: str | None = None,
    file: FileInfo | None = None,
) -> ChatMessage:
    return ChatMessage.model_validate(
        {
            "id": f"m{number}",
            "from": sender,
            "userId": f"user-{sender}",
            "username": username,
            "text": text,
            "sentAt": at.isoformat(),
            "to": to,
            "file": file.wire() if file else None,
        }
    )


def file_info(file_id: str, name: str, size: int = 1_500_000) -> FileInfo:
    return FileInfo(
        id=file_id,
        name=name,
        size=size,
        sha256="0" * 64,
        mime="application/octet-stream",
        uploaded_by="user-a",
        uploaded_at=NOW,
    )


def minutes(count: float) -> timedelta:
    return timedelta(minutes=count)
