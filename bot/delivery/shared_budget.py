"""One platform budget however many processes send: evenly spaced send slots kept in Redis.

Telegram allows a bot about 30 messages a second in all and about one a second to one chat
(core.telegram.org/bots/faq). Each process's own limiter keeps only its own sends to that rate,
so two processes send 60 a second together. With `SXSH_DELIVERY_REDIS_URL` set, every process
also takes a slot from Redis before each send: the slot schedule ("the next free moment") lives
in one Redis key per channel and one per chat, advanced atomically by a Lua script on Redis's
own clock (no clock skew between hosts). The scheme is GCRA's virtual scheduling with no burst:
sends are spaced at least 1/rate apart across all processes. The Telegram replies' limiter also
counts every message from its departure until a second after its answer in a Redis sorted set
(`take_send`, `answered`), so that no second at the platform gets more than the rate however
late requests reach it. Without the setting nothing of this runs: the embedded default keeps
its in-process limiter and needs no Redis.

A slot reserved by a send that is then cancelled stays used: the budget errs on the slow side.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import uuid

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

LEASE = 30.0  # seconds a send may await its answer (PTB's timeouts are 5-20 s) before it is let go

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


# KEYS[1] the window key, a sorted set of sends scored by when each stops counting: its answer
# (ARGV[4] microseconds from now while it is awaited); ARGV[1] the window in microseconds,
# ARGV[2] the most sends in it, ARGV[3] a unique member. Records the send and returns 0 when
# fewer than ARGV[2] are awaited or were answered within the window, else (recording nothing)
# the microseconds to wait before asking again.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[1])
local lease = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.floor((lease + window) / 1000) + 1000)
  return 0
end
local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
return math.min(oldest + window - now, window) + 1
"""

# KEYS[1] the window key, ARGV[1] the member of a send that has its answer: scored now.
_ANSWERED = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
return 0
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
        self._take = self.redis.register_script(_TAKE)
        self._answered = self.redis.register_script(_ANSWERED)
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

    async def take_send(self, key: str, most: int, window: float = 1.0) -> str | None:
        """Wait until fewer than `most` sends on `key` (every process together) are awaiting
        their answer or had it within the last `window` seconds, and count this one as
        awaited; pass the returned name to `answered` when its answer (or error) comes. None
        when Redis is unreachable (the outage is logged by wait_seconds; the in-process limits
        hold). A send whose process died is let go `LEASE` seconds after it left."""
        member = f"{self._id}:{next(self._sends)}"
        args = [round(window * 1_000_000), most, member, round(LEASE * 1_000_000)]
        while True:
            try:
                micros = await self._take(keys=[f"{self.prefix}:window:{key}"], args=args)
            except (RedisError, OSError):
                return None
            if micros <= 0:
                return member
            await asyncio.sleep(int(micros) / 1_000_000)  # Redis's clock tells how long

    async def answered(self, key: str, member: str | None) -> None:
        """The send `member` has its answer: it counts for one more window from now."""
        if member is None:
            return
        with contextlib.suppress(RedisError, OSError):  # else it is let go after LEASE
            await self._answered(keys=[f"{self.prefix}:window:{key}"], args=[member])

    async def close(self) -> None:
        await self.redis.aclose()
