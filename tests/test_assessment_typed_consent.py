"""Typing the consent answer presses the consent button, and natural words resume a paused
assessment (new-user tester, faults 1 and 2)."""

from __future__ import annotations

import pytest

from storage.models import ConsentRecord, Response
from storage.tickets_models import Ticket
from tests.chat import Person, rows
from tests.test_assessment import FULL_RUN, answer_all, begin


@pytest.mark.parametrize("typed", ["đồng ý", "✅ Đồng ý", "dong y", "co", "có ạ", "ok", "Đồng ý"])
def test_typing_yes_at_the_consent_prompt_consents(conversation, typed):
    p = Person(conversation)
    p.says("/assess")
    p.says(typed)
    assert "Đã ghi nhận anh/chị đồng ý" in p.text and "Câu 1/" in p.text
    assert [c.granted for c in rows(conversation, ConsentRecord)] == [True]
    assert [r.personal_consent for r in rows(conversation, Response)] == [True]
    assert rows(conversation, Ticket) == []


@pytest.mark.parametrize(
    "typed", ["không", "khong", "ko", "Làm phiếu, không cung cấp thông tin cá nhân"]
)
def test_typing_no_at_the_consent_prompt_starts_without_personal_data(conversation, typed):
    p = Person(conversation)
    p.says("/assess")
    p.says(typed)
    assert "bot sẽ không hỏi thông tin cá nhân" in p.text and "Câu 1/" in p.text
    assert [c.granted for c in rows(conversation, ConsentRecord)] == [False]
    assert [r.personal_consent for r in rows(conversation, Response)] == [False]


def test_a_question_at_the_consent_prompt_is_a_question(conversation):
    p = Person(conversation)
    p.says("/assess")
    p.says("sản xuất sạch hơn là gì")
    assert "Câu 1/" not in p.text
    assert rows(conversation, Response) == [] and rows(conversation, ConsentRecord) == []
    p.says("co")  # the prompt is no longer open: nothing starts
    assert rows(conversation, Response) == []


def test_leaving_the_consent_prompt_says_nothing_about_a_paused_assessment(conversation):
    p = Person(conversation)
    p.says("/assess")
    p.says("/menu")
    assert "tạm dừng" not in p.text.lower()
    assert rows(conversation, Response) == []


@pytest.mark.parametrize("typed", ["lam tiep", "làm tiếp", "tiếp tục", "Làm tiếp ạ", "▶️ Làm tiếp"])
def test_typing_resume_after_menu_paused_it_resumes(conversation, typed):
    p = Person(conversation)
    begin(p)
    answer_all(p, FULL_RUN[:3])
    p.says("/menu")
    p.says(typed)
    assert "Mình làm tiếp nhé." in p.text and "Câu 4/" in p.text
    p.says("KCN Trà Nóc I")  # the next answer goes to the assessment again
    assert "Câu 5/" in p.text
    assert rows(conversation, Ticket) == []


def test_resume_words_without_an_open_assessment(conversation):
    p = Person(conversation)
    p.says("làm tiếp")  # never started one: not about the assessment
    assert "Câu 1/" not in p.text and "phiếu đánh giá" not in p.text
    assert rows(conversation, Response) == []
    begin(p)
    p.says("/cancel")
    p.says("lam tiep")  # the last one was cancelled: say so, and how to start
    assert "không có phiếu đánh giá nào đang làm" in p.text and "Câu 1/" not in p.text
