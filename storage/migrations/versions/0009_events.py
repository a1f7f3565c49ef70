"""events: events, registrations, topic subscriptions, reminders derived from events

Revision ID: 0009_events
Revises: 0008_assessment_claims
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009_events"
down_revision: str | None = "0008_assessment_claims"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(length=64), nullable=False, unique=True),
        sa.Column("kind", sa.String(length=32), nullable=False, index=True),
        sa.Column("title_vi", sa.String(length=256), nullable=False),
        sa.Column("title_en", sa.String(length=256), nullable=False),
        sa.Column("description_vi", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("starts_at", UTC(), nullable=False, index=True),
        sa.Column("ends_at", UTC(), nullable=True),
        sa.Column("date_only", sa.Boolean(), nullable=False),
        sa.Column("deadline_on", sa.Date(), nullable=True),
        sa.Column("place", sa.String(length=256), nullable=False),
        sa.Column("online_url", sa.String(length=512), nullable=False),
        sa.Column("organiser", sa.String(length=256), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("seats_taken", sa.Integer(), nullable=False),
        sa.Column("registration_deadline", UTC(), nullable=True),
        sa.Column("topics", sa.Text(), nullable=False),
        sa.Column("audience", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False, index=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.Column("published_at", UTC(), nullable=True),
        sa.Column("cancelled_at", UTC(), nullable=True),
    )
    op.create_table(
        "event_registrations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "event_id",
            sa.Integer(),
            sa.ForeignKey("events.id", ondelete="CASCADE"),
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
        sa.Column("status", sa.String(length=16), nullable=False, index=True),
        sa.Column("registered_at", UTC(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.Column("attended", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("event_id", "contact_id", name="uq_registration"),
    )
    op.create_table(
        "event_subscriptions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "contact_id",
            sa.Integer(),
            sa.ForeignKey("contacts.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("topic", sa.String(length=32), nullable=False, index=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.UniqueConstraint("contact_id", "topic", name="uq_subscription"),
    )
    op.create_table(
        "event_reminders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "event_id",
            sa.Integer(),
            sa.ForeignKey("events.id", ondelete="CASCADE"),
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
        sa.Column("offset_minutes", sa.Integer(), nullable=False),
        sa.Column("event_version", sa.Integer(), nullable=False),
        sa.Column("due_at", UTC(), nullable=False, index=True),
        sa.Column("status", sa.String(length=16), nullable=False, index=True),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("outbox_key", sa.String(length=160), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.UniqueConstraint(
            "event_id", "offset_minutes", "contact_id", "event_version", name="uq_event_reminder"
        ),
    )


def downgrade() -> None:
    op.drop_table("event_reminders")
    op.drop_table("event_subscriptions")
    op.drop_table("event_registrations")
    op.drop_table("events")
