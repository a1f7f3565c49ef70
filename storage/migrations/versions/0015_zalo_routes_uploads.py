"""zalo routes and uploads: how each outbox row reached its person (free, quota, not reachable),
and Zalo OA uploads kept for reuse until they expire

Revision ID: 0015_zalo_routes_uploads
Revises: 0014_outbox_started
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015_zalo_routes_uploads"
down_revision: str | None = "0014_outbox_started"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("route", sa.String(length=16), nullable=True))
    op.create_table(
        "zalo_oa_uploads",
        sa.Column("digest", sa.String(length=80), nullable=False),
        sa.Column("attachment", sa.Text(), nullable=False),
        sa.Column("uploaded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("digest"),
    )


def downgrade() -> None:
    op.drop_table("zalo_oa_uploads")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("route")
