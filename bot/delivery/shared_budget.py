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
import logging

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


class SharedBudget:
    """Send slots shared through Redis. `acquire(key, per_second)` waits for this process's
    slot on `key`; `prefix` separates bots (and tests) sharing one Redis. When Redis cannot be
    reached the send goes on under the in-process limits only (logged once per outage): a
    Redis outage must not stop the bot answering people."""

    def __init__(self, url: str, prefix: str = "sxsh:budget"):
        self.redis = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = prefix
        self._script = self.redis.register_script(_RESERVE)
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

    async def close(self) -> None:
        await self.redis.aclose()
