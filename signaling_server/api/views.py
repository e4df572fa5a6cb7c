"""Database rows as wire models."""

from __future__ import annotations

from signaling_server.db.models import RoomRow, UserRow
from signaling_server.join_links import invite_url
from signaling_server.protocol import Room, User, room_mode


def user_out(row: UserRow) -> User:
    return User(id=row.id, username=row.username, email=row.email, created_at=row.created_at)


def room_out(row: RoomRow, base_url: str, locked: bool = False, *, sfu: bool = False) -> Room:
    """``sfu``: this server has an SFU (``Settings.sfu``), so its rooms of more than 8 places are ``"sfu"``;
    ``base_url``: where people reach this server (``invitations.base_url``), for the room's ``inviteUrl``;
    ``locked``: the live lock of the meeting under way (room state), false when there is none."""
    return Room(
        room_id=row.room_id,
        name=row.name,
        owner_id=row.owner_id,
        created_at=row.created_at,
        max_participants=row.max_participants,
        description=row.description,
        is_private=row.is_private,
        invite_url=invite_url(base_url, row.room_id),
        has_password=row.password_hash is not None,
        locked=locked,
        mode=room_mode(row.max_participants, sfu),
    )
