"""Results: area scores, potential level, next steps; a full scripted run; comparison."""

from __future__ import annotations

import pytest

from content.forms.engine import Accepted, apply, current_question, is_complete
from content.forms.loader import default_questionnaire
from content.forms.scoring import Result, compare, level_label, score, step_text
from tests.forms_support import TEXTS, render_comparison, render_result, skip, submit

Q = default_questionnaire()

# a seafood plant in Trà Nóc I with a boiler and refrigeration, typed the way people type
SEAFOOD_SCRIPT = [
    ("company_name", "Công ty TNHH Thủy sản Mẫu"),
    ("sector", "thuy san"),
    ("employees", "khoảng 250 người"),
    ("industrial_park", "1"),
    ("ward", "thoi an dong"),
    ("tax_code", "<skip>"),
    ("know_sxsh", "co"),
    ("applied_sxsh", "có ạ"),
    ("dedicated_unit", "ko"),
    ("electricity_bill", "45tr"),
    ("energy_monitoring", "2"),
    ("fuels", "dau"),
    ("equipment", "1, 3"),
    ("boiler_condensate", "mot phan"),
    ("refrigeration_upkeep", "không"),
    ("water_source", "nuoc may, gieng"),
    ("water_use", "1.200 m3"),
    ("water_metering", "2"),
    ("material_losses", "thinh thoang"),
    ("waste_practices", "1"),
    ("housekeeping_practices", "1"),
    ("interest", "1 3"),
    ("contact_name", "Nguyễn Văn A"),
    ("contact_phone", "+84 912 345 678"),
]


def run_script(script, lang="vi", personal=True):
    answers: dict = {}
    for expected_id, raw in script:
        question = current_question(Q, answers, personal=personal)
        assert question is not None and question.id == expected_id
        if raw == "<skip>":
            result = skip(Q, answers, lang, personal=personal)
        else:
            result = submit(Q, answers, raw, lang, personal=personal)
        assert isinstance(result, Accepted), (expected_id, raw, result)
        answers = apply(Q, answers, result)
    assert is_complete(Q, answers, personal=personal)
    return answers


def test_full_run_through_the_default_questionnaire():
    answers = run_script(SEAFOOD_SCRIPT)
    assert answers["sector"] == "seafood"
    assert answers["employees"] == 250
    ward = {"park": "tra_noc_1", "ward": "Phường Thới An Đông", "free_text": None}
    assert answers["ward"] == ward
    assert answers["tax_code"] is None
    assert answers["electricity_bill"] == 45
    assert answers["equipment"] == ["boiler", "refrigeration"]
    assert "compressed_air_leaks" not in answers  # no compressor, never asked
    assert answers["water_source"] == ["mains", "groundwater"]
    assert answers["contact_phone"] == "0912345678"

    result = score(Q, answers)
    assert result.questionnaire_id == "quick_assessment" and result.version == 1
    assert result.areas == {
        # monitoring bill_only .4 + condensate partly .5 + refrigeration 0 + idle_off 0 (w .5)
        "energy": round(100 * (0.4 + 0.5 + 0 + 0) / 3.5),  # 26
        # main meter only .4 + leaks_fixed .5 of a half-weight housekeeping rule
        "water": round(100 * (0.4 + 0.5 * 0.5) / 1.5),  # 43
        "materials": 50,  # sometimes
        "waste": 50,  # sorted, by-products not used
        "housekeeping": 30,  # leaks fixed only
        "management": 67,  # knows, applied, no dedicated unit
    }
    assert result.overall == round((26 + 43 + 50 + 50 + 30 + 67) / 6)
    assert result.level == "medium" and level_label(Q, result, "vi", TEXTS["vi"]) == "trung bình"
    topics = [s.topic for s in result.steps]
    assert 3 <= len(topics) <= 5
    assert topics[-1] == "support.consulting"
    assert topics[:4] == ["sxsh.housekeeping", "sector.seafood", "sxsh.recycling", "sxsh.energy"]

    text = render_result(Q, result, answers)
    assert "Tiềm năng SXSH: TRUNG BÌNH" in text
    assert "• Quản lý nội vi: 30/100" in text
    assert "khoảng 45 triệu đồng/tháng" in text and "2,25 triệu đồng/tháng" in text
    assert "5. Trao đổi với cán bộ Sở Công Thương" in text


def test_full_run_in_english_without_consent():
    script = [step for step in SEAFOOD_SCRIPT if not step[0].startswith("contact_")]
    answers = run_script(script, lang="en", personal=False)
    result = score(Q, answers)
    assert level_label(Q, result, "en", TEXTS["en"]) == "medium"
    text = render_result(Q, result, answers, "en")
    assert "Cleaner production potential: MEDIUM" in text
    assert "every 5% of electricity saved is worth about 2.25 million VND/month" in text
    assert step_text(Q, result.steps[-1], "en").startswith("Talk to an officer")


BEST = {
    "sector": "mechanics",
    "know_sxsh": "yes",
    "applied_sxsh": "yes",
    "dedicated_unit": "yes",
    "energy_monitoring": "target",
    "equipment": ["compressor"],
    "compressed_air_leaks": "yes",
    "water_metering": "per_area",
    "material_losses": "regular",
    "waste_practices": ["sorted", "byproducts"],
    "housekeeping_practices": ["leaks_fixed", "idle_off", "tidy_storage", "dry_cleanup"],
    "interest": ["none"],
}
WORST = {
    "sector": "rice_food",
    "know_sxsh": "no",
    "applied_sxsh": "no",
    "dedicated_unit": "no",
    "energy_monitoring": "none",
    "equipment": ["none"],
    "water_metering": "none",
    "material_losses": "never",
    "waste_practices": ["none"],
    "housekeeping_practices": ["none"],
    "interest": ["training"],
}


def test_good_practice_means_low_potential():
    result = score(Q, BEST)
    assert set(result.areas.values()) == {100}
    assert result.level == "low" and level_label(Q, result, "vi", TEXTS["vi"]) == "thấp"
    # nothing left to fix: defaults fill up to 3 steps, then the officer
    assert [s.topic for s in result.steps] == [
        "support.programmes",
        "sxsh.detailed_assessment",
        "support.consulting",
    ]


def test_little_practice_means_high_potential():
    result = score(Q, WORST)
    assert set(result.areas.values()) == {0}
    assert result.level == "high" and level_label(Q, result, "vi", TEXTS["vi"]) == "cao"
    assert "không tốn tiền" in render_result(Q, result)
    topics = [s.topic for s in result.steps]
    assert len(topics) == 5
    assert topics == [
        "sxsh.definition",
        "sxsh.housekeeping",
        "sector.rice",
        "sxsh.energy",
        "support.consulting",
    ]


def test_areas_without_answers_are_not_assessed():
    answers = {"know_sxsh": "yes", "applied_sxsh": "no", "dedicated_unit": "no"}
    result = score(Q, answers)
    assert result.areas["management"] == 33
    for area in ("energy", "water", "materials", "waste", "housekeeping"):
        assert result.areas[area] is None
    assert result.overall == 33
    assert "• Nước: chưa đánh giá" in render_result(Q, result)
    empty = score(Q, {})
    assert empty.overall is None and empty.level == "unknown"
    assert empty.steps[-1].topic == "support.consulting"


def test_unknown_answer_is_left_out_not_zero():
    answers = {"equipment": ["boiler"], "boiler_condensate": "unknown"}
    assert score(Q, answers).areas["energy"] is None


def test_answers_of_questions_no_longer_relevant_do_not_count():
    answers = {"equipment": ["none"], "boiler_condensate": "yes"}
    assert score(Q, answers).areas["energy"] is None


def test_compare_with_an_earlier_result():
    before = score(Q, WORST)
    after = score(Q, BEST)
    deltas = compare(before, after)
    assert deltas["energy"] == 100 and deltas["overall"] == 100
    partial = score(Q, {"know_sxsh": "yes", "applied_sxsh": "yes", "dedicated_unit": "no"})
    assert compare(partial, after)["water"] is None
    assert compare(partial, after)["management"] == 33
    text = render_comparison(Q, before, after)
    assert "• Năng lượng: 0 → 100 (+100)" in text
    assert "Tiềm năng SXSH: cao → thấp" in text
    assert "• Nước: – → 100" in render_comparison(Q, partial, after)


def test_result_round_trips_for_storage():
    result = score(Q, WORST)
    assert Result.model_validate(result.model_dump()) == result
    assert Result.model_validate_json(result.model_dump_json()) == result
    assert Result.model_validate(result.stored()) == result


def test_a_stored_result_keeps_ids_and_numbers_only():
    stored = score(Q, WORST).stored()
    assert set(stored) == {"questionnaire_id", "version", "areas", "overall", "level", "steps"}
    assert all(set(step) == {"topic", "rule"} for step in stored["steps"])


def test_a_result_stored_with_texts_before_still_renders_in_the_current_language():
    old = score(Q, WORST).model_dump() | {"lang": "vi", "level_label": "cao", "level_text": "x"}
    old["steps"] = [{"text": "Bước cũ", "topic": s.topic} for s in score(Q, WORST).steps]
    text = render_result(Q, Result.model_validate(old), None, "en")
    assert "Cleaner production potential: HIGH" in text and "Bước cũ" not in text


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_steps_link_to_known_topic_ids(lang):
    steps = [*score(Q, WORST).steps, *score(Q, BEST).steps]
    topics = {s.topic for s in steps}
    assert all("." in t for t in topics)
    assert all(step_text(Q, s, lang) != s.topic for s in steps)  # each has its text


# the three energy rules share the topic sxsh.energy; the result shows the one that matched
@pytest.mark.parametrize(
    ("answers", "shown", "not_shown"),
    [
        (
            {"equipment": ["boiler", "compressor"], "compressed_air_leaks": "no"},
            "Kiểm tra và sửa rò rỉ khí nén định kỳ",
            "Bảo dưỡng hệ thống lạnh",
        ),
        (
            {"energy_monitoring": "bill_only"},
            "Theo dõi điện năng theo sản lượng",
            "Bảo dưỡng hệ thống lạnh",
        ),
        (
            {"equipment": ["refrigeration"], "refrigeration_upkeep": "no"},
            "Bảo dưỡng hệ thống lạnh định kỳ",
            "rò rỉ khí nén",
        ),
    ],
)
def test_a_step_shows_the_text_of_the_rule_that_matched(answers, shown, not_shown):
    result = score(Q, answers)
    text = render_result(Q, result, answers)
    assert shown in text and not_shown not in text
    # read back from the database row it still shows the same step
    assert render_result(Q, Result.model_validate(result.stored()), answers) == text


def test_rules_sharing_a_topic_need_their_own_ids():
    keys = [r.key for r in (*Q.scoring.steps.rules, *Q.scoring.steps.defaults)]
    assert len(keys) == len(set(keys))
