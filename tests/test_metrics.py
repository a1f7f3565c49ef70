"""`/metrics` of `sxsh-bot serve` (issue 13): Prometheus's text format with messages in, the
bot's own time per message, sends by outcome, 429s, and the outbox queue per lane read from the
database. Counters are per process and never go down, so the test reads them before and after."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from bot import metrics, serve
from bot.app import build_conversation
from handlers.messages import Inbound
from storage import contacts, outbox
from storage.db import session_scope
from tests.conftest import make_settings


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_count_messages_time_them_and_show_the_queue(sqlite_url, clock):
    settings = make_settings(sqlite_url)
    conv = build_conversation(settings, clock=clock)
    with TestClient(serve.build(conv, settings)) as client:
        before = samples(client.get("/metrics").text)
        for text in ("/start", "tiet kiem dien the nao"):
            conv.handle(Inbound(channel="console", user_id="lan", text=text))
        with session_scope(conv.engine) as s:
            c, _ = contacts.touch(s, "console", "lan", clock.now())
            s.flush()
            outbox.enqueue(s, "nudge:test", c.id, "assessment_nudge", clock.now(), {})
        page = client.get("/metrics")
    conv.engine.dispose()

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/plain")
    after = samples(page.text)
    key = ("sxsh_messages_in_total", (("channel", "console"),))
    assert after[key] - before.get(key, 0) == 2
    count = ("sxsh_turn_seconds_count", (("channel", "console"),))
    assert after[count] - before.get(count, 0) == 2
    queue = ("sxsh_outbox_queue", (("lane", "reminder"), ("status", "pending")))
    assert after[queue] == 1
    assert after[("sxsh_outbox_queue", (("lane", "bulk"), ("status", "pending")))] == 0


def test_a_429_and_a_fault_are_counted():
    before = samples(metrics.generate_latest(metrics.REGISTRY).decode())
    metrics.rate_limited("telegram")
    metrics.observe_turn("telegram", 0.01, failed=True)
    after = samples(metrics.generate_latest(metrics.REGISTRY).decode())
    for name in ("sxsh_platform_429_total", "sxsh_turns_failed_total"):
        key = (name, (("channel", "telegram"),))
        assert after[key] - before.get(key, 0) == 1


def test_the_zalo_token_gauge_is_shown_only_where_zalo_oa_is_configured(sqlite_url, clock):
    # A Telegram-only deployment showed sxsh_zalo_oa_token_ok 0, and the README's alert
    # (== 0) fired for a channel that is off.
    settings = make_settings(sqlite_url)
    conv = build_conversation(settings, clock=clock)
    with TestClient(serve.build(conv, settings)) as client:
        page = client.get("/metrics").text
    off = samples(page)
    on_ok = samples(metrics.scrape(conv.engine, lambda kind: "reply", "ok").decode())
    on_bad = samples(metrics.scrape(conv.engine, lambda kind: "reply", "needs_reauth").decode())
    conv.engine.dispose()
    assert "sxsh_zalo_oa_token_ok" not in page
    assert ("sxsh_outbox_queue", (("lane", "reply"), ("status", "pending"))) in off
    assert on_ok[("sxsh_zalo_oa_token_ok", ())] == 1
    assert on_bad[("sxsh_zalo_oa_token_ok", ())] == 0


def test_messages_out_count_what_telegram_accepted():
    # An operator found messages in on /metrics but nothing for the answers sent back.
    import asyncio

    import pytest
    from telegram.error import BadRequest

    from bot.channels.telegram.requests import ReplyLimiter

    async def ok() -> bool:
        return True

    async def refused() -> bool:
        raise BadRequest("chat not found")

    async def go() -> None:
        limiter = ReplyLimiter(per_second=1000, per_chat_per_second=1000)
        await limiter.process_request(ok, (), {}, "sendMessage", {"chat_id": 7}, None)
        await limiter.process_request(ok, (), {}, "editMessageText", {"chat_id": 7}, None)
        with pytest.raises(BadRequest):
            await limiter.process_request(refused, (), {}, "sendMessage", {"chat_id": 8}, None)

    key = ("sxsh_messages_out_total", (("channel", "telegram"),))
    before = samples(metrics.generate_latest(metrics.REGISTRY).decode()).get(key, 0)
    asyncio.run(go())
    after = samples(metrics.generate_latest(metrics.REGISTRY).decode())[key]
    assert after - before == 1  # the send, not the edit, not the refused one
