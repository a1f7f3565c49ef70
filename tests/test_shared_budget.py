"""One send budget for every process (issue 13): with a Redis URL, two delivery engines that
share nothing but Redis (as two worker processes would) keep to the platform's rate together;
without Redis reachable they keep going on their own limits; by default nothing needs Redis.

Timing is asserted only from below (a rate limit makes a run take at least so long), never as
"fast enough", so a slow or busy machine cannot fail these tests."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from contextlib import AsyncExitStack

import pytest
from redis import Redis
from redis.exceptions import RedisError

from bot import worker
from bot.app import build_conversation
from bot.channels.telegram.requests import ReplyLimiter
from bot.delivery import Delivery, Kind, KindTable, Limits
from bot.delivery.shared_budget import SharedBudget
from handlers.messages import Reply
from storage import contacts, outbox
from storage.db import session_scope
from tests.chat import Recorder
from tests.conftest import make_settings
from tests.support.telegram_server import DEFAULT_TOKEN, FakeTelegram

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def redis_url() -> str:
    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except RedisError as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {type(exc).__name__}")
    return REDIS_URL


def note(session, content, contact, payload, now):
    return [Reply(text=payload["t"])]


KINDS = KindTable(lambda: {"news": Kind(note, lane="bulk")})


class Stamps(Recorder):
    """Records when each message left, on the monotonic clock."""

    def __init__(self):
        super().__init__()
        self.times: list[float] = []

    async def send(self, platform_id, replies):
        self.times.append(time.monotonic())
        await super().send(platform_id, replies)


def queue(conv, clock, n: int) -> None:
    with session_scope(conv.engine) as s:
        for i in range(n):
            c, _ = contacts.touch(s, "telegram", str(5000 + i), clock.now())
            s.flush()
            outbox.enqueue(s, f"news:{i}", c.id, "news", clock.now(), {"t": f"Tin {i}"})


async def test_two_engines_sharing_redis_keep_one_rate_together(tmp_path, clock, redis_url):
    # Two engines with their own database, limiter and Redis connection: all they share is
    # the budget in Redis, as two worker processes of one bot would.
    convs = [
        build_conversation(make_settings(f"sqlite:///{tmp_path / f'{n}.db'}"), clock=clock)
        for n in ("a", "b")
    ]
    for conv in convs:
        queue(conv, clock, 20)
    prefix = f"test:{uuid.uuid4().hex}"
    rate = Limits(per_second=20, per_chat_per_second=20, lanes={}, in_flight=8)
    senders = [Stamps(), Stamps()]
    engines = [
        Delivery(
            conv.engine,
            conv,
            clock,
            {"telegram": sender},
            kinds=KINDS,
            limits={"telegram": rate},
            shared=SharedBudget(redis_url, prefix=prefix),
        )  # fmt: skip
        for conv, sender in zip(convs, senders, strict=True)
    ]
    started = time.monotonic()
    results = await asyncio.gather(*(e.drain() for e in engines))
    elapsed = time.monotonic() - started
    for e, conv in zip(engines, convs, strict=True):
        await e.shared.close()
        conv.engine.dispose()

    assert results == [{"sent": 20}, {"sent": 20}]
    for sender in senders:  # each engine's own messages, each exactly once
        assert sorted(text for _, text in sender.sent) == sorted(f"Tin {i}" for i in range(20))
    # 40 sends spaced at least 1/20 s apart across both engines take at least 39/20 s; each
    # engine on its own limiter would have been allowed to finish its 20 in about 1 s.
    assert elapsed >= 39 / 20 - 0.05
    stamps = sorted(t for s in senders for t in s.times)
    assert stamps[-1] - stamps[0] >= 39 / 20 - 0.05


async def test_slots_are_spaced_across_connections(redis_url):
    prefix = f"test:{uuid.uuid4().hex}"
    a, b = SharedBudget(redis_url, prefix=prefix), SharedBudget(redis_url, prefix=prefix)
    waits = [await (a if i % 2 else b).wait_seconds("telegram", 10) for i in range(10)]
    await a.close()
    await b.close()
    # The k-th reservation's slot is k/10 s after the first one's, whoever asks: the wait it
    # gets is at least that minus the time that passed since the first reservation.
    assert waits[0] == pytest.approx(0, abs=0.01)
    assert all(later > earlier for earlier, later in zip(waits, waits[1:], strict=False))
    assert waits[-1] <= 0.9 + 1e-6


async def test_without_redis_the_send_goes_on_and_the_outage_is_logged_once(caplog):
    budget = SharedBudget("redis://127.0.0.1:1/0")  # nothing listens on port 1
    with caplog.at_level(logging.WARNING, logger="bot.delivery.shared_budget"):
        assert await budget.wait_seconds("telegram", 30) == 0
        assert await budget.wait_seconds("telegram", 30) == 0
    await budget.close()
    outage = [r for r in caplog.records if "shared send budget unavailable" in r.getMessage()]
    assert len(outage) == 1


def test_the_embedded_default_needs_no_redis(sqlite_url, clock):
    settings = make_settings(sqlite_url)
    assert settings.delivery.redis_url is None
    conv = build_conversation(settings, clock=clock)
    d = Delivery.from_settings(
        conv.engine, conv, clock, {"telegram": Recorder()}, settings.delivery
    )
    assert d.shared is None and d.throttle("telegram").shared is None
    shared = make_settings(sqlite_url, delivery={"redis_url": "redis://127.0.0.1:6379/15"})
    d2 = Delivery.from_settings(conv.engine, conv, clock, {"telegram": Recorder()}, shared.delivery)
    assert isinstance(d2.throttle("telegram").shared, SharedBudget)
    conv.engine.dispose()


async def test_replies_of_two_processes_share_the_budget_too(redis_url):
    """The conversation's own replies (python-telegram-bot's rate-limiter hook) take slots from
    the same budget; the outbox's sends (rate_limit_args=0) took theirs in the throttle."""
    prefix = f"test:{uuid.uuid4().hex}"
    limiters = [
        ReplyLimiter(per_second=10, per_chat_per_second=10, shared=SharedBudget(redis_url, prefix))
        for _ in range(2)
    ]

    async def send_message():
        return True

    async def replies(limiter, n):
        for i in range(n):
            await limiter.process_request(send_message, (), {}, "sendMessage", {"chat_id": i}, None)

    started = time.monotonic()
    await asyncio.gather(*(replies(limiter, 10) for limiter in limiters))
    elapsed = time.monotonic() - started
    for limiter in limiters:
        await limiter.shared.close()
    assert elapsed >= 19 / 10 - 0.05  # 20 replies at 10 a second between both processes


async def test_a_send_counts_in_every_process_until_a_second_after_its_answer(redis_url):
    """At most `most` sends awaiting their answer or answered within the last second, in all
    processes: the platform handles a send somewhere between its departure and its answer,
    so however late a request reaches it, no second there holds more."""
    prefix = f"test:{uuid.uuid4().hex}"
    a, b = SharedBudget(redis_url, prefix=prefix), SharedBudget(redis_url, prefix=prefix)
    sent = [await (a if i % 2 else b).take_send("telegram", 5) for i in range(5)]
    sixth = asyncio.create_task(a.take_send("telegram", 5))
    await asyncio.sleep(1.2)
    assert not sixth.done()  # five still await their answers, more than a second after
    await b.answered("telegram", sent[0])
    answered = time.monotonic()
    assert await sixth is not None
    assert time.monotonic() - answered >= 1.0 - 0.02  # a second after that answer
    await a.close()
    await b.close()


async def test_a_worker_counts_its_sends_in_the_window_every_process_shares(redis_url, sqlite_url):
    """A worker's outbox sends (a broadcast) and the webhook processes' replies count in one
    send window: with 30 sends of another process awaiting their answers, the worker's waits."""
    prefix = f"test:{uuid.uuid4().hex}"
    other = SharedBudget(redis_url, prefix=prefix)  # a `serve` process answering people
    async with FakeTelegram() as srv, AsyncExitStack() as stack:
        settings = make_settings(
            sqlite_url,
            telegram_token=DEFAULT_TOKEN,
            telegram_api_url=srv.root_url,
            delivery={"redis_url": redis_url},
        )
        sender = (await worker.open_senders(settings, stack))["telegram"]
        sender.bot.rate_limiter.shared.prefix = prefix
        taken = [await other.take_send("telegram", 30) for _ in range(30)]
        sending = asyncio.create_task(sender.send("5001", [Reply(text="Tin")]))
        await asyncio.sleep(0.5)
        assert srv.sent_messages(5001) == []  # held while 30 await their answers elsewhere
        await other.answered("telegram", taken[0])
        await asyncio.wait_for(sending, 10)
        assert [m["text"] for m in srv.sent_messages(5001)] == ["Tin"]
    await other.close()
