"""inbound_seen: platform events already handled, so a redelivered update changes nothing

Revision ID: 0007_resilience_inbound_seen
Revises: 0006_delivery_parts
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007_resilience_inbound_seen"
down_revision: str | None = "0006_delivery_parts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_seen",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index(op.f("ix_inbound_seen_seen_at"), "inbound_seen", ["seen_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_inbound_seen_seen_at"), table_name="inbound_seen")
    op.drop_table("inbound_seen")
