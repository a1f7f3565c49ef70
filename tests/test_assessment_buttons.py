"""Assessment buttons do what their label says, once, or nothing (issue 7 items 7-9).

A button carries a short key for the value it shows (bound to the questionnaire version and
the question) and the step it was issued for; a press that no longer matches is refused with
a short message and the current question is shown again."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bot.app import build_conversation
from storage.models import Answer, ConsentRecord, Response
from tests.chat import Person, rows
from tests.conftest import ROOT, make_settings
from tests.test_assessment import FULL_RUN, answer_all, begin

STALE = "không còn dùng được"


def stored(conversation) -> dict:
    return {a.question_id: json.loads(a.value) for a in rows(conversation, Answer)}


def payload_of(p: Person, label: str) -> str:
    for reply in p.last:
        for button in reply.buttons:
            if button.label == label:
                return button.payload
    raise AssertionError(f"no button {label!r}: {p.buttons}")


@pytest.fixture
def content_copy(tmp_path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(ROOT / "content", target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


@pytest.fixture
def editable(sqlite_url, clock, content_copy, monkeypatch):
    # Only the questionnaire changes here: reuse the packaged knowledge base instead of
    # building a second search index for the copy (tens of seconds on a busy machine).
    from content import store

    kb = store.ContentStore.load(ROOT / "content").knowledge
    monkeypatch.setattr(store.knowledge, "load", lambda directory, errors: kb)
    settings = make_settings(sqlite_url, officer_ids="console:officer")
    settings = settings.model_copy(update={"content_dir": content_copy})
    conversation = build_conversation(settings, clock=clock)
    yield conversation, content_copy
    conversation.engine.dispose()


def edit_sector_choices(content: Path, old: str, new: str) -> None:
    path = content / "questionnaires" / "quick_assessment.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


SEAFOOD = "      - value: seafood\n"
RUBBER = '      - value: rubber\n        label: {vi: "Chế biến cao su", en: "Rubber processing"}\n'


def test_a_choice_pressed_after_a_choice_was_inserted_stores_the_value_it_shows(editable):
    conversation, content = editable
    p = Person(conversation)
    begin(p)
    p.says("bỏ qua")  # company name
    seafood = payload_of(p, "Chế biến thủy sản")
    edit_sector_choices(content, SEAFOOD, RUBBER + SEAFOOD)
    officer = Person(conversation, user_id="officer")
    officer.says("/reload")
    p.press_payload(seafood)
    assert stored(conversation) == {"company_name": None, "sector": "seafood"}
    assert "Câu 3/" in p.text


def test_a_choice_removed_by_a_reload_is_refused_and_the_question_shown_again(editable):
    conversation, content = editable
    p = Person(conversation)
    begin(p)
    p.says("bỏ qua")
    garments = payload_of(p, "Dệt may")
    edit_sector_choices(content, "      - value: garments\n", "      - value: textiles\n")
    officer = Person(conversation, user_id="officer")
    officer.says("/reload")
    assert "content" in officer.text.lower() or "nội dung" in officer.text.lower()
    p.press_payload(garments)
    assert STALE in p.text and "Câu 2/" in p.text and "Dệt may" in p.buttons
    assert stored(conversation) == {"company_name": None}


def test_a_double_tap_on_skip_skips_one_question(conversation):
    p = Person(conversation)
    begin(p)
    skip = payload_of(p, "⏭ Bỏ qua")
    p.press_payload(skip)
    assert "Câu 2/" in p.text
    p.press_payload(skip)  # the second tap of a double tap
    assert STALE in p.text and "Câu 2/" in p.text
    assert stored(conversation) == {"company_name": None}


def test_a_double_tap_on_a_choice_answers_one_question(conversation):
    p = Person(conversation)
    begin(p)
    p.says("bỏ qua")
    p.says("1")
    p.says("120")
    # industrial_park: choices; the first button pressed twice
    first = p.last[-1].buttons[0].payload
    p.press_payload(first)
    p.press_payload(first)
    assert STALE in p.text and "Câu 5/" in p.text
    assert set(stored(conversation)) == {"company_name", "sector", "employees", "industrial_park"}


def test_a_double_tap_on_back_goes_back_one_question(conversation):
    p = Person(conversation)
    begin(p)
    answer_all(p, FULL_RUN[:3])
    back = payload_of(p, "⬅️ Quay lại")
    p.press_payload(back)
    assert "Câu 3/" in p.text
    p.press_payload(back)
    assert STALE in p.text and "Câu 3/" in p.text
    # the answer gone back to is kept as a draft only (shown, confirmed with one press)
    assert set(stored(conversation)) == {"company_name", "sector", "_draft:employees"}


def test_a_double_tap_on_a_multi_choice_toggle_selects_once(conversation):
    p = Person(conversation)
    begin(p)
    answer_all(p, FULL_RUN[:11])
    coal = payload_of(p, "◻️ Than")
    p.press_payload(coal)
    assert "Đã chọn: Than" in p.text
    p.press_payload(coal)  # the same (old) button again: refused, not a toggle off
    assert STALE in p.text
    assert stored(conversation)["_draft:fuels"] == ["coal"]
    p.presses("✔️ Xong")
    done = [b.payload for b in p.last[-1].buttons]
    assert stored(conversation)["fuels"] == ["coal"]
    assert done  # the next question is shown


def test_a_double_tap_on_done_confirms_once(conversation):
    p = Person(conversation)
    begin(p)
    answer_all(p, FULL_RUN[:11])
    p.presses("◻️ Than")
    done = payload_of(p, "✔️ Xong")
    p.press_payload(done)
    after = dict(stored(conversation))
    p.press_payload(done)
    assert STALE in p.text
    assert stored(conversation) == after


def test_a_double_tap_on_consent_opens_one_response_and_records_one_consent(conversation):
    p = Person(conversation)
    p.says("/assess")
    yes = payload_of(p, "✅ Đồng ý")
    p.press_payload(yes)
    p.press_payload(yes)
    assert len(rows(conversation, Response)) == 1
    assert len(rows(conversation, ConsentRecord)) == 1
    assert "Câu 1/" in p.text


def test_an_old_consent_button_does_not_start_a_new_assessment_after_finishing(conversation):
    p = Person(conversation)
    p.says("/assess")
    yes = payload_of(p, "✅ Đồng ý")
    p.press_payload(yes)
    answer_all(p, FULL_RUN)
    p.press_payload(yes)
    assert STALE in p.text
    assert [r.status for r in rows(conversation, Response)] == ["completed"]


def test_a_double_tap_on_restart_cancels_one_response(conversation):
    p = Person(conversation)
    begin(p)
    answer_all(p, FULL_RUN[:3])
    p.says("/assess")
    restart = payload_of(p, "🔄 Làm lại từ đầu")
    p.press_payload(restart)
    p.presses("✅ Đồng ý")
    p.says("Công ty B")
    p.press_payload(restart)  # the old offer again: must not cancel the new run
    assert STALE in p.text
    assert [r.status for r in rows(conversation, Response)] == ["cancelled", "in_progress"]
    assert stored(conversation).get("company_name") == "Công ty B"


def test_every_assessment_payload_is_short_and_independent_of_content_ids(conversation):
    p = Person(conversation)
    begin(p)
    seen = []
    for text in FULL_RUN:
        seen += [b.payload for r in p.last for b in r.buttons]
        p.says(text)
    seen += [b.payload for r in p.last for b in r.buttons]
    as_payloads = [s for s in seen if s.startswith("as:")]
    assert as_payloads
    assert max(len(s.encode()) for s in seen) <= 64
    for qid in ("company_name", "sector", "industrial_park", "fuels", "equipment"):
        assert not any(qid in s for s in as_payloads)


@pytest.mark.parametrize(
    "junk",
    [
        "as:",
        "as:c",
        "as:c:",
        "as:c:zz:zz",
        "as:c:" + "9" * 400,
        "as:t:0:0",
        "as:d:x",
        "as:s:",
        "as:b:-1",
        "as:consent:yes",
        "as:consent:maybe:1",
        "as:restart",
        "as:c:sector:0",  # the old, position-based format
        "as:\x00:\n",
    ],
)
def test_a_forged_or_old_payload_changes_nothing(conversation, junk):
    p = Person(conversation)
    begin(p)
    p.says("bỏ qua")
    before = stored(conversation)
    p.press_payload(junk)
    assert "Câu 2/" in p.text or STALE in p.text
    assert stored(conversation) == before
    assert len(rows(conversation, Response)) == 1
