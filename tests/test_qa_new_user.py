"""Misses a new-user tester found, each standing for a kind, as the person sees them: "test" or
"alo có ai không" gets the bot's presence reply with what it does."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from storage.tickets_models import Ticket
from tests.chat import Person

REFUSED_VI = "Câu hỏi này không thuộc phạm vi của Sở Công Thương"
REFUSED_EN = "This question is outside the cleaner-production work"
UNSURE = ("Tôi hiểu anh/chị hỏi về", "I understand you are asking about", "Bot chưa", "The bot")


def tickets(conversation) -> list[Ticket]:
    with Session(conversation.engine) as s:
        return list(s.exec(select(Ticket)))


def short_of(conversation, entry_id: str, lang: str) -> str:
    return conversation.content.knowledge.entries[entry_id].text(lang).short


# ------------------------------------------------------------------ is anyone there?
@pytest.mark.parametrize(
    "said",
    [
        "test",
        "alo co ai khong",
        "có ai không",
        "co ai ko",
        "bot ơi có ai không",
        "test thử",
        "alo alo, có ai trực không",
        "are you there?",
        "anyone there",
        "hello, is anybody there?",
    ],
)
def test_is_anyone_there_gets_the_presence_reply_with_what_the_bot_does(conversation, said):
    p = Person(conversation)
    p.says(said)
    assert p.text.startswith("Dạ, bot đang ở đây"), p.text
    assert "đánh giá nhanh" in p.text and "cán bộ" in p.text
    assert "❓ Hỏi đáp SXSH" in p.buttons and "👤 Gặp cán bộ" in p.buttons
    assert tickets(conversation) == []
