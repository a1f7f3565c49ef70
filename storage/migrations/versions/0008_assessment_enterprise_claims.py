"""enterprise claims: a response's claim on an enterprise, the record's source response

Revision ID: 0008_assessment_claims
Revises: 0007_resilience_inbound_seen
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_assessment_claims"
down_revision: str | None = "0007_resilience_inbound_seen"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("enterprise_claim", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("claim_decided_by", sa.String(length=96), nullable=True))
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_response_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            "ix_enterprises_source_response_id", ["source_response_id"], unique=False
        )
    # Links made before claims existed stay as they were: they counted before.
    op.execute("UPDATE responses SET enterprise_claim = 'verified' WHERE enterprise_id IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.drop_index("ix_enterprises_source_response_id")
        batch_op.drop_column("source_response_id")
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_column("claim_decided_by")
        batch_op.drop_column("enterprise_claim")
