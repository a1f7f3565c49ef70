"""question for officers: a logged message addressed to the officers (the message after "Gặp
cán bộ", a request for a person, what was written on an open ticket) is kept out of /unanswered

Revision ID: 0016_question_for_officers
Revises: 0015_zalo_routes_uploads
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_question_for_officers"
down_revision: str | None = "0015_zalo_routes_uploads"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("question_log", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("for_officers", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("question_log", schema=None) as batch_op:
        batch_op.drop_column("for_officers")
