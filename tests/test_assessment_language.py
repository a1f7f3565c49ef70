"""What a person reads is in their current language and shows how a figure was read."""

from __future__ import annotations

import json

from storage.models import Answer, Response
from tests.chat import Person, rows
from tests.test_assessment import FULL_RUN, answer_all, begin


def test_result_after_switching_language_is_wholly_in_the_new_language(conversation):
    p = Person(conversation)
    begin(p)
    answer_all(p, FULL_RUN)
    assert "Tiềm năng SXSH" in p.text
    p.says("/lang en")
    p.says("/result")
    text = p.text
    assert "Cleaner production potential" in text and "Suggested next steps" in text
    for vietnamese in ("Tiềm năng", "trung bình", "Gợi ý", "Trao đổi với cán bộ", "Quản lý"):
        assert vietnamese not in text, (vietnamese, text)
    [response] = rows(conversation, Response)
    stored = json.loads(response.result)
    assert "lang" not in stored and "level_label" not in stored
    assert all(set(step) == {"topic", "rule"} for step in stored["steps"])


def test_number_words_are_stored_right_and_echoed(conversation):
    p = Person(conversation)
    begin(p)
    answer_all(p, FULL_RUN[:9])
    assert "Tiền điện" in p.text
    p.says("tam 8 tram trieu")
    assert "= 800.000.000 đồng/tháng" in p.text and "Câu 11/" in p.text
    answers = {a.question_id: json.loads(a.value) for a in rows(conversation, Answer)}
    assert answers["electricity_bill"] == 800


def test_a_plain_figure_in_the_asked_unit_is_not_echoed(conversation):
    p = Person(conversation)
    begin(p)
    answer_all(p, FULL_RUN[:9])
    p.says("45")
    assert "= " not in p.text and "Câu 11/" in p.text
