"""Officer answers kept one per row (who, when, text); question and contact numbers never
reused (SQLite AUTOINCREMENT; PostgreSQL sequences never reuse)

Revision ID: 0005_registry_answers
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005_registry_answers"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "officer_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("officer", sqlmodel.sql.sqltypes.AutoString(length=96), nullable=True),
        sa.Column("officer_contact_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["question_id"], ["question_log.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["officer_contact_id"], ["contacts.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("officer_answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_officer_answers_question_id"), ["question_id"])
        batch_op.create_index(
            batch_op.f("ix_officer_answers_officer_contact_id"), ["officer_contact_id"]
        )
    op.execute(
        "INSERT INTO officer_answers (question_id, officer, text, created_at) "
        "SELECT id, answered_by, answer, answered_at FROM question_log "
        "WHERE answer IS NOT NULL AND answered_at IS NOT NULL"
    )
    if op.get_bind().dialect.name != "sqlite":
        with op.batch_alter_table("question_log", schema=None) as batch_op:
            batch_op.drop_column("answered_by")
            batch_op.drop_column("answer")
        return
    # SQLite reuses the largest rowid after a deletion unless the table is AUTOINCREMENT, which
    # only a copy of the table can add.
    autoincrement = {"sqlite_autoincrement": True}
    with op.batch_alter_table(
        "question_log", recreate="always", table_kwargs=autoincrement
    ) as batch_op:
        batch_op.drop_column("answered_by")
        batch_op.drop_column("answer")
    with op.batch_alter_table("contacts", recreate="always", table_kwargs=autoincrement):
        pass


def downgrade() -> None:
    with op.batch_alter_table("question_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answer", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("answered_by", sa.String(length=96), nullable=True))
    op.execute(
        "UPDATE question_log SET answer = (SELECT a.text FROM officer_answers a "
        "WHERE a.question_id = question_log.id ORDER BY a.id DESC LIMIT 1), "
        "answered_by = (SELECT a.officer FROM officer_answers a "
        "WHERE a.question_id = question_log.id ORDER BY a.id DESC LIMIT 1)"
    )
    op.drop_table("officer_answers")
