"""zalo_oa: per-contact reply window, the OA's token pair, webhook events awaiting handling

Revision ID: 0010_zalo_oa
Revises: 0009_events
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010_zalo_oa"
down_revision: str | None = "0009_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime
STR = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "zalo_oa_contacts",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("last_msg_id", STR(length=128), nullable=True),
        sa.Column("last_inbound_at", UTC(), nullable=True),
        sa.Column("replies_used", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("choices", sa.Text(), nullable=False, server_default="[]"),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("contact_id"),
    )
    op.create_table(
        "zalo_oa_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=False),
        sa.Column("expires_at", UTC(), nullable=True),
        sa.Column("refreshed_at", UTC(), nullable=True),
        sa.Column("refreshes", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("state", STR(length=32), nullable=False, server_default="ok"),
        sa.Column("reason", STR(length=256), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "zalo_oa_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", UTC(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("claimed_at", UTC(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_zalo_oa_events_received_at", "zalo_oa_events", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_zalo_oa_events_received_at", table_name="zalo_oa_events")
    op.drop_table("zalo_oa_events")
    op.drop_table("zalo_oa_tokens")
    op.drop_table("zalo_oa_contacts")
