"""officers, audit log, tickets: the officers' question list becomes tickets

The questions officers worked on (not answered confidently, or passed to an officer) become
tickets under the same numbers, their answers become ticket messages under the same ids (so a
pending outbox row `officer_reply:<answer id>` still finds its answer), and officer_answers
goes. New ticket numbers continue after every question number ever given, so no number an
officer has seen comes back.

Revision ID: 0011_officers_audit_tickets
Revises: 0010_zalo_oa
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011_officers_audit_tickets"
down_revision: str | None = "0010_zalo_oa"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime
AUTOINCREMENT = {"sqlite_autoincrement": True}


def _contact_fk(name: str) -> sa.Column:
    fk = sa.ForeignKey("contacts.id", ondelete="SET NULL")
    return sa.Column(name, sa.Integer(), fk, nullable=True, index=True)


def upgrade() -> None:
    op.create_table(
        "officers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("platform_id", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=80), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("added_by", sa.String(length=96), nullable=False),
        sa.Column("added_at", UTC(), nullable=False),
        sa.UniqueConstraint("channel", "platform_id", name="uq_officer_channel_user"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", UTC(), nullable=False, index=True),
        sa.Column("actor", sa.String(length=96), nullable=False),
        sa.Column("action", sa.String(length=48), nullable=False, index=True),
        sa.Column("target_kind", sa.String(length=32), nullable=True),
        sa.Column("target_id", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.String(length=255), nullable=True),
        **AUTOINCREMENT,
    )
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), primary_key=True),
        _contact_fk("contact_id"),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False, index=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("lang", sa.String(length=5), nullable=False),
        sa.Column("question_log_id", sa.Integer(), nullable=True, index=True),
        sa.Column("claimed_by", sa.String(length=96), nullable=True),
        sa.Column("claimed_at", UTC(), nullable=True),
        sa.Column("opened_at", UTC(), nullable=False, index=True),
        sa.Column("first_reply_at", UTC(), nullable=True),
        sa.Column("closed_at", UTC(), nullable=True),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.Column("opening", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("person_told", sa.Boolean(), nullable=False),
        sa.Column("reminders_sent", sa.Integer(), nullable=False, server_default="0"),
        **AUTOINCREMENT,
    )
    op.create_table(
        "ticket_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "ticket_id",
            sa.Integer(),
            sa.ForeignKey("tickets.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("from_officer", sa.Boolean(), nullable=False),
        sa.Column("officer", sa.String(length=96), nullable=True),
        _contact_fk("officer_contact_id"),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        **AUTOINCREMENT,
    )
    op.execute(
        "INSERT INTO tickets (id, contact_id, channel, source, status, question, lang, "
        "question_log_id, opened_at, first_reply_at, closed_at, updated_at, opening, "
        "person_told, reminders_sent) "
        "SELECT id, contact_id, channel, "
        "CASE WHEN handed_off THEN 'person' ELSE 'unanswered' END, "
        "CASE WHEN answered_at IS NULL THEN 'open' ELSE 'closed' END, "
        "text, lang, id, created_at, answered_at, answered_at, "
        "COALESCE(answered_at, created_at), 1, true, 0 "
        "FROM question_log WHERE confident = false OR handed_off = true "
        "OR answered_at IS NOT NULL"
    )
    op.execute(
        "INSERT INTO ticket_messages (id, ticket_id, from_officer, officer, "
        "officer_contact_id, text, created_at) "
        "SELECT a.id, a.question_id, true, a.officer, a.officer_contact_id, a.text, "
        "a.created_at FROM officer_answers a JOIN tickets t ON t.id = a.question_id"
    )
    _continue_after(op.get_bind(), "tickets", "SELECT max(id) FROM question_log")
    _continue_after(op.get_bind(), "ticket_messages", "SELECT max(id) FROM officer_answers")
    op.drop_table("officer_answers")


def _continue_after(bind: sa.engine.Connection, table: str, highest: str) -> None:
    """The table's next id comes after every number given before (even deleted ones, as far
    as the old table's own counter knows)."""
    top = bind.execute(sa.text(highest)).scalar() or 0
    if bind.dialect.name == "postgresql":
        old = "question_log" if table == "tickets" else "officer_answers"
        # A sequence never used has last_value 1 with is_called false: nothing given yet.
        seq = bind.execute(
            sa.text(f"SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {old}_id_seq")
        ).scalar()
        seq = seq or 0
        top = max(top, seq, bind.execute(sa.text(f"SELECT max(id) FROM {table}")).scalar() or 0)
        if top:
            bind.execute(sa.text(f"SELECT setval('{table}_id_seq', {int(top)})"))
        return
    old = "question_log" if table == "tickets" else "officer_answers"
    seq = bind.execute(
        sa.text("SELECT seq FROM sqlite_sequence WHERE name = :n"), {"n": old}
    ).scalar()
    top = max(top, seq or 0)
    if not top:
        return
    bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = :n"), {"n": table})
    bind.execute(
        sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:n, :s)"),
        {"n": table, "s": max(int(top), _max_id(bind, table))},
    )


def _max_id(bind: sa.engine.Connection, table: str) -> int:
    return bind.execute(sa.text(f"SELECT max(id) FROM {table}")).scalar() or 0


def downgrade() -> None:
    op.create_table(
        "officer_answers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "question_id",
            sa.Integer(),
            sa.ForeignKey("question_log.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("officer", sa.String(length=96), nullable=True),
        _contact_fk("officer_contact_id"),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        **AUTOINCREMENT,
    )
    # Officer answers to tickets that came from a question go back; the rest has no place.
    op.execute(
        "INSERT INTO officer_answers (id, question_id, officer, officer_contact_id, text, "
        "created_at) SELECT m.id, t.question_log_id, m.officer, m.officer_contact_id, m.text, "
        "m.created_at FROM ticket_messages m JOIN tickets t ON t.id = m.ticket_id "
        "JOIN question_log q ON q.id = t.question_log_id WHERE m.from_officer = true"
    )
    op.drop_table("ticket_messages")
    op.drop_table("tickets")
    op.drop_table("audit_log")
    op.drop_table("officers")
