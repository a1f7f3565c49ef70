"""Delivers due outbox rows through the channels: claim, send part by part, mark.

Rows are claimed per channel and lane (replies first), rendered, split into the platform's
messages, and sent at the lane's rate. Every outcome is written to the row: each delivered part
(`parts_sent`, so a retry sends only the rest), the next try after a transient fault (`due_at`,
with backoff), and a final state with the reason after the retry limit. A 429 pauses that
channel only and puts the row back without counting an attempt. A restart resumes from the
rows; nothing lives only in memory except the rate limiters.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot import metrics
from bot.channels.errors import (
    Blocked,
    ChannelDown,
    Permanent,
    SendError,
    Throttled,
    Unreachable,
)
from bot.delivery import lanes
from bot.delivery.lanes import BULK, LANES, REMINDER, REPLY, Kind, KindTable
from bot.delivery.policy import RetryPolicy
from bot.delivery.shared_budget import SharedBudget
from bot.delivery.throttle import ChannelThrottle, Limits
from content.store import ContentStore
from handlers import quiet_hours
from handlers.clock import Clock
from handlers.messages import Reply
from storage import contacts, outbox
from storage.db import session_scope
from storage.models import Contact, ContactStatus, Outbox, OutboxStatus

if TYPE_CHECKING:
    from bot.settings_areas import DeliverySettings

log = logging.getLogger(__name__)


class Sender(Protocol):
    """A channel's proactive sender. It raises the neutral send errors. If it has
    `parts(replies) -> list[Reply]` (one Reply per platform message), delivery records each
    part; otherwise each Reply is taken as one part. `send` may return the route the platform
    took it by (Zalo OA: free / quota), kept on the outbox row."""

    async def send(self, platform_id: str, replies: list[Reply]) -> str | None: ...


@dataclass
class Claimed:
    """A claimed row, rendered into parts, or with the verdict that it is not to be sent."""

    row_id: int
    lane: str
    attempts: int = 0
    kind: str = ""
    payload: dict = field(default_factory=dict)
    on_outcome: Callable[..., None] | None = None  # the kind's hook (lanes.OutcomeHook)
    contact_id: int | None = None
    platform_id: str = ""
    parts: list[Reply] = field(default_factory=list)
    parts_sent: int = 0
    verdict: OutboxStatus | None = None
    reason: str | None = None  # the verdict's reason, or why rendering failed
    hold_until: datetime | None = None  # the renderer said "not now" (quiet hours)


@dataclass
class Delivery:
    """The delivery lanes of one process. `limits` per channel name (default: Telegram's);
    `batch` is the most rows one lane claims per pass."""

    engine: Engine
    content_source: object  # anything with a `.content` ContentStore (the Conversation)
    clock: Clock
    senders: dict[str, Sender] = field(default_factory=dict)
    batch: int = 50
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    limits: Mapping[str, Limits] = field(default_factory=dict)
    kinds: KindTable = field(default_factory=lambda: KindTable(lanes.registered_kinds))
    stale_after: timedelta = outbox.STALE_AFTER
    throttles: dict[str, ChannelThrottle] = field(default_factory=dict)
    shared: SharedBudget | None = None  # the budget every process shares (Redis), or none
    # Bulk rows per channel claimed by `drain`'s previous pass while it sent (the lane does not
    # idle between batches); claimed, not started: after a crash pending again.
    ahead: dict[str, list[Claimed]] = field(default_factory=dict)

    @classmethod
    def from_settings(
        cls,
        engine: Engine,
        content_source: object,
        clock: Clock,
        senders: dict[str, Sender],
        settings: DeliverySettings,
    ) -> Delivery:
        """Lanes with the batch, retry policy and rates of `settings.delivery` (Telegram's; the
        console is not limited). No lane has a cap: replies take the first free slot (the
        Telegram app's answers too, requests.ReplyLimiter.budget), the other lanes the rest."""
        rates = Limits(settings.rate_per_second, settings.rate_per_chat_per_second)
        unlimited = Limits(per_second=1e6, per_chat_per_second=1e6)
        return cls(
            engine,
            content_source,
            clock,
            senders,
            batch=settings.batch,
            policy=RetryPolicy(
                settings.max_attempts, settings.backoff_seconds, settings.backoff_max_seconds
            ),
            limits={name: unlimited if name == "console" else rates for name in senders},
            shared=SharedBudget(settings.redis_url) if settings.redis_url else None,
        )

    @property
    def content(self) -> ContentStore:
        return self.content_source.content

    def throttle(self, channel: str) -> ChannelThrottle:
        if channel not in self.throttles:
            self.throttles[channel] = ChannelThrottle(
                self.limits.get(channel), shared=self.shared, channel=channel
            )
        return self.throttles[channel]

    async def run_once(self) -> dict[str, int]:
        """One pass: for each channel, each lane in order claims up to `batch` due rows and
        sends them. Returns counts by outcome (sent, retry, failed, unreachable, blocked,
        cancelled)."""
        counts, _ = await self._pass()
        return dict(counts)

    async def drain(self, max_passes: int = 10_000) -> dict[str, int]:
        """Pass after pass until nothing due is left, so a lane sends what is due at its own
        rate instead of `batch` rows per scheduler tick. Each pass starts again with the reply
        lane: a reply waits behind at most one batch of bulk work."""
        total: Counter[str] = Counter()
        for _ in range(max_passes):
            counts, claimed = await self._pass(claim_ahead=True)
            total.update(counts)
            if not claimed:
                break
        return dict(total)

    async def _pass(self, claim_ahead: bool = False) -> tuple[Counter[str], int]:
        counts: Counter[str] = Counter()
        claimed_total = 0
        kinds = self.kinds.snapshot()
        await asyncio.to_thread(self._release_stale, self.clock.now(), kinds)
        for channel, sender in self.senders.items():
            throttle = self.throttle(channel)
            if throttle.paused(self.clock.now()) and channel in self.ahead:
                # Each row goes back to pending, due when the pause ends.
                await self._send_batch(self.ahead.pop(channel), sender, throttle, counts)
            for lane in LANES:
                if throttle.paused(self.clock.now()):
                    break
                carried = self.ahead.pop(channel, None) if lane == BULK else None
                claimed = carried or await asyncio.to_thread(
                    self._claim, channel, lane, kinds, sender
                )
                claimed_total += len(claimed)
                next_batch = None
                if claim_ahead and lane == BULK and len(claimed) >= self.batch:
                    next_batch = asyncio.ensure_future(
                        asyncio.to_thread(self._claim, channel, lane, kinds, sender)
                    )
                outcomes: Counter[str] = Counter()
                await self._send_batch(claimed, sender, throttle, outcomes)
                if next_batch is not None:
                    self.ahead[channel] = await next_batch
                counts.update(outcomes)
                for outcome, n in outcomes.items():
                    metrics.SENT.labels(channel, lane, outcome).inc(n)
        return counts, claimed_total

    async def _send_batch(
        self,
        claimed: list[Claimed],
        sender: Sender,
        throttle: ChannelThrottle,
        counts: Counter[str],
    ) -> None:
        # One chat's rows go in order; different chats overlap their network round trips.
        chats: dict[str, list[Claimed]] = {}
        for item in claimed:
            chats.setdefault(item.platform_id, []).append(item)
        gate = asyncio.Semaphore(max(1, throttle.limits.in_flight))

        async def one_chat(items: list[Claimed]) -> None:
            async with gate:
                for item in items:
                    counts[await self._deliver(item, sender, throttle)] += 1

        await asyncio.gather(*(one_chat(items) for items in chats.values()))

    async def _deliver(self, item: Claimed, sender: Sender, throttle: ChannelThrottle) -> str:
        """Send the parts not yet delivered and record the outcome; returns its name."""
        if item.verdict is not None:
            await self._final(item, item.parts_sent, item.verdict, item.reason)
            return item.verdict.value
        if item.hold_until is not None:  # e.g. a nudge that came due late, now at night
            await self._put_back(item, item.parts_sent, item.hold_until, "quiet hours")
            return "held"
        if item.reason is not None:  # rendering failed: a bug or a passing database fault
            return await self._retry_or_give_up(item, item.parts_sent, item.reason)
        sent, route = item.parts_sent, None
        try:
            for part in item.parts[item.parts_sent :]:
                if throttle.paused(self.clock.now()):
                    return await self._put_back(item, sent, throttle.paused_until, "paused")
                if item.lane in (BULK, REMINDER) and sent == item.parts_sent:
                    # Committed before the slot (a slow write between slot and send would bunch
                    # sends): after a crash at most `in_flight` started rows are unknown.
                    await self._write(outbox.mark_started, [item.row_id], self.clock.now())
                await throttle.acquire(item.lane, item.platform_id)
                taken = await sender.send(item.platform_id, [part])
                # A channel that says how it sent (Zalo OA) returns the route: a row that
                # needed the quota for any part counts as quota.
                route = route if taken is None or route == outbox.QUOTA else taken
                sent += 1
                if sent < len(item.parts):
                    await self._write(outbox.mark_parts, item.row_id, sent)
        except (Throttled, ChannelDown) as exc:
            # The platform or the channel itself: the lane stops, the row waits unharmed.
            until = self.clock.now() + timedelta(seconds=exc.retry_after)
            throttle.pause(until)
            if isinstance(exc, Throttled):
                metrics.rate_limited(throttle.channel or "unknown")
            if isinstance(exc, ChannelDown):
                log.error("channel stopped until %s: %s", until.isoformat(timespec="minutes"),
                          exc.reason)  # fmt: skip
            return await self._put_back(item, sent, until, exc.reason)
        except Blocked as exc:
            await self._write(self._blocked, item, sent, exc.reason)
            await self._final(item, sent, OutboxStatus.unreachable, "blocked", exc.route)
            return "blocked"
        except Unreachable as exc:
            await self._final(item, sent, OutboxStatus.unreachable, exc.reason, exc.route)
            return "unreachable"
        except Permanent as exc:
            await self._final(item, sent, OutboxStatus.failed, exc.reason, exc.route)
            return "failed"
        except Exception as exc:  # Retryable, timeouts, and bugs: back off, up to the limit
            reason = exc.reason if isinstance(exc, SendError) else type(exc).__name__
            return await self._retry_or_give_up(item, sent, reason)
        await self._final(item, sent, OutboxStatus.sent, None, route)
        return "sent"

    async def _put_back(self, item: Claimed, sent: int, until: datetime | None, reason: str) -> str:
        """A pause is not the row's fault: pending again, due when the pause ends."""
        await self._write(
            outbox.mark,
            item.row_id,
            OutboxStatus.pending,
            self.clock.now(),
            reason,
            until or self.clock.now(),
            parts_sent=sent,
            count_attempt=False,
        )
        return "retry"

    async def _retry_or_give_up(self, item: Claimed, sent: int, reason: str) -> str:
        now = self.clock.now()
        log.warning("outbox %s attempt %s failed: %s", item.row_id, item.attempts, reason)
        if self.policy.gives_up(item.attempts):
            await self._final(
                item, sent, OutboxStatus.failed, self.policy.gave_up(item.attempts, reason)
            )
            return "failed"
        retry_at = self.policy.next_try(item.attempts, now)
        await self._write(
            outbox.mark, item.row_id, OutboxStatus.pending, now, reason, retry_at, parts_sent=sent
        )
        return "retry"

    async def _final(
        self, item: Claimed, sent: int, status: OutboxStatus, reason: str | None, route=None
    ) -> None:
        """The row's final state, and its kind's on_outcome in the same transaction."""
        now, hook = self.clock.now(), item.on_outcome

        def write(session: Session) -> None:
            outbox.mark(session, item.row_id, status, now, reason, parts_sent=sent, route=route)
            if hook is None or status == OutboxStatus.cancelled:
                return
            outcome = {"status": status.value, "route": route, "reason": reason}
            try:
                with session.begin_nested():
                    hook(session, item.payload, outcome, now)
            except Exception:  # noqa: BLE001 - the outcome is recorded whatever the hook does
                log.exception("outbox %s: the %s outcome hook failed", item.row_id, item.kind)

        await self._write(write)

    async def _write(self, fn: Callable[..., object], *args: object, **kwargs: object) -> None:
        def write() -> None:
            with session_scope(self.engine) as session:
                fn(session, *args, **kwargs)

        await asyncio.to_thread(write)  # never block the event loop that also answers people

    def _blocked(self, session: Session, item: Claimed, sent: int, reason: str) -> None:
        contact = session.get(Contact, item.contact_id)
        if contact is not None:
            contacts.set_status(session, contact, ContactStatus.blocked)

    def _release_stale(self, now: datetime, kinds: Mapping[str, Kind]) -> None:
        # Bulk and reminder rows a dead worker may have sent are counted unknown, never sent
        # twice (issue 13); replies resume after their last confirmed part.
        once = [k for k, v in kinds.items() if v.lane in (BULK, REMINDER)]
        with session_scope(self.engine) as session:
            outbox.release_stale(session, now, self.stale_after, unknown_kinds=once)

    def _claim(
        self, channel: str, lane: str, kinds: Mapping[str, Kind], sender: Sender
    ) -> list[Claimed]:
        """Claim one lane's due rows of one channel and render them, in one transaction (runs
        in a worker thread)."""
        now = self.clock.now()
        selection = KindTable.lane_filter(kinds, lane)
        if "kinds" in selection and not selection["kinds"]:
            return []
        with session_scope(self.engine) as session:
            # A sender that names its `recipients` (a terminal session) gets only their rows.
            mine = getattr(sender, "recipients", None)
            rows = outbox.claim_due(
                session, now, self.batch, channel=channel, platform_ids=mine, **selection
            )
            # The batch's people in one query, and what each kind prefetches, not one per row.
            people = {r.contact_id for r in rows}
            found = session.exec(select(Contact).where(col(Contact.id).in_(people))) if rows else []
            by_id = {c.id: c for c in found}
            lanes.prefetch(session, rows, kinds)
            return [
                self._prepare(session, row, by_id.get(row.contact_id), lane, kinds, sender, now)
                for row in rows
            ]

    def _prepare(
        self,
        session: Session,
        row: Outbox,
        contact: Contact | None,
        lane: str,
        kinds: Mapping[str, Kind],
        sender: Sender,
        now: datetime,
    ) -> Claimed:
        kind = kinds.get(row.kind)
        item = Claimed(row.id, lane, row.attempts, row.kind, outbox.payload_of(row),
                       kind and kind.on_outcome, parts_sent=row.parts_sent)  # fmt: skip
        if row.attempts > self.policy.max_attempts:  # earlier claims died with their worker
            item.verdict = OutboxStatus.failed
            item.reason = self.policy.gave_up(row.attempts - 1, row.error or "interrupted")
            return item
        if kind is None:
            item.verdict, item.reason = OutboxStatus.failed, f"no renderer for kind {row.kind}"
            return item
        allowed = {ContactStatus.active}
        if lane == REPLY:  # an answer to the person's own question still reaches them
            allowed.add(ContactStatus.stopped)
        if contact is None or contact.status not in allowed:
            status = contact.status if contact is not None else "gone"
            item.verdict, item.reason = OutboxStatus.unreachable, f"contact {status}"
            return item
        item.contact_id, item.platform_id = contact.id, contact.platform_id
        try:
            replies = kind.render(session, self.content, contact, item.payload, now)
        except quiet_hours.NotNow as later:
            item.hold_until = later.until
            return item
        except Exception as exc:  # noqa: BLE001 - one bad row must not stop the lane
            log.exception("outbox %s: rendering %s failed", row.id, row.kind)
            item.reason = f"render: {type(exc).__name__}"
            return item
        if replies is None:
            item.verdict, item.reason = OutboxStatus.cancelled, "no longer relevant"
            return item
        split = getattr(sender, "parts", None)
        item.parts = list(split(replies) if split is not None else replies)
        return item
