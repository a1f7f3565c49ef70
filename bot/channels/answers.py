"""Answering a person on a channel whose sender raises the neutral send errors (Zalo OA, Zalo
Bot): part by part, a passing fault tried again, and what the platform would not take held in
the outbox instead of lost (issue 13, "Outages survived"; handlers/held_replies.py).

Telegram does the same through PTB's rate-limiter hook (bot/channels/telegram/requests.py) and
`send_each`."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot.channels.errors import Blocked, ChannelDown, Retryable, SendError, Throttled
from bot.settings_areas import LimitSettings
from handlers.clock import Clock
from handlers.held_replies import hold_for
from handlers.messages import Reply

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answering:
    """How one channel answers: `attempts` tries of a part on a transient fault (5xx, timeout,
    rate limit), `backoff` seconds before the second, doubling; a rate limit asking to wait
    longer than `max_wait` seconds is not waited out for an answer. A channel's handler holds
    one, built once (`configured`)."""

    channel: str
    engine: Engine
    clock: Clock
    attempts: int = 3
    backoff: float = 0.5
    max_wait: float = 60.0

    @classmethod
    def configured(
        cls, channel: str, engine: Engine, clock: Clock, limits: LimitSettings
    ) -> Answering:
        """The settings' tries and wait (limits.reply_attempts, reply_max_wait_seconds)."""
        return cls(channel, engine, clock, attempts=limits.reply_attempts,
                   max_wait=limits.reply_max_wait_seconds)  # fmt: skip

    async def answer(self, sender, user_id: str, replies: list[Reply]) -> list[Reply]:  # noqa: ANN001
        """Send `replies` as the sender's parts. A part that cannot be sent does not stop the
        next (a lost confirmation must not hide the next question); a blocked contact stops
        them all. Parts still failing after the tries, and every part once the channel is
        stopped, are held in the outbox; returns them."""
        parts = sender.parts(replies)
        unsent: list[Reply] = []
        for index, part in enumerate(parts):
            try:
                await self._send(sender, user_id, part)
            except (Retryable, Throttled) as exc:
                log.warning("a %s answer could not be sent: %s", self.channel, exc.reason)
                unsent.append(part)
            except ChannelDown as exc:
                log.warning("%s answers stopped: %s", self.channel, exc.reason)
                unsent += parts[index:]
                break
            except Blocked as exc:
                log.warning("%s answers stopped: %s", self.channel, exc.reason)
                return []
            except SendError as exc:  # final for this part (400 and the like)
                log.warning("a %s answer could not be sent: %s", self.channel, exc.reason)
        if unsent:
            now = self.clock.now()
            await asyncio.to_thread(hold_for, self.engine, self.channel, user_id, unsent, now)
        return unsent

    async def _send(self, sender, user_id: str, part: Reply) -> None:  # noqa: ANN001
        """One part, tried again on a passing fault; raises the last error."""
        for attempt in range(1, self.attempts + 1):
            try:
                return await sender.send(user_id, [part])
            except (Retryable, Throttled) as exc:
                wait = getattr(exc, "retry_after", self.backoff * 2 ** (attempt - 1))
                if attempt == self.attempts or wait > self.max_wait:
                    raise
                await asyncio.sleep(wait)
        return None
