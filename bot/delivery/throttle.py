"""How fast proactive sends may go: one limiter per channel and lane, one per chat, one for the
channel overall, and a pause for the whole channel when the platform answers 429.

Limiters are aiolimiter leaky buckets of capacity 1, so sends are spaced evenly and never burst
above the rate (a bucket of 30 would allow 60 within one second). They run on the event loop's
clock; the pause is on the injected clock, like every other time the delivery engine stores."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from aiolimiter import AsyncLimiter

from bot.delivery.lanes import LANES

# Telegram's documented limits: about 30 messages per second overall and about one per second
# to one chat (core.telegram.org/bots/faq, "broadcasting to users").
TELEGRAM_PER_SECOND = 30.0
TELEGRAM_PER_CHAT_PER_SECOND = 1.0
CHATS_KEPT = 4096  # per-chat limiters kept; far more chats than one second of sends can touch


def _default_lanes() -> dict[str, float]:
    # Lanes below the overall rate leave room for the answers people are waiting for.
    return {"reply": TELEGRAM_PER_SECOND, "reminder": 25.0, "bulk": 25.0}


@dataclass(frozen=True)
class Limits:
    """Sends per second for one channel: overall, to one chat, and per lane; `in_flight` is how
    many chats are sent to at once (network round trips overlap, the limiters keep the rate)."""

    per_second: float = TELEGRAM_PER_SECOND
    per_chat_per_second: float = TELEGRAM_PER_CHAT_PER_SECOND
    lanes: Mapping[str, float] = field(default_factory=_default_lanes)
    in_flight: int = 8


def _limiter(per_second: float) -> AsyncLimiter:
    return AsyncLimiter(1, 1 / per_second)


class ChannelThrottle:
    """The limits of one channel; create one per channel and keep it for the process."""

    def __init__(self, limits: Limits | None = None):
        self.limits = limits or Limits()
        self.overall = _limiter(self.limits.per_second)
        rates = {lane: self.limits.lanes.get(lane, self.limits.per_second) for lane in LANES}
        self.lanes = {lane: _limiter(rate) for lane, rate in rates.items()}
        self._chats: OrderedDict[str, AsyncLimiter] = OrderedDict()
        self.paused_until: datetime | None = None

    def paused(self, now: datetime) -> bool:
        return self.paused_until is not None and now < self.paused_until

    def pause(self, until: datetime) -> None:
        """Stop every lane of this channel until `until` (the platform's retry_after)."""
        if self.paused_until is None or until > self.paused_until:
            self.paused_until = until

    async def acquire(self, lane: str, chat: str) -> None:
        """Wait until one more message may go to `chat` in `lane`."""
        await self.lanes[lane].acquire()
        await self._chat(chat).acquire()
        await self.overall.acquire()

    def _chat(self, chat: str) -> AsyncLimiter:
        limiter = self._chats.get(chat)
        if limiter is None:
            limiter = self._chats[chat] = _limiter(self.limits.per_chat_per_second)
            while len(self._chats) > CHATS_KEPT:
                self._chats.popitem(last=False)
        else:
            self._chats.move_to_end(chat)
        return limiter
