"""A broadcast end to end: the real python-telegram-bot Bot against the local Bot API server
enforcing Telegram's limits, with people who stopped announcements or blocked the bot, a chat
that no longer exists, and injected 429 and 5xx answers (issue 11 "What it must show")."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from bot.app import build_conversation
from bot.channels import telegram
from bot.delivery import Delivery, Limits, RetryPolicy
from handlers.broadcasts import service
from storage import broadcasts, contacts
from storage.broadcasts_models import Broadcast, BroadcastRecipient
from storage.db import session_scope
from storage.models import Contact, ContactStatus
from tests.chat import rows
from tests.conftest import make_settings
from tests.support.telegram_server import DEFAULT_TOKEN, FakeTelegram
from tests.test_delivery_telegram import PERSON, ask_and_answer

OFFICER = 42
TEXT = "📣 Sở Công Thương mời doanh nghiệp dự hội thảo SXSH ngày 05/12/2026 tại KCN Trà Nóc."


@pytest.fixture
async def srv():
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
def conv(srv, sqlite_url, clock):
    settings = make_settings(
        sqlite_url, telegram_token=DEFAULT_TOKEN, telegram_api_url=srv.root_url,
        officer_ids=f"telegram:{OFFICER}",
    )  # fmt: skip
    conversation = build_conversation(settings, clock=clock)
    yield conversation
    conversation.engine.dispose()


def people(conv, clock, first: int, n: int) -> list[int]:
    with session_scope(conv.engine) as s:
        for uid in range(first, first + n):
            contacts.touch(s, "telegram", str(uid), clock.now())
    return list(range(first, first + n))


def start_broadcast(conv, clock, text: str = TEXT) -> int:
    """The officer's draft to everyone, confirmed "send now" (what the chat buttons do)."""
    with session_scope(conv.engine) as s:
        contacts.touch(s, "telegram", str(OFFICER), clock.now())
        row = broadcasts.create(s, text, {"all": True}, f"telegram:{OFFICER}", clock.now())
        service.confirm(s, row, f"telegram:{OFFICER}", clock.now(), conv.settings)
        return row.id


def run_job(conv) -> None:
    (job,) = [j for j in conv.maintenance_jobs() if j.__name__ == "broadcasts"]
    job()


def states(conv) -> dict[int, str]:
    with Session(conv.engine) as s:
        found = {}
        for r in rows(conv, BroadcastRecipient):
            c = s.get(Contact, r.contact_id)
            found[int(c.platform_id)] = r.state + (f": {r.reason}" if r.reason else "")
        return found


async def test_every_reachable_person_gets_exactly_one_copy_through_faults(srv, conv, clock):
    everyone = people(conv, clock, 5000, 60)
    for uid, status in ((5000, ContactStatus.stopped), (5001, ContactStatus.stopped),
                        (5002, ContactStatus.blocked)):  # fmt: skip
        with session_scope(conv.engine) as s:
            contacts.set_status(s, contacts.get(s, "telegram", str(uid)), status)
    srv.user_blocks_bot(5003)  # blocked on Telegram, not yet known to the bot: 403
    srv.user_blocks_bot(5004)
    srv.forget_chat(5005)  # 400 chat not found
    srv.enforce_limits(per_second=30, per_chat_per_second=1)
    srv.fail("sendMessage", status=429, retry_after=1)
    srv.fail("sendMessage", status=502, times=2)
    srv.fail("sendMessage", status=500)
    bid = start_broadcast(conv, clock)
    async with srv.make_bot() as bot:
        delivery = Delivery(
            conv.engine, conv, clock, {"telegram": telegram.TelegramSender(bot)},
            policy=RetryPolicy(max_attempts=4, first_delay=30, max_delay=60),
            limits={"telegram": Limits(per_second=30, per_chat_per_second=1)},
        )  # fmt: skip
        for _ in range(10):
            await delivery.drain()
            run_job(conv)
            if rows(conv, Broadcast)[0].status == "completed":
                break
            clock.advance(seconds=61)  # the 429 pause and the 5xx backoff pass
        run_job(conv)  # the report to the officer is queued...
        await delivery.drain()  # ...and goes in the reply lane
    reachable = [uid for uid in everyone if uid not in (5000, 5001, 5002, 5003, 5004, 5005)]
    for uid in reachable:
        assert [m["text"] for m in srv.sent_messages(uid)] == [TEXT], uid
    for uid in (5000, 5001, 5002, 5003, 5004, 5005):
        assert srv.sent_messages(uid) == [], uid
    found = states(conv)
    assert {found[u] for u in reachable} == {"sent"}
    assert [found[u] for u in (5000, 5001, 5002, 5003, 5004)] == [
        "skipped: stopped", "skipped: stopped", "skipped: blocked", "skipped: blocked",
        "skipped: blocked",
    ]  # fmt: skip
    assert found[5005] == "failed: Chat not found"
    with Session(conv.engine) as s:
        assert contacts.get(s, "telegram", "5003").status == "blocked"  # known from now on
        assert broadcasts.get(s, bid).status == "completed"
    faults = [c.status for c in srv.calls if c.method == "sendMessage" and c.status >= 500]
    assert faults == [502, 502, 500]
    (report,) = srv.sent_messages(OFFICER)[1:] or srv.sent_messages(OFFICER)[-1:]
    assert "Báo cáo thông báo #1 (hoàn tất)" in report["text"]
    assert f"telegram: đã gửi: {len(reachable) + 1}" in report["text"]  # the officer too
    assert "telegram: lỗi (Chat not found): 1" in report["text"]
    assert "telegram: bỏ qua (đã chặn bot): 3" in report["text"]


async def test_an_answer_to_a_person_goes_before_the_broadcast_backlog(srv, conv, clock):
    people(conv, clock, 6000, 100)
    start_broadcast(conv, clock)
    async with srv.make_bot() as bot:
        delivery = Delivery(
            conv.engine, conv, clock, {"telegram": telegram.TelegramSender(bot)}, batch=20,
            limits={"telegram": Limits(per_second=200, per_chat_per_second=1)},
        )  # fmt: skip
        assert await delivery.run_once() == {"sent": 20}  # the broadcast is under way
        ask_and_answer(conv, clock, "Có, Sở hỗ trợ một phần chi phí kiểm toán năng lượng.")
        await delivery.run_once()
        after = srv.sent_messages()[20]
        assert after["chat"]["id"] == PERSON  # first of the next pass, before 80 waiting
        assert "Sở hỗ trợ một phần" in after["text"]
        await delivery.drain()
    assert len(srv.sent_messages()) == 102  # 100 + the officer + the answer
