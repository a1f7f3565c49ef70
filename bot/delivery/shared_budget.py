"""One platform budget however many processes send: evenly spaced send slots kept in Redis.

Telegram allows a bot about 30 messages a second in all and about one a second to one chat
(core.telegram.org/bots/faq). Each process's own limiter keeps only its own sends to that rate,
so two processes send 60 a second together. With `SXSH_DELIVERY__REDIS_URL` set, every process
also takes a slot from Redis before each send: the slot schedule ("the next free moment") lives
in one Redis key per channel and one per chat, advanced atomically by a Lua script on Redis's
own clock (no clock skew between hosts). The scheme is GCRA's virtual scheduling with no burst:
sends are spaced at least 1/rate apart across all processes. Without the setting nothing of this
runs: the embedded default keeps its in-process limiter and needs no Redis.

A slot reserved by a send that is then cancelled stays used: the budget errs on the slow side.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import uuid

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# KEYS[1] the schedule key; ARGV[1] the spacing in microseconds. Returns how many microseconds
# the caller waits for its slot. The key expires a second after its last slot.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local spacing = tonumber(ARGV[1])
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now then slot = now end
local ttl_ms = math.floor((slot + spacing - now) / 1000) + 1000
redis.call('SET', KEYS[1], string.format('%d', slot + spacing), 'PX', ttl_ms)
return slot - now
"""


# KEYS[1] the window key; ARGV[1] the window in microseconds, ARGV[2] the most sends in it,
# ARGV[3] a unique member. Records a send now and returns 0 when fewer than ARGV[2] went in the
# last window, else (recording nothing) the microseconds until the oldest leaves it.
_WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.floor(window / 1000) + 1000)
  return 0
end
local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
return oldest + window - now + 1
"""


class SharedBudget:
    """Send slots shared through Redis. `acquire(key, per_second)` waits for this process's
    slot on `key`; `prefix` separates bots (and tests) sharing one Redis. When Redis cannot be
    reached the send goes on under the in-process limits only (logged once per outage): a
    Redis outage must not stop the bot answering people."""

    def __init__(self, url: str, prefix: str = "sxsh:budget"):
        self.redis = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = prefix
        self._script = self.redis.register_script(_RESERVE)
        self._window = self.redis.register_script(_WINDOW)
        self._sends = itertools.count()
        self._id = uuid.uuid4().hex[:12]
        self._down = False

    async def wait_seconds(self, key: str, per_second: float) -> float:
        """Reserve the next slot of `key` at `per_second` and return how long to wait for it
        (0 when Redis is unreachable)."""
        spacing = max(1, round(1_000_000 / per_second))
        try:
            micros = await self._script(keys=[f"{self.prefix}:{key}"], args=[spacing])
        except (RedisError, OSError) as exc:
            if not self._down:
                log.warning("shared send budget unavailable, using this process's: %s", exc)
            self._down = True
            return 0.0
        if self._down:
            log.warning("shared send budget available again")
            self._down = False
        return int(micros) / 1_000_000

    async def acquire(self, key: str, per_second: float) -> None:
        wait = await self.wait_seconds(key, per_second)
        if wait > 0:
            await asyncio.sleep(wait)

    async def window_wait(self, key: str, most: int, seconds: float = 1.0) -> float:
        """Record a send on `key` now, unless `most` went in the last `seconds` (every process
        together): then record nothing and return how long to wait before asking again. The
        evenly spaced slots alone are not enough: a process whose event loop was held up sends
        its late slots together, and the platform counts what arrives within one second."""
        member = f"{self._id}:{next(self._sends)}"
        args = [round(seconds * 1_000_000), most, member]
        try:
            micros = await self._window(keys=[f"{self.prefix}:window:{key}"], args=args)
        except (RedisError, OSError):
            return 0.0  # the outage is logged by wait_seconds; the in-process limits hold
        return int(micros) / 1_000_000

    async def within_window(self, key: str, most: int, seconds: float = 1.0) -> None:
        while (wait := await self.window_wait(key, most, seconds)) > 0:  # noqa: ASYNC110
            await asyncio.sleep(wait)  # until the oldest send leaves the window (Redis's clock)

    async def close(self) -> None:
        await self.redis.aclose()
