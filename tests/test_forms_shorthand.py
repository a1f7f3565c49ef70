"""Short forms of "không" typed in a choice answer (new-user tester): "ko co" at "which fuels?"
and "which equipment?" was "Không có lựa chọn “ko co”", and "ko" at "which industrial park?"
too, though "không" was understood; worse, "ko co" at "water meters?" was stored as "Có, cho
từng khu vực" (the alias "có" found inside it). The short forms are content
(answer_words.yaml `shorthand`); a choice that matches as typed is never rewritten."""

from __future__ import annotations

import pytest

from content.forms import Err, Ok
from content.forms.loader import default_questionnaire
from tests.chat import Person
from tests.forms_support import parse_answer

Q = default_questionnaire()


@pytest.mark.parametrize(
    ("question", "typed", "value"),
    [
        ("fuels", "ko co", ["none"]),
        ("fuels", "k dung", ["none"]),
        ("equipment", "ko co", ["none"]),
        ("equipment", "hok co", ["none"]),
        ("industrial_park", "ko", "none"),
        ("industrial_park", "ko co", "none"),
        ("water_metering", "ko co", "none"),  # it was "Có, cho từng khu vực": the alias "co"
        ("water_metering", "không có", "none"),  # it was "matches several"
        ("material_losses", "ko bao gio", "never"),
        ("boiler_condensate", "ko biet", "unknown"),
    ],
)
def test_a_short_form_of_khong_is_read_as_khong(question, typed, value):
    result = parse_answer(Q.question(question), typed, answers={}, locations=Q.locations)
    assert isinstance(result, Ok), getattr(result, "message", "")
    assert result.value == value


@pytest.mark.parametrize(
    ("question", "typed"), [("water_source", "ko xyz"), ("sector", "ko qwerty")]
)
def test_what_still_names_nothing_is_still_refused(question, typed):
    result = parse_answer(Q.question(question), typed, answers={}, locations=Q.locations)
    assert isinstance(result, Err)
    assert f"“{typed}”" in result.message  # quoted as the person typed it


def test_in_chat_ko_co_answers_the_fuel_question(conversation):
    p = Person(conversation, user_id="dn")
    p.says("/assess")
    p.says("không")  # no contact details
    for answer in ("Cty Gạo Tây Đô", "2", "50", "10", "thoi an dong", "bỏ qua", "có", "có"):
        p.says(answer)
    for answer in ("không", "15", "2"):
        p.says(answer)
    assert "nhiên liệu nào" in p.text
    p.says("ko co")
    assert "Không có lựa chọn" not in p.text
    assert "thiết bị nào" in p.text
