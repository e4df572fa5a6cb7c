"""sessions: the meetings of version 1.1's history, and which one each stay belonged to

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

Stays recorded before this revision get sessions too: per room, stays whose times overlap (or touch) are one
meeting, exactly as the server would have opened and closed it; its peak is the most stays open at one moment.
Stays still open (the server stopped without closing them) form the room's one open session, which the server's
start then closes with them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("room_id", sa.String(64), sa.ForeignKey("rooms.room_id", ondelete="CASCADE"), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("peak_participants", sa.Integer(), nullable=False),
    )
    op.create_index(
        "uq_sessions_open_room",
        "sessions",
        ["room_id"],
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.create_index("ix_sessions_room_started", "sessions", ["room_id", "started_at"])
    op.create_index("ix_sessions_started", "sessions", ["started_at"])
    # batch_alter_table: SQLite alters a table by copying it; PostgreSQL adds the column in place.
    with op.batch_alter_table("participations") as batch:
        batch.add_column(sa.Column("session_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_participations_session_id", "sessions", ["session_id"], ["id"], ondelete="CASCADE")
        batch.create_index("ix_participations_session_id", ["session_id"])
    _backfill(op.get_bind())


def _backfill(conn: sa.Connection) -> None:
    stays = sa.table(
        "participations",
        sa.column("id", sa.Integer()),
        sa.column("room_id", sa.String()),
        sa.column("joined_at", sa.DateTime()),
        sa.column("left_at", sa.DateTime()),
        sa.column("session_id", sa.Integer()),
    )
    sessions = sa.table(
        "sessions",
        sa.column("id", sa.Integer()),
        sa.column("room_id", sa.String()),
        sa.column("started_at", sa.DateTime()),
        sa.column("ended_at", sa.DateTime()),
        sa.column("peak_participants", sa.Integer()),
    )
    rows = conn.execute(
        sa.select(stays.c.id, stays.c.room_id, stays.c.joined_at, stays.c.left_at).order_by(
            stays.c.room_id, stays.c.joined_at, stays.c.id
        )
    ).all()
    group: list[Any] = []
    for row in rows:
        if group and (row.room_id != group[0].room_id or not _overlaps(group, row.joined_at)):
            _write(conn, sessions, stays, group)
            group = []
        group.append(row)
    if group:
        _write(conn, sessions, stays, group)


def _end(group: list[Any]) -> datetime | None:
    """When the group's room became empty; None while a stay of it is still open."""
    if any(row.left_at is None for row in group):
        return None
    end: datetime = max(row.left_at for row in group)
    return end


def _overlaps(group: list[Any], joined_at: datetime) -> bool:
    end = _end(group)
    return end is None or joined_at <= end


def _peak(group: list[Any]) -> int:
    # Leaving sorts before joining at the same moment: a stay that ends as another begins is not two at once.
    moments = [(row.joined_at, 1) for row in group] + [(row.left_at, -1) for row in group if row.left_at is not None]
    moments.sort(key=lambda moment: (moment[0], moment[1]))
    peak = current = 0
    for _, step in moments:
        current += step
        peak = max(peak, current)
    return peak


def _write(conn: sa.Connection, sessions: Any, stays: Any, group: list[Any]) -> None:
    result = conn.execute(
        sa.insert(sessions)
        .values(
            room_id=group[0].room_id,
            started_at=group[0].joined_at,
            ended_at=_end(group),
            peak_participants=_peak(group),
        )
        .returning(sessions.c.id)
    )
    session_id = result.scalar_one()
    conn.execute(sa.update(stays).where(stays.c.id.in_([row.id for row in group])).values(session_id=session_id))


def downgrade() -> None:
    with op.batch_alter_table("participations") as batch:
        batch.drop_index("ix_participations_session_id")
        batch.drop_constraint("fk_participations_session_id", type_="foreignkey")
        batch.drop_column("session_id")
    op.drop_index("ix_sessions_started", "sessions")
    op.drop_index("ix_sessions_room_started", "sessions")
    op.drop_index("uq_sessions_open_room", "sessions")
    op.drop_table("sessions")
