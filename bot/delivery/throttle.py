"""How fast proactive sends may go: one limiter per channel and lane, one per chat, one budget
for the channel overall shared by its lanes in priority order, and a pause for the whole channel
when the platform answers 429.

Limiters space sends evenly and never burst above the rate (aiolimiter buckets of capacity 1; a
bucket of 30 would allow 60 within one second). They run on the event loop's clock; the pause
is on the injected clock, like every other time the delivery engine stores."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections import OrderedDict, deque
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


@dataclass(frozen=True)
class Limits:
    """Sends per second for one channel: overall (shared by the lanes, replies first), to one
    chat, and an optional cap per lane (a lane not named may use the whole budget); `in_flight`
    is how many chats are sent to at once (round trips overlap, the limiters keep the rate)."""

    per_second: float = TELEGRAM_PER_SECOND
    per_chat_per_second: float = TELEGRAM_PER_CHAT_PER_SECOND
    lanes: Mapping[str, float] = field(default_factory=dict)
    in_flight: int = 16
    # Telegram counts sends in one-second windows; no more than `per_second` go in any window
    # of 1 s + `margin` s, so a send that reaches the platform a little late (a busy event loop,
    # a slow database write before it) never makes one window hold one too many.
    margin: float = 0.04


def _limiter(per_second: float) -> AsyncLimiter:
    return AsyncLimiter(1, 1 / per_second)


class PriorityLimiter:
    """Evenly spaced slots at `per_second`, and never more than `per_second` of them in any
    window of `window` seconds (1 s and a margin); when several senders wait, the lowest
    `priority` goes first (then first come, first served). A bulk lane may use the whole budget
    while no reply waits, and a reply never queues behind it. aiolimiter has no priorities."""

    def __init__(self, per_second: float, window: float = 1.0):
        self.interval = 1 / per_second
        self.window = window
        # The last grants, as many as one window may hold (none kept for an unlimited rate).
        self._recent: deque[float] = deque(maxlen=max(1, int(per_second)))
        self._windowed = per_second <= 1000
        self._next = 0.0  # event-loop time of the next free slot
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop the timer is on

    async def acquire(self, priority: int = 0) -> None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._waiting, (priority, next(self._order), future))
        self._arm(loop)
        await future  # a cancelled waiter is skipped when its turn comes

    def _arm(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._timer is not None and self._loop is loop and not loop.is_closed():
            return
        self._loop = loop
        self._timer = loop.call_at(max(self._free_at(), loop.time()), self._grant, loop)

    def _free_at(self) -> float:
        """The next slot, later when the last window's worth of grants began too recently."""
        full = self._windowed and len(self._recent) == self._recent.maxlen
        return max(self._next, self._recent[0] + self.window) if full else self._next

    def _grant(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        now = loop.time()
        while self._waiting and self._free_at() <= now:
            _, _, future = heapq.heappop(self._waiting)
            if not future.done():
                future.set_result(None)
                self._recent.append(now)
                # Keep the schedule when this timer fired late (a busy loop), so lateness does
                # not add up into a lower rate (the window still bounds any catching up);
                # after a longer gap, start again from now.
                self._next = max(self._next, now - self.interval) + self.interval
                break
        if self._waiting:
            self._arm(loop)


class ChannelThrottle:
    """The limits of one channel; create one per channel and keep it for the process. With a
    `shared` budget (bot/delivery/shared_budget.py) every send also takes a slot that all
    processes share, for the channel overall and for the chat."""

    def __init__(self, limits: Limits | None = None, shared=None, channel: str = ""):  # noqa: ANN001
        self.limits = limits or Limits()
        self.shared, self.channel = shared, channel
        self.overall = PriorityLimiter(self.limits.per_second, 1.0 + self.limits.margin)
        self.lanes = {lane: _limiter(rate) for lane, rate in self.limits.lanes.items()}
        self._chats: OrderedDict[str, float] = OrderedDict()  # chat -> loop time it is free
        self.paused_until: datetime | None = None

    def paused(self, now: datetime) -> bool:
        return self.paused_until is not None and now < self.paused_until

    def pause(self, until: datetime) -> None:
        """Stop every lane of this channel until `until` (the platform's retry_after)."""
        if self.paused_until is None or until > self.paused_until:
            self.paused_until = until

    async def acquire(self, lane: str, chat: str) -> None:
        """Wait until one more message may go to `chat` in `lane`."""
        if lane in self.lanes:
            await self.lanes[lane].acquire()
        loop = asyncio.get_running_loop()
        spacing = 1 / self.limits.per_chat_per_second
        # A time to reach, not an event: sleep until the chat is free (again, if it moved).
        while (wait := self._chats.get(chat, -1e9) - loop.time()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(wait)
        self._stamp(chat, loop.time() + spacing)  # a second send to this chat waits from now...
        await self.overall.acquire(LANES.index(lane) if lane in LANES else len(LANES))
        # ...and from the overall slot, which may come later: the chat's spacing is counted
        # from when the message really goes (the platform counts arrivals, not requests).
        self._stamp(chat, loop.time() + spacing)
        if self.shared is not None:
            await self.shared.acquire(
                f"{self.channel}:chat:{chat}", self.limits.per_chat_per_second
            )
            await self.shared.acquire(self.channel, self.limits.per_second)

    def _stamp(self, chat: str, free_at: float) -> None:
        """The loop time from which `chat` may get its next message; the newest chats kept."""
        self._chats[chat] = max(free_at, self._chats.get(chat, free_at))
        self._chats.move_to_end(chat)
        while len(self._chats) > CHATS_KEPT:
            self._chats.popitem(last=False)
