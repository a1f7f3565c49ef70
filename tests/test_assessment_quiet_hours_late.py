"""A nudge that comes due late (the bot or the terminal was closed at its time) is still held by
quiet hours when it is sent (new-user tester, fault 4)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.delivery import Delivery
from handlers.clock import FrozenClock
from storage.models import Outbox, OutboxStatus
from tests.chat import Person, rows
from tests.test_assessment import Recorder, begin


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 12, 1, 13, 50, tzinfo=UTC))  # 20:50 on 1/12 in Cần Thơ


async def test_an_overdue_nudge_found_at_21_10_waits_until_seven(conversation, clock):
    recorder = Recorder()
    delivery = Delivery(conversation.engine, conversation, clock, {"console": recorder})
    p = Person(conversation, user_id="dn1")
    begin(p)
    p.says("Cty Gao Tot")  # due 20:50 on 2/12: outside quiet hours when scheduled
    clock.advance(hours=24, minutes=20)  # 21:10 on 2/12: the bot opens only now
    assert await delivery.run_once() == {"held": 1}
    assert recorder.sent == []
    [nudge] = rows(conversation, Outbox)
    assert nudge.status == OutboxStatus.pending and nudge.attempts == 0
    assert nudge.due_at.replace(tzinfo=UTC) == datetime(2026, 12, 3, 0, 0, tzinfo=UTC)  # 07:00
    clock.advance(hours=9, minutes=49)  # 06:59
    assert await delivery.run_once() == {} and recorder.sent == []
    clock.advance(minutes=1)  # 07:00
    assert await delivery.run_once() == {"sent": 1}
    assert "đang làm dở" in recorder.sent[0][1][0].text
