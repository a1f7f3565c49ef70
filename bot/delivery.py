"""Delivers due outbox rows through the channels, in a lane apart from replies.

Claim, send, mark: a restart resumes where it was and sends nothing twice. A 429 pauses the
whole lane for retry_after; a blocked contact is marked and skipped from then on."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.engine import Engine

from bot.channels.errors import Blocked, Permanent, Retryable, Throttled, Unreachable
from content.store import ContentStore
from handlers.clock import Clock
from handlers.messages import Reply
from handlers.registry import REGISTRY
from storage import contacts, outbox
from storage.db import session_scope
from storage.models import Contact, ContactStatus, OutboxStatus

log = logging.getLogger(__name__)
RETRYABLE_PAUSE = 30  # seconds the lane waits after a transient fault (5xx, timeout)


# The old names, kept while other code moves to the neutral errors of bot.channels.errors.
RetryLater = Throttled


@dataclass
class Claimed:
    """A claimed outbox row, rendered, or with the verdict that it is not to be sent."""

    row_id: int
    channel: str = ""
    platform_id: str = ""
    replies: list[Reply] = field(default_factory=list)
    verdict: OutboxStatus | None = None


class Sender(Protocol):
    async def send(self, platform_id: str, replies: list[Reply]) -> None: ...


@dataclass
class Delivery:
    engine: Engine
    content_source: object  # anything with a `.content` ContentStore (the Conversation)
    clock: Clock
    senders: dict[str, Sender] = field(default_factory=dict)
    batch: int = 50
    paused_until: datetime | None = None

    @property
    def content(self) -> ContentStore:
        return self.content_source.content

    async def run_once(self) -> dict[str, int]:
        """Deliver what is due now; returns counts by outcome."""
        now = self.clock.now()
        counts: Counter[str] = Counter()
        if self.paused_until is not None and now < self.paused_until:
            return {}
        claimed = await asyncio.to_thread(self._claim, now)
        for index, item in enumerate(claimed):
            if item.verdict is not None:
                await self._mark(item.row_id, item.verdict, now, item.verdict.value)
                counts[item.verdict.value] += 1
                continue
            sender = self.senders.get(item.channel)
            try:
                if sender is None:
                    raise Unreachable(f"no sender for {item.channel}")
                await sender.send(item.platform_id, item.replies)
            except Blocked:
                await asyncio.to_thread(self._blocked, item, now)
                counts["blocked"] += 1
            except Unreachable as exc:
                await self._mark(item.row_id, OutboxStatus.unreachable, now, str(exc))
                counts["unreachable"] += 1
            except (Throttled, Retryable) as exc:
                # Pause the whole lane; this row and the rest of the batch go back to pending.
                wait = exc.retry_after if isinstance(exc, Throttled) else RETRYABLE_PAUSE
                retry_at = now + timedelta(seconds=wait)
                self.paused_until = retry_at
                for later in claimed[index:]:
                    await self._mark(later.row_id, OutboxStatus.pending, now, str(exc), retry_at)
                counts["retry"] += len(claimed) - index
                break
            except Permanent as exc:
                await self._mark(item.row_id, OutboxStatus.failed, now, exc.reason)
                counts["failed"] += 1
            except Exception as exc:  # noqa: BLE001
                log.warning("outbox %s failed: %s", item.row_id, type(exc).__name__)
                await self._mark(item.row_id, OutboxStatus.failed, now, type(exc).__name__)
                counts["failed"] += 1
            else:
                await self._mark(item.row_id, OutboxStatus.sent, now)
                counts["sent"] += 1
        return dict(counts)

    def _claim(self, now: datetime) -> list[Claimed]:
        """Claim due rows and render them, in one transaction (runs in a worker thread)."""
        out = []
        with session_scope(self.engine) as session:
            for row in outbox.claim_due(session, now, self.batch):
                contact = session.get(Contact, row.contact_id)
                allowed = {ContactStatus.active}
                if REGISTRY.is_reply_kind(row.kind):
                    allowed.add(ContactStatus.stopped)
                if contact is None or contact.status not in allowed:
                    out.append(Claimed(row.id, verdict=OutboxStatus.unreachable))
                    continue
                replies = REGISTRY.render(
                    session, self.content, contact, row.kind, outbox.payload_of(row), now
                )
                out.append(
                    Claimed(
                        row.id,
                        contact.channel,
                        contact.platform_id,
                        replies or [],
                        None if replies is not None else OutboxStatus.cancelled,
                    )
                )
        return out

    async def _mark(
        self,
        row_id: int,
        status: OutboxStatus,
        now: datetime,
        error: str | None = None,
        retry_at: datetime | None = None,
    ) -> None:
        def write() -> None:
            with session_scope(self.engine) as session:
                outbox.mark(session, row_id, status, now, error, retry_at)

        await asyncio.to_thread(write)  # never block the event loop that also answers people

    def _blocked(self, item: Claimed, now: datetime) -> None:
        with session_scope(self.engine) as session:
            outbox.mark(session, item.row_id, OutboxStatus.unreachable, now, "blocked")
            contact = contacts.get(session, item.channel, item.platform_id)
            if contact is not None:
                contacts.set_status(session, contact, ContactStatus.blocked)
