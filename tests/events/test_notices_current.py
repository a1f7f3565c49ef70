"""A registration notice says what is true when it is sent (tester round 2): a person who took a
freed seat and cancelled it, or who cancelled after the event was moved, before the notice went
out (the worker was behind, the platform down), is not told they are registered or sent a
calendar file for an event they left."""

from __future__ import annotations

from datetime import timedelta

from storage.models import Outbox
from tests.chat import rows
from tests.events.conftest import START, save
from tests.events.test_reminders import (  # noqa: F401 - deliver, inbox: fixtures
    deliver,
    inbox,
    registered,
    seat_freed_for_b,
)


def test_a_freed_seat_given_up_before_the_notice_went_out_is_not_announced(
    conversation,
    deliver,  # noqa: F811
    inbox,  # noqa: F811
):
    _, b = seat_freed_for_b(conversation)  # b takes the seat; the notice is queued
    b.says("/events")
    b.presses("❌ Hủy đăng ký")  # and b gives it up before it is sent
    deliver(conversation.clock.now())
    assert [t for t in inbox.texts("b") if t.startswith("🎉")] == []
    [notice] = rows(conversation, Outbox, Outbox.kind == "event_promoted")
    assert notice.status == "cancelled"
    assert deliver(START - timedelta(days=1)) == {}  # and no reminder either


def test_a_promotion_still_reaches_the_person_who_kept_the_seat(
    conversation,
    deliver,  # noqa: F811
    inbox,  # noqa: F811
):
    seat_freed_for_b(conversation)
    deliver(conversation.clock.now())
    assert len([t for t in inbox.texts("b") if t.startswith("🎉")]) == 1


def test_a_change_notice_is_not_sent_to_someone_who_cancelled_meanwhile(
    conversation,
    deliver,  # noqa: F811
    inbox,  # noqa: F811
):
    save(conversation)
    a = registered(conversation, "a")
    registered(conversation, "c")  # stays registered: is told
    save(conversation, starts_at=START + timedelta(hours=2))  # moved: both are to be told
    a.says("/events")
    a.presses("❌ Hủy đăng ký")
    deliver(conversation.clock.now())
    assert [t for t in inbox.texts("a") if t.startswith("🔄")] == []
    assert len([t for t in inbox.texts("c") if t.startswith("🔄")]) == 1
