"""The assessment nudge keeps quiet hours (21:00-07:00 local time), and a greeting is not an
answer (tester's fault 10)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.delivery import Delivery
from handlers.clock import FrozenClock
from storage.models import Outbox
from tests.chat import Person, rows
from tests.test_assessment import FULL_RUN, Recorder, answer_all, begin
from tests.test_assessment_buttons import stored


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 27, 21, 19, tzinfo=UTC))  # 04:19 on 28/11 in Cần Thơ


def utc(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%d/%m %H:%M UTC")


async def test_a_nudge_due_at_night_waits_until_seven_in_the_morning(conversation, clock):
    recorder = Recorder()
    delivery = Delivery(conversation.engine, conversation, clock, {"console": recorder})
    p = Person(conversation)
    begin(p)
    answer_all(p, FULL_RUN[:3])  # last answer 04:19 local
    [nudge] = rows(conversation, Outbox)
    assert utc(nudge.due_at) == "29/11 00:00 UTC"  # 07:00 on 29/11 in Cần Thơ
    clock.advance(hours=24)  # 04:19 local: quiet hours
    assert await delivery.run_once() == {} and recorder.sent == []
    clock.advance(hours=2, minutes=41)  # 07:00 local
    assert await delivery.run_once() == {"sent": 1}


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (datetime(2026, 11, 28, 15, 30, tzinfo=UTC), "30/11 00:00 UTC"),  # 22:30 -> 07:00
        (datetime(2026, 11, 28, 13, 59, tzinfo=UTC), "29/11 13:59 UTC"),  # 20:59 stays
        (datetime(2026, 11, 28, 0, 0, tzinfo=UTC), "29/11 00:00 UTC"),  # 07:00 stays
    ],
)
def test_a_nudge_is_never_due_between_21_and_7(conversation, clock, start, due):
    clock._now = start
    p = Person(conversation)
    begin(p)
    [nudge] = rows(conversation, Outbox)
    assert utc(nudge.due_at) == due


@pytest.mark.parametrize("greeting", ["hello", "Chào bạn", "hi ad"])
def test_a_greeting_is_not_stored_as_the_company_name(conversation, greeting):
    p = Person(conversation)
    begin(p)
    p.says(greeting)
    assert "Câu 1/" in p.text and "Chào anh/chị" in p.text
    assert "company_name" not in stored(conversation)
    p.says("Hello Coffee")  # a name with a greeting word in it is a name
    assert stored(conversation)["company_name"] == "Hello Coffee"
