""" "Không biết", "không rõ", "không nhớ" typed at a question with choices is not an answer
(new-user tester: they were stored as a definite choice: "không biết" at "hao hụt nguyên liệu?"
as "Không bao giờ", at "which equipment?" as "none of these", at "water meters?" as "no meter",
"không nhớ" at "condensate?" as "No", so the score counted a practice nobody reported). A choice
that says it ("Không rõ") is still that choice; otherwise the person is asked to pick the
nearest (or skip an optional question)."""

from __future__ import annotations

import pytest

from content.forms import Err, Ok
from content.forms.loader import default_questionnaire
from tests.forms_support import parse_answer

Q = default_questionnaire()
UNSURE = ["không biết", "khong ro", "ko nho", "chưa rõ", "không biết ạ", "don't know"]


@pytest.mark.parametrize("typed", UNSURE)
@pytest.mark.parametrize(
    "question",
    ["material_losses", "equipment", "water_metering", "waste_practices", "industrial_park"],
)
def test_not_knowing_is_not_stored_as_a_choice(question, typed):
    result = parse_answer(Q.question(question), typed, answers={}, locations=Q.locations)
    assert isinstance(result, Err), f"{typed!r} stored as {getattr(result, 'value', None)!r}"
    assert "gần đúng nhất" in result.message


@pytest.mark.parametrize("typed", ["không rõ", "khong biet", "ko nho"])
def test_a_choice_that_says_not_known_is_chosen(typed):
    result = parse_answer(Q.question("boiler_condensate"), typed, answers={})
    assert isinstance(result, Ok) and result.value == "unknown"


@pytest.mark.parametrize(("typed", "value"), [("không", ["none"]), ("ko co", ["none"])])
def test_a_plain_no_is_still_none(typed, value):
    result = parse_answer(Q.question("equipment"), typed, answers={})
    assert isinstance(result, Ok) and result.value == value


@pytest.mark.parametrize("question", ["employees", "electricity_bill", "water_use"])
def test_not_knowing_a_number_asks_for_an_estimate(question):
    result = parse_answer(Q.question(question), "không biết", answers={})
    assert isinstance(result, Err)
    assert "ước lượng là được" in result.message
    assert "không phải là một số" not in result.message
