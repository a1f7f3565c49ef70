"""Every Bot API call but getUpdates goes through `ReplyLimiter` (PTB's rate-limiter hook):

* 30 calls a second in all that address a chat (Telegram's bot-wide limit, Bot API FAQ), and
  one message a second to one chat, both evenly spaced (never a burst); a message counts
  against the 30 from its departure until a second after its answer (`_take_window`);
* a 429 pauses only the chat it was about: other chats keep going (PTB's AIORateLimiter pauses
  every chat of the bot), and the call is tried again after `retry_after` unless that is longer
  than `max_wait`;
* a transient fault (5xx, timeout, connection error) is tried again with backoff (0.5 s
  doubling, at most 8 s), at least `attempts` times and, for a reply, until `retry_seconds`
  have passed since its first try (random faults under load lose no reply; the person's next
  messages wait behind it, so the order holds); start-up calls (getMe, deleteWebhook,
  setWebhook, setMyCommands) get `startup_attempts`, so one hiccup at start does not stop the
  bot;
* 400, 401, 403, 404 are never retried: they will not get better.

`rate_limit_args` is the number of attempts; a caller that manages retries itself (the outbox)
passes `ONE_ATTEMPT`: the error reaches it unchanged (PTB drops a falsy value, so not 0). The
conversation's own replies (no `rate_limit_args`) also take a first-priority slot of the
delivery throttle's overall budget when `budget` is set (the Telegram app sets it at start): the
bulk lane then uses every slot replies leave, and never more. With a `shared` budget
(bot/delivery/shared_budget.py, Redis) the conversation's own replies also take a slot every
process shares; the outbox's sends took theirs in the delivery throttle already. A retried
sendMessage after a timeout may reach the person twice (the first may have arrived); a lost
answer is worse.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import OrderedDict, deque
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter

from bot import metrics
from bot.delivery.throttle import PriorityLimiter

log = logging.getLogger(__name__)

CHATS_KEPT = 4096  # chats whose last send time is kept (far more than one second touches)
ONE_ATTEMPT = 1  # rate_limit_args of a send that took its slot already and retries itself
MAX_BACKOFF = 8.0  # seconds between two tries of one call, at most
STARTUP = frozenset({"getMe", "deleteWebhook", "setWebhook", "setMyCommands", "getWebhookInfo"})


def _seconds(value: object) -> float:
    return float(getattr(value, "total_seconds", lambda: value)())


class ReplyLimiter(BaseRateLimiter[int]):
    def __init__(
        self,
        *,
        attempts: int = 3,
        startup_attempts: int = 6,
        backoff: float = 0.5,
        max_wait: float = 60,
        retry_seconds: float = 0,
        per_second: float = 30,
        per_chat_per_second: float = 1,
        shared=None,  # noqa: ANN001 - a SharedBudget, or None for this process's limits only
    ):
        self.attempts = attempts
        self.startup_attempts = startup_attempts
        self.backoff = backoff
        self.max_wait = max_wait
        self.retry_seconds = retry_seconds
        # Without `budget`: evenly spaced, no burst (a bucket of 30 lets 60 through within one
        # second), a late timer does not lower the rate, and a reply goes before the outbox.
        self._overall = PriorityLimiter(per_second)
        self._last_sent: OrderedDict[object, float] = OrderedDict()  # chat -> loop time
        self._awaited = 0  # this process's messages sent and not yet answered
        self._answered: deque[float] = deque()  # loop times of their answers in the last second
        self.per_second, self.per_chat_per_second = per_second, per_chat_per_second
        self.shared = shared
        # The channel's overall PriorityLimiter (bot/delivery/throttle.py), or None.
        self.budget = None
        self._paused: dict[object, float] = {}  # chat id -> loop time it may send again

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        chat = data.get("chat_id")
        window = 0.0  # seconds after the first try that a transient fault is still retried
        if rate_limit_args is not None:
            attempts = max(1, rate_limit_args)
        elif endpoint in STARTUP:
            attempts = self.startup_attempts
        else:
            attempts, window = self.attempts, self.retry_seconds
        loop = asyncio.get_running_loop()
        started = loop.time()

        def last(attempt: int, delay: float) -> bool:
            return attempt >= attempts and loop.time() - started + delay > window

        spaced = chat is not None and endpoint.startswith("send")  # a message, not an edit
        attempt = 0
        while True:
            attempt += 1
            await self._wait_for(chat)
            if spaced:
                # One chat's messages 1/s apart, counted from when the last one really went:
                # its wait for the overall budget does not eat into the next one's spacing.
                await self._chat_spacing(chat)
            if self.budget is not None and chat is not None and rate_limit_args is None:
                await self.budget.acquire(0)  # before any broadcast waiting for a slot
            if self.shared is not None and chat is not None and rate_limit_args is None:
                await self.shared.acquire(f"telegram:chat:{chat}", self.per_chat_per_second)
                await self.shared.acquire("telegram", self.per_second)
            try:
                if chat is not None and self.budget is None:
                    await self._overall.acquire(0 if rate_limit_args is None else 1)
                if not spaced:
                    return await callback(*args, **kwargs)
                await self._chat_spacing(chat)  # another send to this chat went meanwhile
                sent = await self._take_window()
                self._sent_now(chat)
                try:
                    result = await callback(*args, **kwargs)
                finally:
                    self._answer_came()
                    if self.shared is not None:
                        await self.shared.answered("telegram", sent)
                metrics.message_out("telegram")
                return result
            except RetryAfter as exc:
                metrics.rate_limited("telegram")
                wait = _seconds(exc.retry_after)
                if last(attempt, wait) or wait > self.max_wait:
                    raise
                # Only this chat waits; 0.1 s of margin as PTB's own limiter does.
                self._paused[chat] = asyncio.get_running_loop().time() + wait + 0.1
                log.info("429 on %s: this chat waits %.1f s, others go on", endpoint, wait)
            except BadRequest:
                raise  # a NetworkError subclass in PTB, but a 400 never gets better
            except NetworkError as exc:  # 5xx, timeouts, connection errors
                delay = min(MAX_BACKOFF, self.backoff * 2 ** (attempt - 1))
                if last(attempt, delay):
                    raise
                log.warning(
                    "%s failed (%s), try %d; again in %.1f s",
                    endpoint,
                    type(exc).__name__,
                    attempt,
                    delay,
                )
                await asyncio.sleep(delay)

    async def _take_window(self) -> str | None:
        """Wait until fewer than `per_second` messages are awaiting their answer or had it
        within the last second (in this process and, with a shared budget, in all), then count
        this one as awaited. The platform counts a message when it handles it, some time
        between its departure and its answer: counted from departure to answer plus one
        second, no second at the platform holds more than `per_second`, however late a request
        reaches it. (Counted at departure only, 29 a second still gave 5-15 429s in 2 minutes
        of the load benchmark, 105 at load 3: a request held up 70-600 ms on its way by a busy
        event loop was handled in the same second as those sent a second after it.)"""
        most = max(1, math.floor(self.per_second))
        loop = asyncio.get_running_loop()
        while True:
            while self._answered and loop.time() - self._answered[0] >= 1.0:
                self._answered.popleft()
            if self._awaited + len(self._answered) < most:
                break
            # All awaited: the first answer comes now at the earliest, its second ends later.
            await asyncio.sleep(self._answered[0] + 1.0 - loop.time() if self._answered else 1.0)
        self._awaited += 1
        if self.shared is None:
            return None
        try:
            return await self.shared.take_send("telegram", most)
        except BaseException:
            self._answer_came()
            raise

    def _answer_came(self) -> None:
        self._awaited -= 1
        self._answered.append(asyncio.get_running_loop().time())

    async def _chat_spacing(self, chat: object) -> None:
        last = self._last_sent.get(chat)
        if last is not None:
            delay = last + 1 / self.per_chat_per_second - asyncio.get_running_loop().time()
            if delay > 0:
                await asyncio.sleep(delay)

    def _sent_now(self, chat: object) -> None:
        self._last_sent[chat] = asyncio.get_running_loop().time()
        self._last_sent.move_to_end(chat)
        while len(self._last_sent) > CHATS_KEPT:
            self._last_sent.popitem(last=False)

    async def _wait_for(self, chat: object) -> None:
        until = self._paused.get(chat)
        if until is None:
            return
        delay = until - asyncio.get_running_loop().time()
        if delay > 0:
            await asyncio.sleep(delay)
        if self._paused.get(chat) == until:
            del self._paused[chat]


class StartFailed(Exception):
    """The Bot API would not answer the start-up calls; the message is the operator's line."""


def start_failure(exc: Exception) -> str:
    """One line for the operator when the Bot API would not answer the start-up calls (after
    their retries): a refused token, or the API not reachable."""
    from telegram.error import InvalidToken

    if isinstance(exc, InvalidToken):
        return "Telegram: the Bot API refused SXSH_TELEGRAM_TOKEN (401): check the token"
    return (
        f"Telegram: the Bot API (SXSH_TELEGRAM_API_URL) could not be reached at start "
        f"({type(exc).__name__})"
    )
