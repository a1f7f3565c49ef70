"""Switching language in the middle of the assessment: the whole reply is in the new language
(new-user tester: "/lang en" answered "Đã tạm dừng phiếu đánh giá… gõ “làm tiếp”" and then
"Switched to English.": a Vietnamese notice, and a Vietnamese word to type, for someone who
had just asked for English; "English" typed there was "Không có lựa chọn “English”")."""

from __future__ import annotations

import pytest

from tests.chat import Person
from tests.test_assessment import FULL_RUN, begin


@pytest.mark.parametrize("how", ["/lang en", "English", "tieng anh"])
def test_the_pause_notice_comes_in_the_language_chosen(conversation, how):
    p = Person(conversation, user_id="dn")
    begin(p)
    for answer in FULL_RUN[:3]:
        p.says(answer)
    p.says(how)  # typed alone at a question with choices, a language name is not an answer
    assert "The assessment is paused" in p.text and "continue" in p.text, p.text
    assert "Đã tạm dừng" not in p.text and "làm tiếp" not in p.text
    assert "Switched to English." in p.text
    p.says("continue")
    assert "Question 4/" in p.text


def test_switching_back_to_vietnamese_says_it_in_vietnamese(conversation):
    p = Person(conversation, user_id="dn")
    p.says("/lang en")
    p.says("/assess")
    assert "Do you agree to give contact details" in p.text
    p.presses("✅ I agree")
    p.says("Acme Seafood")
    p.says("/lang vi")
    assert "Đã tạm dừng phiếu đánh giá" in p.text
    assert "The assessment is paused" not in p.text
