"""Per-person flood limit for inbound messages, shared by every channel of one process.

A token bucket per (channel, person): `burst` messages at once, refilled at `per_minute`. Past it,
messages are dropped before they reach the database or the matcher; the first dropped message of
a flood gets one polite notice, the rest nothing, until the person's bucket has room again. Other
people are never affected. In-process only: with several processes each keeps its own buckets
(the per-platform send budget shared by processes is a separate matter, issue 13).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from sqlmodel import Session

from handlers.messages import Inbound, Reply
from handlers.router import Conversation
from storage import contacts

log = logging.getLogger(__name__)


class Verdict(Enum):
    handle = "handle"
    notify = "notify"  # drop, and tell the person once to slow down
    drop = "drop"


@dataclass
class _Bucket:
    tokens: float
    at: float
    notified: bool = False


@dataclass
class FloodGuard:
    """`burst` <= 0 turns the limit off. `clock` returns seconds (monotonic)."""

    burst: int
    per_minute: float
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[tuple[str, str], _Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self, channel: str, person: str) -> Verdict:
        if self.burst <= 0:
            return Verdict.handle
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get((channel, person))
            if bucket is None:
                bucket = self._buckets[(channel, person)] = _Bucket(float(self.burst), now)
                self._forget_idle(now)
            refill = (now - bucket.at) * self.per_minute / 60
            bucket.tokens, bucket.at = min(float(self.burst), bucket.tokens + refill), now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                bucket.notified = False
                return Verdict.handle
            if bucket.notified:
                return Verdict.drop
            bucket.notified = True
            return Verdict.notify

    def _forget_idle(self, now: float) -> None:
        """Keep memory bounded: a bucket that has refilled completely holds nothing to keep."""
        if len(self._buckets) < 10_000:
            return
        full = self.burst * 60 / self.per_minute
        for key in [k for k, b in self._buckets.items() if now - b.at > full]:
            del self._buckets[key]


def handle(conversation: Conversation, guard: FloodGuard, inbound: Inbound) -> list[Reply]:
    """`conversation.handle` behind the person's flood limit (blocking: call it in a thread).
    Block/unblock notices are facts, never limited."""
    if inbound.kind in ("blocked", "unblocked"):
        return conversation.handle(inbound)
    verdict = guard.check(inbound.channel, inbound.user_id)
    if verdict is Verdict.handle:
        return conversation.handle(inbound)
    if verdict is Verdict.drop:
        return []
    log.info("a %s person is sending too fast: asked once to slow down", inbound.channel)
    language = _language(conversation, inbound)
    return [Reply(text=conversation.content.texts.get(language, "slow_down"))]


def _language(conversation: Conversation, inbound: Inbound) -> str:
    """The person's chosen language, else the platform's hint, else the default."""
    with Session(conversation.engine) as session:
        contact = contacts.get(session, inbound.channel, inbound.user_id)
    if contact is not None:
        return contact.language
    hint = (inbound.language or "")[:2]
    return hint if hint in ("vi", "en") else conversation.settings.default_language
