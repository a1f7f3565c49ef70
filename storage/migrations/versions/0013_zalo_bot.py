"""zalo_bot: Zalo Bot platform updates stored before they are handled

Revision ID: 0013_zalo_bot
Revises: 0012_broadcasts
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013_zalo_bot"
down_revision: str | None = "0012_broadcasts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "zalo_bot_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_zalo_bot_updates_received_at", "zalo_bot_updates", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_zalo_bot_updates_received_at", table_name="zalo_bot_updates")
    op.drop_table("zalo_bot_updates")
