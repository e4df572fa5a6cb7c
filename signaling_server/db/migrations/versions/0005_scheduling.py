"""scheduling: meetings planned ahead and the people invited to them (contract v1.1)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduled_meetings",
        sa.Column("meeting_id", sa.String(32), primary_key=True),
        sa.Column("room_id", sa.String(64), sa.ForeignKey("rooms.room_id", ondelete="CASCADE"), nullable=False),
        sa.Column("organizer_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("start_at", sa.DateTime(), nullable=False),
        sa.Column("end_at", sa.DateTime(), nullable=False),
        sa.Column("series_end", sa.DateTime(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("recurrence", sa.Text(), nullable=True),
        sa.Column("reminder_minutes", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_scheduled_meetings_room_span", "scheduled_meetings", ["room_id", "start_at", "series_end"])
    op.create_index("ix_scheduled_meetings_organizer_id", "scheduled_meetings", ["organizer_id"])
    op.create_index("ix_scheduled_meetings_series_end", "scheduled_meetings", ["series_end"])
    op.create_table(
        "meeting_attendees",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "meeting_id",
            sa.String(32),
            sa.ForeignKey("scheduled_meetings.meeting_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("email_key", sa.String(254), nullable=False),
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
        sa.Column("response", sa.String(16), nullable=False),
        sa.UniqueConstraint("meeting_id", "email_key", name="uq_meeting_attendees_email"),
    )
    op.create_index("ix_meeting_attendees_user_id", "meeting_attendees", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_meeting_attendees_user_id", table_name="meeting_attendees")
    op.drop_table("meeting_attendees")
    op.drop_index("ix_scheduled_meetings_series_end", table_name="scheduled_meetings")
    op.drop_index("ix_scheduled_meetings_organizer_id", table_name="scheduled_meetings")
    op.drop_index("ix_scheduled_meetings_room_span", table_name="scheduled_meetings")
    op.drop_table("scheduled_meetings")
