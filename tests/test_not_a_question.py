"""Short messages that are not questions, typed when no list or question is open (new-user
tester): "3" (a menu number typed after the menu was gone) was refused as sport and
entertainment, "12" as outside the department's remit, a phone number alone and a bare
"có" / "không" / "bye" were "Bot chưa có câu trả lời", and every one of them was listed to
the officers in /unanswered as a question to add to the content."""

from __future__ import annotations

import pytest

from storage.models import QuestionLog
from storage.tickets_models import Ticket
from tests.chat import Person, rows

NOT_UNDERSTOOD = ("không thuộc phạm vi", "chưa có câu trả lời", "chưa chắc hiểu")


def nothing_for_officers(conversation) -> None:
    assert rows(conversation, QuestionLog) == []  # not in /unanswered, not a question
    assert rows(conversation, Ticket) == []


@pytest.mark.parametrize("typed", ["3", "12", "1.", " 2 "])
def test_a_number_with_no_list_open_shows_the_menu_to_choose_from(conversation, typed):
    p = Person(conversation, user_id="dn")
    p.says(typed)
    assert not any(x in p.text for x in NOT_UNDERSTOOD), p.text
    assert "chọn một mục" in p.text
    assert "📋 Đánh giá nhanh" in p.buttons and "📅 Sự kiện sắp tới" in p.buttons
    nothing_for_officers(conversation)


@pytest.mark.parametrize("typed", ["0909123456", "0292 3 821 234", "+84 909 123 456"])
def test_a_phone_number_alone_says_how_to_be_called_back(conversation, typed):
    p = Person(conversation, user_id="dn")
    p.says(typed)
    assert not any(x in p.text for x in NOT_UNDERSTOOD), p.text
    assert "gọi lại" in p.text and "👤 Gặp cán bộ" in p.buttons
    nothing_for_officers(conversation)  # the number is kept nowhere


@pytest.mark.parametrize("typed", ["có", "co", "không", "khong", "ko", "yes", "no", "ừ"])
def test_a_yes_or_no_with_nothing_asked_is_heard(conversation, typed):
    p = Person(conversation, user_id="dn")
    p.says(typed)
    assert p.text == "Dạ. Anh/chị cần gì thêm cứ nhắn bot nhé."
    nothing_for_officers(conversation)


@pytest.mark.parametrize("typed", ["bye", "tạm biệt", "tam biet nha", "bye bye", "chào tạm biệt"])
def test_a_goodbye_is_answered_with_a_goodbye(conversation, typed):
    p = Person(conversation, user_id="dn")
    p.says(typed)
    assert "hẹn gặp lại" in p.text.lower(), p.text
    nothing_for_officers(conversation)


def test_in_english_the_same_replies_are_english(conversation):
    p = Person(conversation, user_id="en")
    p.says("/lang en")
    p.says("3")
    assert "choose" in p.text.lower() and "📋 Quick assessment" in p.buttons
    p.says("0909123456")
    assert "call you back" in p.text and "👤 Talk to an officer" in p.buttons
    p.says("bye")
    assert "see you" in p.text.lower()


def test_a_number_inside_a_question_is_still_a_question(conversation):
    p = Person(conversation, user_id="dn")
    p.says("tiet kiem dien 10%")
    assert "Đánh giá nhanh" not in " ".join(p.buttons[:1])
    assert len(rows(conversation, QuestionLog)) == 1
