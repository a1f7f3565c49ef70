"""broadcasts and their recipients (issue 11 "Broadcasts")

Revision ID: 0012_broadcasts
Revises: 0011_officers_audit_tickets
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012_broadcasts"
down_revision: str | None = "0011_officers_audit_tickets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("attachment", sa.String(length=512), nullable=True),
        sa.Column("attachment_kind", sa.String(length=16), nullable=True),
        sa.Column("audience", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False, index=True),
        sa.Column("digest", sa.String(length=64), nullable=False, index=True),
        sa.Column("created_by", sa.String(length=96), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("confirmed_by", sa.String(length=96), nullable=True),
        sa.Column("confirmed_at", UTC(), nullable=True),
        sa.Column("scheduled_at", UTC(), nullable=True, index=True),
        sa.Column("started_at", UTC(), nullable=True),
        sa.Column("finished_at", UTC(), nullable=True),
        sa.Column("reported", sa.Boolean(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "broadcast_recipients",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "broadcast_id",
            sa.Integer(),
            sa.ForeignKey("broadcasts.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column(
            "contact_id",
            sa.Integer(),
            sa.ForeignKey("contacts.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False, index=True),
        sa.Column("reason", sa.String(length=255), nullable=True),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("outbox_key", sa.String(length=160), nullable=True, index=True),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.UniqueConstraint("broadcast_id", "contact_id", name="uq_broadcast_recipient"),
    )


def downgrade() -> None:
    op.drop_table("broadcast_recipients")
    op.drop_table("broadcasts")
