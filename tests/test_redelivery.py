"""A platform that redelivers an update (Telegram after an unconfirmed offset, Zalo after a slow
200) must not make the bot act twice: the second delivery changes nothing and says nothing."""

from __future__ import annotations

import json

import pytest

from bot.app import build_conversation
from handlers.messages import Inbound
from storage.models import Answer, QuestionLog, SeenInbound
from tests.chat import Person, rows
from tests.conftest import make_settings
from tests.test_assessment import FULL_RUN, begin


def to_know_sxsh(conversation) -> Person:
    """An assessment open at `know_sxsh`, the first of three yes/no questions in a row."""
    p = Person(conversation)
    begin(p)
    for text in FULL_RUN[:6]:
        p.says(text)
    assert "Câu 7/" in p.text
    return p


def says(conversation, text, message_id, user="u1", channel="console"):
    inbound = Inbound(channel=channel, user_id=user, text=text, message_id=message_id)
    return conversation.handle(inbound)


def answered(conversation) -> dict:
    return {a.question_id: json.loads(a.value) for a in rows(conversation, Answer)}


@pytest.fixture
def db_conversation(db_url, clock):
    conv = build_conversation(make_settings(db_url), clock=clock)
    yield conv
    conv.engine.dispose()


def test_a_redelivered_yes_answers_one_question_only(db_conversation):
    to_know_sxsh(db_conversation)
    first = says(db_conversation, "có", "m-41")
    assert "Câu 8/" in "\n".join(r.text for r in first)
    assert says(db_conversation, "có", "m-41") == []  # the same update again: silence
    assert answered(db_conversation)["know_sxsh"] == "yes"
    assert "applied_sxsh" not in answered(db_conversation)
    # The next message is still the answer to question 8, not 9.
    says(db_conversation, "không", "m-42")
    assert answered(db_conversation)["applied_sxsh"] == "no"
    assert "dedicated_unit" not in answered(db_conversation)


def test_a_redelivery_after_a_restart_is_still_ignored(db_url, clock):
    settings = make_settings(db_url)
    first = build_conversation(settings, clock=clock)
    to_know_sxsh(first)
    says(first, "có", "m-41")
    first.engine.dispose()
    restarted = build_conversation(settings, clock=clock)
    try:
        assert says(restarted, "có", "m-41") == []
        assert "applied_sxsh" not in answered(restarted)
    finally:
        restarted.engine.dispose()


def test_the_same_platform_id_from_another_person_or_channel_is_a_new_message(conversation):
    says(conversation, "tiết kiệm nước thế nào", "7", user="a")
    says(conversation, "tiết kiệm nước thế nào", "7", user="b")
    says(conversation, "tiết kiệm nước thế nào", "7", user="a", channel="zalo")
    assert len(rows(conversation, QuestionLog)) == 3


def test_a_message_that_failed_is_not_marked_seen(conversation, monkeypatch):
    """The key is written in the handling transaction: a crash rolls it back with the rest."""
    from handlers import qa

    real = qa.on_text
    calls = []

    def broken_once(ctx, text):
        calls.append(text)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return real(ctx, text)

    monkeypatch.setattr(qa, "on_text", broken_once)
    [apology] = says(conversation, "tiết kiệm nước thế nào", "m-1")
    assert "lỗi" in apology.text.lower()
    assert rows(conversation, SeenInbound) == []
    replies = says(conversation, "tiết kiệm nước thế nào", "m-1")
    assert replies and "nước" in replies[0].text
    assert len(rows(conversation, SeenInbound)) == 1


def test_housekeeping_forgets_old_keys(conversation, clock):
    says(conversation, "xin chào", "m-1")
    clock.advance(days=1)
    says(conversation, "xin chào", "m-2")
    job = conversation.maintenance_jobs()[-1]
    clock.advance(days=1, hours=12)
    assert job() == 1  # m-1 is 2.5 days old, m-2 1.5 days
    assert len(rows(conversation, SeenInbound)) == 1
    assert job.__name__ == "forget_seen_inbound"


def test_messages_without_a_platform_id_are_never_deduplicated(conversation):
    says(conversation, "tiết kiệm nước thế nào", None)
    says(conversation, "tiết kiệm nước thế nào", None)
    assert len(rows(conversation, QuestionLog)) == 2
    assert rows(conversation, SeenInbound) == []
