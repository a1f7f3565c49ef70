"""Short messages a tester typed into a Vietnamese conversation (tester's fault 8 and 16):
one English-looking word switched the reply to English, a command after a space was taken as
a question, and "ok" / "dạ" were thanked with "you're welcome"."""

from __future__ import annotations

import pytest

from tests.chat import Person

ENGLISH = ("Read more", "not sure", "officer", "Main menu", "answer")


@pytest.mark.parametrize("word", ["test", "stats", "report"])
def test_one_english_word_keeps_the_conversation_in_vietnamese(conversation, word):
    p = Person(conversation, user_id="dn6")
    p.says("chào bạn")
    p.says(word)
    shown = p.text + " ".join(p.buttons)
    assert not any(w in shown for w in ENGLISH), shown
    assert any(ch in shown for ch in "ăâđêôơưạảấầẩẫậ"), shown  # Vietnamese, with its marks


def test_an_english_question_is_still_answered_in_english(conversation):
    p = Person(conversation, user_id="en1")
    p.says("what is cleaner production")
    assert "Cleaner production" in p.text or "cleaner production" in p.text


def test_a_command_after_a_space_or_before_a_new_line_is_a_command(conversation):
    p = Person(conversation, user_id="dn7")
    p.says(" /stats")
    assert p.text == "Bot chưa hiểu lệnh /stats. Gõ /help để xem các lệnh."  # not an officer
    p.says("/help\n")
    assert "/assess" in p.text


@pytest.mark.parametrize("said", ["ok", "dạ", "vâng", "oke"])
def test_an_acknowledgement_is_not_thanked(conversation, said):
    p = Person(conversation, user_id="dn8")
    p.says(said)
    assert p.text == "Dạ. Anh/chị cần gì thêm cứ nhắn bot nhé."
    p.says("cảm ơn bot nhé")
    assert p.text.startswith("Dạ, không có gì")
