"""What a proactive message (outbox row) says when it is delivered.

Each kind registers a renderer; it returns the replies, or None when the message is no longer
relevant (e.g. the person already finished the assessment the nudge was about)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from handlers.messages import Reply

if TYPE_CHECKING:
    from sqlmodel import Session

    from content.store import ContentStore
    from storage.models import Contact

Renderer = Callable[["Session", "ContentStore", "Contact", dict, datetime], list[Reply] | None]
RENDERERS: dict[str, Renderer] = {}
# Kinds that answer the person (an officer's reply to their question): they still reach people
# who stopped announcements; only a block stops them.
REPLY_KINDS: set[str] = set()


def renderer(kind: str, *, reply: bool = False) -> Callable[[Renderer], Renderer]:
    def register(fn: Renderer) -> Renderer:
        RENDERERS[kind] = fn
        if reply:
            REPLY_KINDS.add(kind)
        return fn

    return register


def render(
    session: Session,
    content: ContentStore,
    contact: Contact,
    kind: str,
    payload: dict,
    now: datetime,
) -> list[Reply] | None:
    fn = RENDERERS.get(kind)
    if fn is None:
        raise LookupError(f"no renderer for outbox kind {kind!r}")
    return fn(session, content, contact, payload, now)
