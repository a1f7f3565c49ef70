"""A question asked in the middle of the assessment, at a question with choices or a number, is
answered, and the assessment's question is asked again (new-user tester: "tiết kiệm nước thế
nào?" at "Ngành sản xuất chính?" got only "Không có lựa chọn “…”": the question was lost).
Nothing is stored as the answer; what names no topic is refused as before."""

from __future__ import annotations

from storage.models import Answer
from tests.chat import Person, rows


def at_sector_question(conversation) -> Person:
    p = Person(conversation, user_id="dn")
    p.says("/assess")
    p.says("không")  # no contact details
    p.says("Cty Thủy sản Tây Đô")
    assert "Ngành sản xuất chính" in p.text
    return p


def test_a_question_at_a_choice_question_is_answered_then_asked_again(conversation):
    p = at_sector_question(conversation)
    p.says("tiết kiệm nước trong nhà máy thế nào?")
    assert "Không có lựa chọn" not in p.text
    assert "đồng hồ nước" in p.text  # the water answer
    assert p.last[-1].text.startswith("Câu 2/")  # then the assessment's question, with buttons
    assert "Chế biến thủy sản" in p.buttons
    assert len(rows(conversation, Answer)) == 1  # only the company name
    p.says("thủy sản")
    assert "Câu 3/" in p.text


def test_a_question_at_a_number_question_is_answered_then_asked_again(conversation):
    p = at_sector_question(conversation)
    p.says("1")
    assert "bao nhiêu lao động" in p.text
    p.says("sản xuất sạch hơn là gì vậy?")
    assert "Sản xuất sạch hơn (SXSH) là" in p.text
    assert p.last[-1].text.startswith("Câu 3/")
    assert len(rows(conversation, Answer)) == 2


def test_what_names_no_topic_is_still_refused_as_an_answer(conversation):
    p = at_sector_question(conversation)
    p.says("asdfgh qwerty zxcvb")
    assert "Không có lựa chọn" in p.text
    p.says("tôm")  # a word of a choice is still its answer
    assert "Câu 3/" in p.text
