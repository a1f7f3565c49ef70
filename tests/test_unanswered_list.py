"""/unanswered is where content is missing: what the bot could not answer. Messages addressed to
the officers (the message written after "Gặp cán bộ", a request for a person, what a person
writes on their open ticket) belong to the ticket inbox, not to that list."""

from __future__ import annotations

from tests.chat import Person

UNKNOWN = "Gọi cho tôi về chuyện con mèo nhà hàng xóm"  # nothing in the content answers this


def test_messages_for_the_officers_are_not_listed_as_unanswered_questions(conversation):
    Person(conversation, user_id="a").says("/officer Cần cán bộ tư vấn lò hơi cho nhà máy")
    Person(conversation, user_id="b").says("cho mình nói chuyện với nhân viên")
    Person(conversation, user_id="d").says("Khuôn ép nhựa bị rỗ khí thì sửa thế nào?")
    c = Person(conversation, user_id="c")
    c.says(UNKNOWN)
    assert "phiếu #" in c.text  # not answered: a ticket opened
    c.says("số điện thoại của tôi là 0909 123 456, gọi sau 14 giờ")  # written on that ticket
    officer = Person(conversation, user_id="officer")
    officer.says("/unanswered")
    title, *listed, _hint = officer.text.splitlines()
    assert "(2 câu)" in title
    assert sorted(listed) == sorted(
        ["1× Khuôn ép nhựa bị rỗ khí thì sửa thế nào?", f"1× {UNKNOWN}"]
    )
    officer.says("/inbox")  # where they are
    assert "lò hơi" in officer.text and "nói chuyện với nhân viên" in officer.text


def test_a_question_passed_to_an_officer_by_its_button_is_still_a_gap(conversation):
    p = Person(conversation, user_id="p")
    p.says("Giá điện kinh doanh bao nhiêu một kWh?")
    p.presses("👤 Gặp cán bộ")
    officer = Person(conversation, user_id="officer")
    officer.says("/unanswered")
    assert "1× Giá điện kinh doanh bao nhiêu một kWh?" in officer.text.splitlines()
