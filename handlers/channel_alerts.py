"""Officers are told when a channel stops sending (Zalo OA: tokens need re-authorising, out of
quota, OA not verified...): one message per officer per channel and reason a day, through the
outbox, so an officer on another channel (Telegram) hears of it."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlmodel import Session

from content.store import ContentStore
from handlers import roles
from handlers.capability import Capability, OutboxKind
from handlers.messages import Reply, channel_name
from handlers.ports import HandlerSettings
from storage.models import Contact

KIND = "channel_alert"
REASON_CHARS = 200


def alert(
    session: Session, settings: HandlerSettings, channel: str, reason: str, now: datetime
) -> int:
    """Queue the alert for every officer the bot can write to; returns how many. The same
    channel and reason on the same day is queued once (the outbox key)."""
    reason = reason[:REASON_CHARS]
    digest = hashlib.blake2b(reason.encode(), digest_size=6).hexdigest()  # same in every process
    key = f"{KIND}:{channel}:{now.date().isoformat()}:{digest}"
    payload = {"channel": channel, "reason": reason}
    return roles.notify_officers(session, settings, KIND, key, payload, now)


def render(session, content: ContentStore, contact: Contact, payload: dict, now) -> list[Reply]:  # noqa: ANN001
    lang = contact.language if contact.language in ("vi", "en") else "vi"
    text = content.texts.get(
        lang,
        "channels.alert",
        channel=channel_name(payload.get("channel", "?")),
        reason=payload.get("reason", ""),
    )
    return [Reply(text=text)]


CAPABILITY = Capability(
    name="channel_alerts",
    outbox=(OutboxKind(KIND, render, lane="reply"),),
)
