"""A sigh, a sad face or "I don't understand" typed alone is not a question (a tester's "huhu"
got a confident answer about by-products, "ko hieu gi het" became an officer's ticket): the
person is told kindly what the bot does and gets the main menu; nothing is logged or ticketed.
A real question that says "không hiểu" is still answered."""

from __future__ import annotations

import pytest

from storage.models import QuestionLog
from storage.tickets_models import Ticket
from tests.chat import Person, rows

MENU_FIRST = "❓ Hỏi đáp SXSH"


@pytest.mark.parametrize(
    "text",
    [
        "huhu",
        "hic",
        "hic hic",
        "haiz",
        "haizzz",
        "hix",
        ":(",
        "T_T",
        "😭",
        "trời ơi",
        "ko hieu gi het",
        "không hiểu gì cả",
        "chả hiểu gì luôn bot ơi",
        "khó hiểu quá",
        "I don't understand",
        "i'm confused",
    ],
)
def test_a_sigh_or_not_understanding_gets_help_and_the_menu(conversation, text):
    p = Person(conversation)
    p.says(text)
    assert p.text.startswith("Không sao ạ, bot giúp anh/chị từng bước."), p.text
    assert "👤 Gặp cán bộ" in p.text
    assert p.buttons[0] == MENU_FIRST
    assert "👤 Gặp cán bộ" in p.buttons
    assert rows(conversation, Ticket) == []
    assert rows(conversation, QuestionLog) == []


def test_in_english_the_help_is_in_english(conversation):
    p = Person(conversation)
    p.says("English")
    p.says("huhu")
    assert p.text.startswith("No problem, the bot will help you step by step."), p.text


@pytest.mark.parametrize(
    ("question", "topic_words"),
    [
        ("không hiểu sản xuất sạch hơn là gì", "chiến lược phòng ngừa"),
        ("chưa hiểu tiết kiệm điện thế nào", "động cơ"),
    ],
)
def test_a_question_saying_it_does_not_understand_is_still_answered(
    conversation, question, topic_words
):
    p = Person(conversation)
    p.says(question)
    assert topic_words in p.text, p.text
