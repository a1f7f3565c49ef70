"""Delivers due outbox rows through the channels, in a lane apart from replies.

Claim, send, mark: a restart resumes where it was and sends nothing twice. A 429 pauses the
whole lane for retry_after; a blocked contact is marked and skipped from then on."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from sqlalchemy.engine import Engine

from content.store import ContentStore
from handlers import proactive
from handlers.clock import Clock
from handlers.messages import Reply
from storage import outbox
from storage.db import session_scope
from storage.models import Contact, ContactStatus, OutboxStatus

log = logging.getLogger(__name__)


class Blocked(Exception):
    """The person blocked the bot (Telegram 403)."""


class RetryLater(Exception):
    """The platform asks us to wait (Telegram 429 retry_after, network trouble)."""

    def __init__(self, seconds: float, reason: str = ""):
        super().__init__(reason or f"retry after {seconds}s")
        self.seconds = seconds


class Unreachable(Exception):
    """The platform will not deliver to this person now (e.g. Zalo's 7-day window)."""


class Sender(Protocol):
    async def send(self, platform_id: str, replies: list[Reply]) -> None: ...


@dataclass
class Delivery:
    engine: Engine
    content_source: object  # anything with a `.content` ContentStore (the Conversation)
    clock: Clock
    senders: dict[str, Sender] = field(default_factory=dict)
    batch: int = 50
    paused_until: object = None

    @property
    def content(self) -> ContentStore:
        return self.content_source.content

    async def run_once(self) -> dict[str, int]:
        """Deliver what is due now; returns counts by outcome."""
        now = self.clock.now()
        counts: dict[str, int] = {}
        if self.paused_until is not None and now < self.paused_until:
            return counts
        rows = await asyncio.to_thread(self._claim, now)
        for index, (row_id, channel, platform_id, replies, verdict) in enumerate(rows):
            if verdict is not None:
                self._mark(row_id, verdict, now, verdict.value)
                counts[verdict.value] = counts.get(verdict.value, 0) + 1
                continue
            sender = self.senders.get(channel)
            if sender is None:
                self._mark(row_id, OutboxStatus.unreachable, now, f"no sender for {channel}")
                counts["unreachable"] = counts.get("unreachable", 0) + 1
                continue
            try:
                await sender.send(platform_id, replies)
            except Blocked:
                self._blocked(row_id, channel, platform_id, now)
                counts["blocked"] = counts.get("blocked", 0) + 1
            except Unreachable as exc:
                self._mark(row_id, OutboxStatus.unreachable, now, str(exc))
                counts["unreachable"] = counts.get("unreachable", 0) + 1
            except RetryLater as exc:
                # Pause the whole lane; this row and the rest of the batch go back to pending.
                retry_at = now + timedelta(seconds=exc.seconds)
                self.paused_until = retry_at
                for later in rows[index:]:
                    self._mark(later[0], OutboxStatus.pending, now, str(exc), retry_at=retry_at)
                counts["retry"] = counts.get("retry", 0) + len(rows) - index
                break
            except Exception as exc:  # noqa: BLE001
                log.warning("outbox %s failed: %s", row_id, type(exc).__name__)
                self._mark(row_id, OutboxStatus.failed, now, type(exc).__name__)
                counts["failed"] = counts.get("failed", 0) + 1
            else:
                self._mark(row_id, OutboxStatus.sent, now)
                counts["sent"] = counts.get("sent", 0) + 1
        return counts

    def _claim(self, now):  # noqa: ANN001, ANN202
        out = []
        with session_scope(self.engine) as session:
            for row in outbox.claim_due(session, now, self.batch):
                contact = session.get(Contact, row.contact_id)
                verdict = None
                replies: list[Reply] = []
                allowed = {ContactStatus.active}
                if row.kind in proactive.REPLY_KINDS:
                    allowed.add(ContactStatus.stopped)
                if contact is None or contact.status not in allowed:
                    verdict = OutboxStatus.unreachable
                else:
                    rendered = proactive.render(
                        session, self.content, contact, row.kind, outbox.payload_of(row), now
                    )
                    if rendered is None:
                        verdict = OutboxStatus.cancelled
                    else:
                        replies = rendered
                channel = contact.channel if contact else ""
                platform_id = contact.platform_id if contact else ""
                out.append((row.id, channel, platform_id, replies, verdict))
        return out

    def _mark(self, row_id, status, now, error=None, retry_at=None) -> None:  # noqa: ANN001
        with session_scope(self.engine) as session:
            outbox.mark(session, row_id, status, now, error, retry_at)

    def _blocked(self, row_id, channel, platform_id, now) -> None:  # noqa: ANN001
        from storage import contacts

        with session_scope(self.engine) as session:
            outbox.mark(session, row_id, OutboxStatus.unreachable, now, "blocked")
            contact = contacts.get(session, channel, platform_id)
            if contact is not None:
                contacts.set_status(session, contact, ContactStatus.blocked)
