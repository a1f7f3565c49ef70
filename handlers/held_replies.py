"""Answers the platform would not take are held, not dropped (issue 13, "Outages survived"):
when the platform's API fails for longer than a reply's own retries (5xx, timeouts, 429s past
their wait), the unsent replies become one reply-lane outbox row, delivered with the outbox's
backoff once the platform is back. A file rides along up to FILE_MAX bytes (base64 in the row);
a larger one is dropped from the held copy with a log line (the text still goes)."""

from __future__ import annotations

import base64
import logging
import uuid
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from content.store import ContentStore
from handlers.capability import Capability, OutboxKind
from handlers.messages import Attachment, Button, Reply
from storage import contacts, outbox
from storage.db import session_scope
from storage.models import Contact

log = logging.getLogger(__name__)

KIND = "held_reply"
FILE_MAX = 1_000_000  # bytes of one held file; charts and .ics files are far smaller


def hold(
    session: Session, channel: str, platform_id: str, replies: list[Reply], now: datetime
) -> str | None:
    """Queue `replies` for the person (one row, due now); returns the outbox key, or None when
    the person is unknown here (nothing to hold for)."""
    contact = contacts.get(session, channel, platform_id)
    if contact is None or not replies:
        return None
    key = f"{KIND}:{contact.id}:{uuid.uuid4().hex[:12]}"
    payload = {"replies": [_dump(r) for r in replies]}
    outbox.enqueue(session, key, contact.id, KIND, now, payload)
    return key


def hold_for(
    engine: Engine, channel: str, platform_id: str, replies: list[Reply], now: datetime
) -> str | None:
    """`hold` in its own transaction, for a channel that failed to send (logged, no content)."""
    with session_scope(engine) as session:
        key = hold(session, channel, platform_id, replies, now)
    if key is not None:
        log.warning("%d %s reply message(s) held in the outbox until they can be sent",
                    len(replies), channel)  # fmt: skip
    return key


def _dump(reply: Reply) -> dict:
    out: dict = {"text": reply.text, "buttons": [[b.label, b.payload] for b in reply.buttons]}
    if reply.expects_number:
        out["expects_number"] = True
    att = reply.attachment
    if att is not None:
        if att.file_id is None and len(att.data) > FILE_MAX:
            log.warning("a held reply's file of %d bytes is not kept (limit %d)",
                        len(att.data), FILE_MAX)  # fmt: skip
        else:
            out["attachment"] = {
                "filename": att.filename, "mime_type": att.mime_type, "is_image": att.is_image,
                "data": base64.b64encode(att.data).decode(), "file_id": att.file_id,
                "file_channel": att.file_channel,
            }  # fmt: skip
    return out


def _load(item: dict) -> Reply:
    att = item.get("attachment")
    attachment = None
    if isinstance(att, dict):
        attachment = Attachment(
            filename=att.get("filename") or "file", data=base64.b64decode(att.get("data") or ""),
            mime_type=att.get("mime_type") or "application/octet-stream",
            is_image=bool(att.get("is_image")), file_id=att.get("file_id"),
            file_channel=att.get("file_channel"),
        )  # fmt: skip
    buttons = [Button(str(label), str(payload)) for label, payload in item.get("buttons") or []]
    return Reply(text=str(item.get("text") or ""), buttons=buttons, attachment=attachment,
                 expects_number=bool(item.get("expects_number")))  # fmt: skip


def render(session, content: ContentStore, contact: Contact, payload: dict, now) -> list[Reply]:  # noqa: ANN001
    return [_load(item) for item in payload.get("replies") or [] if isinstance(item, dict)]


CAPABILITY = Capability(
    name="held_replies",
    outbox=(OutboxKind(KIND, render, lane="reply"),),
)
