"""revocations (logout, log out everywhere, deleted users) and the health row

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No foreign key to users: the revocation of a deleted user must outlive the user's row.
    op.create_table(
        "revocations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.String(32), nullable=False),
        # One token (its ``jti``), or NULL: every token of the user issued at or before ``issued_up_to``.
        sa.Column("token_id", sa.String(64), nullable=True),
        sa.Column("issued_up_to", sa.BigInteger(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=False),
        # After this every token the row concerns has expired by itself: the row is purged.
        sa.Column("expires_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_revocations_revoked_at", "revocations", ["revoked_at"])
    op.create_index("ix_revocations_expires_at", "revocations", ["expires_at"])
    # /healthz rewrites this one row: a health check that only reads says "ok" on a read-only or full disk.
    health = op.create_table(
        "health",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
    )
    op.execute(health.insert().values(id=1, checked_at=sa.func.now()))


def downgrade() -> None:
    op.drop_table("health")
    op.drop_index("ix_revocations_expires_at", table_name="revocations")
    op.drop_index("ix_revocations_revoked_at", table_name="revocations")
    op.drop_table("revocations")
