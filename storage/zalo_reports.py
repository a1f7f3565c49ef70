"""How Zalo OA messages of a broadcast went, person by person, for the officers' export: the
recipient's state and, for a copy sent, its route (free / quota, from the outbox row)."""

from __future__ import annotations

from sqlmodel import Session, select

from storage.broadcasts_models import BroadcastRecipient
from storage.models import Contact, Outbox

ZALO_OA = "zalo_oa"


def broadcast_recipients(
    session: Session, broadcast_id: int
) -> list[tuple[BroadcastRecipient, Contact, str | None]]:
    """Every Zalo OA recipient of the broadcast with its contact and the route of its copy
    (None when it was not sent), in recipient order."""
    return list(
        session.exec(
            select(BroadcastRecipient, Contact, Outbox.route)
            .join(Contact, Contact.id == BroadcastRecipient.contact_id)
            .join(Outbox, Outbox.key == BroadcastRecipient.outbox_key, isouter=True)
            .where(
                BroadcastRecipient.broadcast_id == broadcast_id,
                BroadcastRecipient.channel == ZALO_OA,
            )
            .order_by(BroadcastRecipient.id)
        ).all()
    )
