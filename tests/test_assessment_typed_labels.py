"""Typing a button's label (or a word listed for it) presses it inside the assessment: the
resume offer and "✔️ Xong" of a multi-choice question (tester's fault 7)."""

from __future__ import annotations

import pytest

from storage.models import Response
from storage.tickets_models import Ticket
from tests.chat import Person, rows
from tests.test_assessment import FULL_RUN, answer_all, begin
from tests.test_assessment_buttons import stored


def paused_after_three(conversation) -> Person:
    p = Person(conversation)
    begin(p)
    answer_all(p, FULL_RUN[:3])
    p.says("/start")  # another command pauses the flow
    p.says("/assess")
    assert "Làm tiếp hay làm lại từ đầu?" in p.text
    return p


@pytest.mark.parametrize("typed", ["lam tiep", "Làm tiếp", "tiep tuc", "tiếp", "▶️ Làm tiếp"])
def test_typing_resume_at_the_offer_resumes(conversation, typed):
    p = paused_after_three(conversation)
    p.says(typed)
    assert "Mình làm tiếp nhé." in p.text and "Câu 4/" in p.text
    p.says("KCN Trà Nóc I")  # the next answer goes to the assessment, not to FAQ
    assert "Câu 5/" in p.text
    assert rows(conversation, Ticket) == []
    assert set(stored(conversation)) == {"company_name", "sector", "employees", "industrial_park"}


@pytest.mark.parametrize("typed", ["lam lai tu dau", "Làm lại từ đầu"])
def test_typing_restart_at_the_offer_restarts(conversation, typed):
    p = paused_after_three(conversation)
    p.says(typed)
    assert "Trước khi bắt đầu" in p.text
    assert [r.status for r in rows(conversation, Response)] == ["cancelled"]
    assert rows(conversation, Ticket) == []


@pytest.mark.parametrize("typed", ["xong", "Xong", "✔️ Xong", "xong roi"])
def test_typing_done_confirms_a_multi_choice_selection(conversation, typed):
    p = Person(conversation)
    begin(p)
    answer_all(p, FULL_RUN[:11])
    assert "✔️ Xong" in p.buttons
    p.presses("◻️ Than")
    p.says(typed)
    assert "Không có lựa chọn" not in p.text
    assert stored(conversation)["fuels"] == ["coal"]
    assert "_draft:fuels" not in stored(conversation)


def test_typing_done_with_nothing_selected_says_how_to_choose(conversation):
    p = Person(conversation)
    begin(p)
    answer_all(p, FULL_RUN[:11])
    p.says("xong")
    assert "Chưa chọn mục nào" in p.text and "✔️ Xong" in p.buttons
    assert "fuels" not in stored(conversation)


def test_xong_at_a_text_question_is_an_answer(conversation):
    p = Person(conversation)
    begin(p)
    p.says("Xong")  # company name: text is text
    assert stored(conversation)["company_name"] == "Xong"


async def test_typing_resume_after_the_nudge_resumes_a_paused_assessment(conversation, clock):
    from bot.delivery import Delivery
    from tests.test_assessment import Recorder

    recorder = Recorder()
    delivery = Delivery(conversation.engine, conversation, clock, {"console": recorder})
    p = Person(conversation)
    begin(p)
    answer_all(p, FULL_RUN[:3])
    p.says("/start")  # paused: free text is a question again
    clock.advance(hours=25)
    assert await delivery.run_once() == {"sent": 1}
    [(_, [nudge])] = recorder.sent
    assert [b.label for b in nudge.buttons] == ["▶️ Làm tiếp", "Để sau"]
    p.says("làm tiếp")
    assert "Mình làm tiếp nhé." in p.text and "Câu 4/" in p.text
    assert rows(conversation, Ticket) == []
