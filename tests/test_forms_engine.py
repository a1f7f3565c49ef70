"""Navigation: skip logic, back + change + prune, progress, skip, rendering, stale buttons."""

from __future__ import annotations

import pytest

from content.forms.engine import (
    Accepted,
    Rejected,
    apply,
    back,
    current_question,
    is_complete,
    previous_question,
    progress,
    prune,
)
from content.forms.loader import default_questionnaire, resolve
from content.forms.schema import Questionnaire
from tests.forms_support import (
    detect_command,
    label_for,
    render_intro,
    render_question,
    skip,
    submit,
)

SMALL = resolve(
    Questionnaire.model_validate(
        {
            "id": "small",
            "version": 3,
            "title": {"vi": "Thử", "en": "Test"},
            "intro": {"vi": "Thử", "en": "Test"},
            "sections": [{"id": "s", "title": {"vi": "Phần", "en": "Part"}}],
            "questions": [
                {
                    "id": "has_boiler",
                    "section": "s",
                    "type": "yes_no",
                    "label": {"vi": "Có lò hơi?", "en": "Boiler?"},
                },
                {
                    "id": "boiler_fuel",
                    "section": "s",
                    "type": "single_choice",
                    "relevant": "${has_boiler} = 'yes'",
                    "label": {"vi": "Nhiên liệu lò hơi?", "en": "Boiler fuel?"},
                    "choices": [
                        {"value": "coal", "label": {"vi": "Than", "en": "Coal"}},
                        {"value": "husk", "label": {"vi": "Trấu", "en": "Rice husk"}},
                    ],
                },
                {
                    "id": "condensate",
                    "section": "s",
                    "type": "yes_no",
                    "relevant": "${has_boiler} = 'yes' and ${boiler_fuel} != ''",
                    "label": {"vi": "Thu hồi nước ngưng?", "en": "Condensate returned?"},
                },
                {
                    "id": "employees",
                    "section": "s",
                    "type": "integer",
                    "min": 1,
                    "max": 1000,
                    "unit": {"vi": "người", "en": "people"},
                    "label": {"vi": "Số lao động?", "en": "Employees?"},
                },
                {
                    "id": "managers",
                    "section": "s",
                    "type": "integer",
                    "required": False,
                    "min": 0,
                    "constraint": ". <= ${employees}",
                    "constraint_message": {
                        "vi": "Số quản lý không thể lớn hơn số lao động.",
                        "en": "Managers cannot outnumber employees.",
                    },
                    "label": {"vi": "Số quản lý?", "en": "Managers?"},
                },
                {
                    "id": "phone",
                    "section": "s",
                    "type": "phone",
                    "required": False,
                    "personal": True,
                    "label": {"vi": "Điện thoại?", "en": "Phone?"},
                },
            ],
        }
    )
).model_copy(update={"answer_words": default_questionnaire().answer_words})


def ids(questions):
    return [q.id for q in questions]


def run(q, script, answers=None, **kw):
    """Answer in order; "<skip>" skips. Returns the answers (as storage would hold them)."""
    answers = dict(answers or {})
    for raw in script:
        result = skip(q, answers, **kw) if raw == "<skip>" else submit(q, answers, raw, **kw)
        assert isinstance(result, Accepted), result
        answers = apply(q, answers, result)
    return answers


# --- skip logic ------------------------------------------------------------------------------

ORDER = [
    (["có"], "boiler_fuel"),
    (["không"], "employees"),
    (["có", "2"], "condensate"),
    (["có", "than", "không"], "employees"),
    (["không", "50"], "managers"),
    (["không", "50", "<skip>"], "phone"),
    (["không", "50", "3", "<skip>"], None),
]


@pytest.mark.parametrize(("script", "expected"), ORDER)
def test_boiler_follow_ups_only_for_those_with_a_boiler(script, expected):
    answers = run(SMALL, script)
    current = current_question(SMALL, answers)
    assert (current.id if current else None) == expected


def test_default_questionnaire_boiler_follow_up():
    q = default_questionnaire()
    base = {
        "company_name": None,
        "sector": "seafood",
        "employees": 50,
        "industrial_park": "none",
        "ward": {"park": None, "ward": "Phường Cái Răng", "free_text": None},
        "tax_code": None,
        "know_sxsh": "yes",
        "applied_sxsh": "no",
        "dedicated_unit": "no",
        "electricity_bill": 20,
        "energy_monitoring": "none",
        "fuels": ["none"],
    }
    with_boiler = run(q, ["1"], base)  # equipment: boiler
    assert current_question(q, with_boiler).id == "boiler_condensate"
    without = run(q, ["4"], base)  # equipment: none
    assert current_question(q, without).id == "water_source"
    both = run(q, ["1, 2"], base)
    assert current_question(q, run(q, ["2"], both)).id == "compressed_air_leaks"


# --- answers are never changed in place; rejected input stores nothing -----------------------


def test_submit_is_pure():
    answers = {"has_boiler": "yes"}
    snapshot = dict(answers)
    assert isinstance(submit(SMALL, answers, "xyz"), Rejected)
    assert isinstance(submit(SMALL, answers, "1"), Accepted)
    assert answers == snapshot


# --- back, change answer, prune --------------------------------------------------------------


def test_back_change_and_prune():
    answers = run(SMALL, ["có", "than", "có", "40"])
    assert current_question(SMALL, answers).id == "managers"
    assert previous_question(SMALL, answers).id == "employees"

    # back three times to has_boiler
    question, answers = back(SMALL, answers)
    assert question.id == "employees"
    question, answers = back(SMALL, answers)
    # employees is unanswered now, so the current question is employees, previous condensate
    assert question.id == "condensate"
    question, answers = back(SMALL, answers)
    assert question.id == "boiler_fuel"
    question, answers = back(SMALL, answers)
    assert question.id == "has_boiler"
    assert current_question(SMALL, answers).id == "has_boiler"
    assert back(SMALL, answers)[0] is None  # at the start

    # change to "no": the boiler answers no longer apply and are pruned
    answers = {"has_boiler": "yes", "boiler_fuel": "coal", "condensate": "yes", "employees": 40}
    answers.pop("has_boiler")
    result = submit(SMALL, answers, "không")
    answers = apply(SMALL, answers, result)
    assert answers == {"has_boiler": "no", "employees": 40}
    assert current_question(SMALL, answers).id == "managers"


def test_prune_drops_irrelevant_unknown_and_broken_constraints():
    answers = {
        "has_boiler": "no",
        "boiler_fuel": "coal",
        "condensate": "yes",
        "employees": 5,
        "managers": 10,  # constraint . <= ${employees} no longer holds
        "gone_question": 1,
    }
    assert prune(SMALL, answers) == {"has_boiler": "no", "employees": 5}
    assert prune(SMALL, {"has_boiler": "yes", "boiler_fuel": "coal"}) == {
        "has_boiler": "yes",
        "boiler_fuel": "coal",
    }


def test_skipped_optional_answer_is_kept_as_none():
    answers = run(SMALL, ["không", "50", "<skip>"])
    assert answers["managers"] is None
    assert prune(SMALL, answers) == answers


# --- progress ------------------------------------------------------------------------------

PROGRESS = [
    ([], (1, 4)),  # has_boiler, employees, managers, phone (follow-ups not yet relevant)
    (["có"], (2, 5)),  # boiler_fuel joins
    (["có", "than"], (3, 6)),  # condensate joins
    (["không"], (2, 4)),
    (["không", "50"], (3, 4)),
    (["không", "50", "<skip>", "<skip>"], (4, 4)),
]


@pytest.mark.parametrize(("script", "expected"), PROGRESS)
def test_progress_counts_only_relevant_questions(script, expected):
    assert progress(SMALL, run(SMALL, script)) == expected


def test_without_consent_personal_questions_are_neither_asked_nor_counted():
    answers = run(SMALL, ["không", "50", "<skip>"], personal=False)
    assert is_complete(SMALL, answers, personal=False)
    assert not is_complete(SMALL, answers)
    assert progress(SMALL, {}, personal=False) == (1, 3)


# --- skip, constraint, stale and finished ----------------------------------------------------


def test_skip_required_is_refused_with_what_is_expected():
    result = skip(SMALL, {})
    assert isinstance(result, Rejected)
    assert result.question_id == "has_boiler"
    assert result.message.startswith("Câu này bắt buộc, không bỏ qua được.")
    assert "“Có” hoặc “Không”" in result.message
    en = skip(SMALL, {}, "en")
    assert en.message.startswith("This question is required and cannot be skipped.")


def test_skip_optional():
    assert skip(SMALL, {"has_boiler": "no", "employees": 3}) == Accepted("managers", None)


def test_constraint_message():
    answers = {"has_boiler": "no", "employees": 3}
    assert submit(SMALL, answers, "5") == Rejected(
        "managers", "Số quản lý không thể lớn hơn số lao động."
    )
    assert submit(SMALL, answers, "5", "en").message == "Managers cannot outnumber employees."
    assert submit(SMALL, answers, "2") == Accepted("managers", 2)


def test_stale_button_of_an_earlier_question():
    answers = {"has_boiler": "yes"}
    result = submit(SMALL, answers, "yes", question_id="has_boiler")
    assert isinstance(result, Rejected) and result.question_id == "boiler_fuel"
    assert "đã được trả lời" in result.message
    assert submit(SMALL, answers, "coal", question_id="boiler_fuel") == Accepted(
        "boiler_fuel", "coal"
    )


def test_submit_after_the_end():
    answers = run(SMALL, ["không", "50", "3", "<skip>"])
    result = submit(SMALL, answers, "hello")
    assert isinstance(result, Rejected) and result.question_id is None


# --- the invalid inputs of the issue, through the engine --------------------------------------

INVALID = [
    # (answers so far, input, expected message start)
    ({"has_boiler": "no"}, "nhiều", "“nhiều” không phải là một số"),  # text for a number
    ({"has_boiler": "no"}, "5000", "5.000 người nằm ngoài khoảng cho phép"),  # out of range
    ({"has_boiler": "yes"}, "3", "Không có lựa chọn số 3"),  # choice that does not exist
    ({"has_boiler": "yes"}, "dầu", "Không có lựa chọn “dầu”"),
    ({}, "", "Anh/chị chưa nhập câu trả lời"),  # empty
    ({}, "x" * 5000, "Tin nhắn quá dài (5.000 ký tự)"),  # 5,000 characters
]


@pytest.mark.parametrize(("answers", "raw", "start"), INVALID)
def test_invalid_inputs_rejected_and_nothing_stored(answers, raw, start):
    before = dict(answers)
    result = submit(SMALL, answers, raw)
    assert isinstance(result, Rejected)
    assert result.message.startswith(start)
    assert answers == before


def test_wrong_tax_code_in_default_questionnaire():
    q = default_questionnaire()
    answers = {
        "company_name": "A",
        "sector": "seafood",
        "employees": 10,
        "industrial_park": "none",
        "ward": {"park": None, "ward": "Phường Cái Răng", "free_text": None},
    }
    assert current_question(q, answers).id == "tax_code"
    result = submit(q, answers, "12345")
    assert isinstance(result, Rejected)
    assert result.message.startswith("“12345” không phải mã số thuế hợp lệ.")


# --- rendering -------------------------------------------------------------------------------


def test_render_yes_no_has_two_buttons_and_progress():
    r = render_question(SMALL, SMALL.question("has_boiler"), {})
    assert r.text.splitlines()[0] == "Câu 1/4 · Phần"
    assert "Có lò hơi?" in r.text
    assert r.buttons == [("Có", "yes"), ("Không", "no")]
    assert not r.optional
    en = render_question(SMALL, SMALL.question("has_boiler"), {}, "en")
    assert en.text.startswith("Question 1/4 · Part")
    assert en.buttons == [("Yes", "yes"), ("No", "no")]


def test_render_number_shows_unit_range_and_optional_mark():
    answers = {"has_boiler": "no", "employees": 3}
    r = render_question(SMALL, SMALL.question("employees"), {"has_boiler": "no"})
    assert "Đơn vị: người" in r.text
    assert "số nguyên từ 1 đến 1.000 người" in r.text
    r = render_question(SMALL, SMALL.question("managers"), answers)
    assert r.optional and "bỏ qua" in r.text
    r = render_question(SMALL, SMALL.question("managers"), answers, "en")
    assert "skip" in r.text


def test_render_choices_use_value_payloads_and_numbering():
    answers = {"has_boiler": "yes"}
    r = render_question(SMALL, SMALL.question("boiler_fuel"), answers)
    assert r.buttons == [("Than", "coal"), ("Trấu", "husk")]
    assert "1. Than" not in r.text
    numbered = render_question(SMALL, SMALL.question("boiler_fuel"), answers, numbered=True)
    assert "1. Than\n2. Trấu" in numbered.text


def test_render_ward_offers_the_parks_ward_as_a_button():
    q = default_questionnaire()
    r = render_question(q, q.question("ward"), {"industrial_park": "tra_noc_1"})
    assert r.buttons == [("Phường Thới An Đông", "Phường Thới An Đông")]
    assert render_question(q, q.question("ward"), {"industrial_park": "none"}).buttons == []
    result = submit(
        q,
        {
            "company_name": None,
            "sector": "seafood",
            "employees": 10,
            "industrial_park": "tra_noc_1",
        },
        "Phường Thới An Đông",
    )
    assert result == Accepted(
        "ward", {"park": "tra_noc_1", "ward": "Phường Thới An Đông", "free_text": None}
    )


def test_render_multi_choice_is_marked_multi():
    q = default_questionnaire()
    r = render_question(q, q.question("fuels"), {})
    assert r.multi and ("Chỉ dùng điện", "none") in r.buttons


def test_intro_counts_questions_without_personal_ones():
    text = render_intro(default_questionnaire())
    assert "Gồm khoảng 20 câu hỏi" in text


def test_intro_says_the_contact_questions_come_on_top_with_consent():
    """Tester round 2: "khoảng 20 câu hỏi" and then "Câu 1/22" after agreeing read as a
    wrong count; the two contact questions are named."""
    text = render_intro(default_questionnaire())
    assert "thêm 2 câu thông tin liên hệ nếu anh/chị đồng ý" in text
    assert "plus 2 contact questions if you agree" in render_intro(default_questionnaire(), "en")


# --- labels for export -----------------------------------------------------------------------

LABELS = [
    ("sector", "seafood", "vi", "Chế biến thủy sản"),
    ("sector", "seafood", "en", "Seafood processing"),
    ("fuels", ["coal", "oil"], "vi", "Than; Dầu FO/DO"),
    ("know_sxsh", "yes", "vi", "Có"),
    ("know_sxsh", "no", "en", "No"),
    ("electricity_bill", 1234.5, "vi", "1.234,5"),
    ("ward", {"park": None, "ward": "Xã Phong Điền", "free_text": None}, "vi", "Xã Phong Điền"),
    ("tax_code", None, "vi", ""),
    ("industrial_park", "tra_noc_1", "en", "Tra Noc I Industrial Park"),
]


@pytest.mark.parametrize(("question_id", "value", "lang", "label"), LABELS)
def test_label_for(question_id, value, lang, label):
    q = default_questionnaire()
    assert label_for(q.question(question_id), value, lang) == label


# --- command words ---------------------------------------------------------------------------

COMMANDS = [
    ("bỏ qua", "skip"),
    ("Bo qua", "skip"),
    ("/skip", "skip"),
    ("skip", "skip"),
    ("quay lại", "back"),
    ("/back", "back"),
    ("/back@SxshBot", "back"),
    ("/cancel", "cancel"),
    ("hủy đánh giá", "cancel"),
    ("hủy", None),  # left to the opt-out handling
    ("dừng", None),
    ("có", None),
    ("", None),
]


@pytest.mark.parametrize(("raw", "command"), COMMANDS)
def test_detect_command(raw, command):
    assert detect_command(raw) == command
