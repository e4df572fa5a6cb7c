"""The queries the server needs, as one small class over an async session factory."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from signaling_server.db.models import (
    HealthRow,
    ParticipationRow,
    PreferencesRow,
    RevocationRow,
    RoomRow,
    UserRow,
    utcnow,
)

RECENT_ROOMS_LIMIT = 50


class Conflict(Exception):
    """A unique column already holds the value; ``field`` names which (``username`` or ``email``)."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def new_room_id() -> str:
    # 16 random bytes = 128 bits, URL-safe base64 without padding (22 characters). Drawn again when it would start
    # with '-' or '_' (1 in 32): people pass room ids on command lines (``nimeet <id>``), where a leading '-' reads
    # as an option. 127.95 bits are left: the first character is uniform over 62 instead of 64, the rest untouched.
    while (room_id := secrets.token_urlsafe(16))[0] in "-_":
        pass
    return room_id


class Store:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def check_health(self) -> None:
        """Read and write (one row, committed): a database that is gone, read-only, full or locked raises."""
        async with self._sessions() as s:
            await s.execute(select(UserRow.id).limit(1))  # one row read, not a scan of every account
            result = await s.execute(update(HealthRow).where(HealthRow.id == 1).values(checked_at=utcnow()))
            if not getattr(result, "rowcount", 0):
                s.add(HealthRow(id=1, checked_at=utcnow()))
            await s.commit()

    # ---- users ----
    async def create_user(self, username: str, email: str, password_hash: str) -> UserRow:
        row = UserRow(
            id=uuid.uuid4().hex,
            username=username,
            username_key=username.lower(),
            email=email,
            email_key=email.lower(),
            password_hash=password_hash,
            created_at=utcnow(),
        )
        async with self._sessions() as s:
            # Checked first for a precise answer; the unique constraints still decide races.
            taken = await s.execute(
                select(UserRow.username_key).where(
                    or_(UserRow.username_key == row.username_key, UserRow.email_key == row.email_key)
                )
            )
            clashes = list(taken.scalars())
            if clashes:
                raise Conflict("username" if row.username_key in clashes else "email")
            s.add(row)
            try:
                await s.commit()
            except IntegrityError as exc:
                raise Conflict("email" if "email" in str(exc.orig).lower() else "username") from None
        return row

    async def user_by_email(self, email: str) -> UserRow | None:
        async with self._sessions() as s:
            result = await s.execute(select(UserRow).where(UserRow.email_key == email.lower()))
            return result.scalar_one_or_none()

    async def user_by_id(self, user_id: str) -> UserRow | None:
        async with self._sessions() as s:
            return await s.get(UserRow, user_id)

    async def delete_user(self, user_id: str) -> bool:
        """Delete the user and what hangs off it (rooms, participations: ON DELETE CASCADE)."""
        async with self._sessions() as s:
            result = await s.execute(delete(UserRow).where(UserRow.id == user_id))
            await s.commit()
            return bool(getattr(result, "rowcount", 0))

    async def set_password_hash(self, user_id: str, password_hash: str) -> None:
        async with self._sessions() as s:
            await s.execute(update(UserRow).where(UserRow.id == user_id).values(password_hash=password_hash))
            await s.commit()

    # ---- rooms ----
    async def create_room(
        self,
        owner_id: str,
        name: str,
        max_participants: int,
        description: str | None,
        is_private: bool,
        password_hash: str | None = None,
    ) -> RoomRow:
        row = RoomRow(
            room_id=new_room_id(),
            name=name,
            description=description,
            is_private=is_private,
            owner_id=owner_id,
            created_at=utcnow(),
            max_participants=max_participants,
            password_hash=password_hash,
        )
        async with self._sessions() as s:
            s.add(row)
            await s.commit()
        return row

    async def room(self, room_id: str) -> RoomRow | None:
        async with self._sessions() as s:
            return await s.get(RoomRow, room_id)

    async def update_room(self, room_id: str, changes: dict[str, Any]) -> RoomRow | None:
        """Set the given columns; the room as it is now, or None when it does not exist."""
        async with self._sessions() as s:
            if changes:
                await s.execute(update(RoomRow).where(RoomRow.room_id == room_id).values(**changes))
                await s.commit()
            return await s.get(RoomRow, room_id, populate_existing=True)

    async def delete_room(self, room_id: str) -> bool:
        """Delete the room and its stays (ON DELETE CASCADE)."""
        async with self._sessions() as s:
            result = await s.execute(delete(RoomRow).where(RoomRow.room_id == room_id))
            await s.commit()
            return bool(getattr(result, "rowcount", 0))

    async def recent_rooms(self, user_id: str, limit: int = RECENT_ROOMS_LIMIT) -> list[RoomRow]:
        """Rooms the user owns or has joined, most recent activity (creation or own last join) first."""
        last_join = (
            select(ParticipationRow.room_id, func.max(ParticipationRow.joined_at).label("last_join"))
            .where(ParticipationRow.user_id == user_id)
            .group_by(ParticipationRow.room_id)
            .subquery()
        )
        activity = func.coalesce(last_join.c.last_join, RoomRow.created_at)
        query = (
            select(RoomRow)
            .outerjoin(last_join, last_join.c.room_id == RoomRow.room_id)
            .where(or_(RoomRow.owner_id == user_id, last_join.c.room_id.is_not(None)))
            .order_by(activity.desc(), RoomRow.created_at.desc())
            .limit(limit)
        )
        async with self._sessions() as s:
            return list((await s.execute(query)).scalars())

    # ---- preferences ----
    async def preferences(self, user_id: str) -> str | None:
        """The user's saved preferences (JSON text), or None when they never saved any."""
        async with self._sessions() as s:
            row = await s.get(PreferencesRow, user_id)
            return None if row is None else row.data

    async def set_preferences(self, user_id: str, data: str) -> None:
        async with self._sessions() as s:
            row = await s.get(PreferencesRow, user_id)
            if row is None:
                s.add(PreferencesRow(user_id=user_id, data=data, updated_at=utcnow()))
            else:
                row.data, row.updated_at = data, utcnow()
            await s.commit()

    # ---- participations ----
    async def start_participation(self, room_id: str, user_id: str) -> int:
        row = ParticipationRow(room_id=room_id, user_id=user_id, joined_at=utcnow())
        async with self._sessions() as s:
            s.add(row)
            await s.commit()
        return row.id

    async def end_participation(self, participation_id: int, at: datetime | None = None) -> None:
        async with self._sessions() as s:
            await s.execute(
                update(ParticipationRow)
                .where(ParticipationRow.id == participation_id, ParticipationRow.left_at.is_(None))
                .values(left_at=at or utcnow())
            )
            await s.commit()

    async def end_open_participations(self) -> int:
        """Close stays left open by a stop that had no time to record them (live state died with it)."""
        async with self._sessions() as s:
            result = await s.execute(
                update(ParticipationRow).where(ParticipationRow.left_at.is_(None)).values(left_at=utcnow())
            )
            await s.commit()
            return int(getattr(result, "rowcount", 0) or 0)

    # ---- revocations ----
    async def add_revocation(
        self, user_id: str, token_id: str | None, issued_up_to: int | None, expires_at: datetime
    ) -> int:
        row = RevocationRow(
            user_id=user_id, token_id=token_id, issued_up_to=issued_up_to, revoked_at=utcnow(), expires_at=expires_at
        )
        async with self._sessions() as s:
            s.add(row)
            await s.commit()
        return row.id

    async def revocations(self, since: datetime | None = None) -> list[RevocationRow]:
        """Revocations still in force, oldest first; only those recorded at or after ``since`` when given."""
        query = select(RevocationRow).where(RevocationRow.expires_at > utcnow()).order_by(RevocationRow.id)
        if since is not None:
            query = query.where(RevocationRow.revoked_at >= since)
        async with self._sessions() as s:
            return list((await s.execute(query)).scalars())

    async def purge_revocations(self) -> int:
        """Forget revocations whose tokens have all expired by themselves."""
        async with self._sessions() as s:
            result = await s.execute(delete(RevocationRow).where(RevocationRow.expires_at <= utcnow()))
            await s.commit()
            return int(getattr(result, "rowcount", 0) or 0)
