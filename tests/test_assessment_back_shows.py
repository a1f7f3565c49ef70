"""Going back shows the stored answer: ticked boxes at a multi-choice question, the earlier
answer at any other; "Xong" / "Giữ câu trả lời cũ" keeps it (new-user tester, fault 3)."""

from __future__ import annotations

from tests.chat import Person
from tests.test_assessment import FULL_RUN, answer_all, begin
from tests.test_assessment_buttons import stored


def test_back_to_a_multi_choice_shows_the_ticked_boxes_and_done_keeps_them(conversation):
    p = Person(conversation)
    begin(p)
    answer_all(p, FULL_RUN[:12])  # fuels: coal and oil
    assert stored(conversation)["fuels"] == ["coal", "oil"]
    p.presses("⬅️ Quay lại")
    ticked = [b for b in p.buttons if b.startswith("✅ ")]
    assert len(ticked) == 2 and "✅ Than" in ticked, p.buttons
    p.presses("✔️ Xong")
    assert "Chưa chọn mục nào" not in p.text and "Câu 13/" in p.text
    assert stored(conversation)["fuels"] == ["coal", "oil"]
    assert not any(k.startswith("_draft") for k in stored(conversation))


def test_typed_xong_after_back_keeps_the_selection(conversation):
    p = Person(conversation)
    begin(p)
    answer_all(p, FULL_RUN[:12])
    p.says("quay lại")
    p.says("xong")
    assert "Câu 13/" in p.text and stored(conversation)["fuels"] == ["coal", "oil"]


def test_back_to_a_text_answer_shows_it_and_keep_keeps_it(conversation):
    p = Person(conversation)
    begin(p)
    answer_all(p, FULL_RUN[:1])
    p.presses("⬅️ Quay lại")
    assert "Câu 1/" in p.text
    assert "Đã trả lời trước đó: Công ty TNHH Thủy sản Demo" in p.text
    p.presses("✔️ Giữ câu trả lời cũ")
    assert "Câu 2/" in p.text
    assert stored(conversation) == {"company_name": "Công ty TNHH Thủy sản Demo"}


def test_back_to_a_choice_shows_its_label_and_a_new_answer_replaces_it(conversation):
    p = Person(conversation)
    begin(p)
    answer_all(p, FULL_RUN[:2])
    p.says("quay lại")
    assert "Câu 2/" in p.text and "Đã trả lời trước đó: Chế biến thủy sản" in p.text
    p.says("3")
    assert stored(conversation)["sector"] == "beverages"
    assert not any(k.startswith("_draft") for k in stored(conversation))
