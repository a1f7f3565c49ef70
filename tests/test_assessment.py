"""The quick assessment as an enterprise owner lives it, and what the database keeps."""

from __future__ import annotations

import json

import pytest

from bot.app import build_conversation
from bot.delivery import Delivery
from handlers.messages import Reply
from storage.models import Answer, ConsentRecord, Contact, Enterprise, Outbox, Response
from tests.chat import Person, rows
from tests.conftest import make_settings

# A whole assessment typed the way people answer on a phone (consent given).
FULL_RUN = [
    "Công ty TNHH Thủy sản Demo",  # company_name
    "1",  # sector: seafood
    "120 người",  # employees
    "KCN Trà Nóc I",  # industrial_park, typed label
    "thoi an dong",  # ward, no diacritics
    "1800123456",  # tax_code
    "có",  # know_sxsh
    "khong",  # applied_sxsh
    "ko",  # dedicated_unit
    "45tr",  # electricity_bill
    "2",  # energy_monitoring: bill only
    "1, 3",  # fuels: coal, oil
    "1 va 3",  # equipment: boiler, refrigeration
    "3",  # boiler_condensate: no
    "có",  # refrigeration_upkeep
    "1",  # water_source
    "1.200",  # water_use (m3)
    "3",  # water_metering: none
    "3",  # material_losses: never
    "2",  # waste_practices: by-products
    "1",  # housekeeping_practices
    "1, 2",  # interest
    "Nguyễn Văn An",  # contact_name
    "0912 345 678",  # contact_phone
]


def begin(p: Person, consent: bool = True) -> None:
    p.says("/assess")
    assert "Trước khi bắt đầu" in p.text  # consent explained before anything is asked
    p.presses("✅ Đồng ý" if consent else "Làm phiếu, không cung cấp thông tin cá nhân")
    assert "Câu 1/" in p.text


def answer_all(p: Person, answers: list[str]) -> None:
    for text in answers:
        before = p.text
        p.says(text)
        assert "Câu" in p.text or "KẾT QUẢ" in p.text, (text, before, p.text)
        assert "không phải" not in p.text and "Không có lựa chọn" not in p.text, (text, p.text)


def test_full_assessment_ends_with_result_and_a_completed_response(conversation):
    p = Person(conversation)
    begin(p)
    answer_all(p, FULL_RUN)
    assert "KẾT QUẢ TỰ ĐÁNH GIÁ NHANH" in p.text
    assert "Tiềm năng SXSH" in p.text and "Gợi ý bước tiếp theo" in p.text
    assert "👤 Đặt lịch tư vấn với cán bộ" in p.buttons
    [response] = rows(conversation, Response)
    assert response.status == "completed" and response.questionnaire_version == "1"
    assert response.personal_consent is True
    result = json.loads(response.result)
    assert set(result["areas"]) == {
        "energy",
        "water",
        "materials",
        "waste",
        "housekeeping",
        "management",
    }
    answers = {a.question_id: json.loads(a.value) for a in rows(conversation, Answer)}
    assert answers["fuels"] == ["coal", "oil"] and answers["equipment"] == [
        "boiler",
        "refrigeration",
    ]
    assert answers["electricity_bill"] == 45 and answers["water_use"] == 1200
    assert answers["contact_phone"] == "0912345678"
    assert "compressed_air_leaks" not in answers  # no compressor, not asked
    [enterprise] = rows(conversation, Enterprise)
    assert (enterprise.tax_code, enterprise.sector, enterprise.ward) == (
        "1800123456",
        "seafood",
        "Phường Thới An Đông",
    )
    [consent] = rows(conversation, ConsentRecord)
    assert (consent.purpose, consent.granted, consent.wording_version) == (
        "assessment_contact",
        True,
        "assess-consent-1",
    )
    [nudge] = rows(conversation, Outbox)
    assert nudge.status == "cancelled"  # finished: the pending nudge is dropped
    # The result can be seen again.
    p.says("/result")
    assert "Kết quả đánh giá gần nhất" in p.text and "KẾT QUẢ" in p.text


def test_without_consent_no_personal_question_is_asked(conversation):
    p = Person(conversation)
    begin(p, consent=False)
    answer_all(p, FULL_RUN[:-2])
    assert "KẾT QUẢ" in p.text
    answers = {a.question_id for a in rows(conversation, Answer)}
    assert not answers & {"contact_name", "contact_phone"}
    [consent] = rows(conversation, ConsentRecord)
    assert consent.granted is False


def test_skip_logic_asks_boiler_questions_only_to_boiler_owners(conversation):
    p = Person(conversation)
    begin(p)
    answer_all(p, FULL_RUN[:12])
    p.says("2")  # equipment: compressor only
    assert "khí nén" in p.text.lower()  # the compressor follow-up, not the boiler one
    assert "nước ngưng" not in p.text.lower()


INVALID = [
    # (question index reached, bad input, what the person is told)
    (2, "nhiều lắm", "không phải là một số"),
    (2, "0", "nằm ngoài khoảng cho phép"),
    (2, "200000", "nằm ngoài khoảng cho phép"),
    (5, "12345", "không phải mã số thuế hợp lệ"),
    (5, "1800123456-1", "không phải mã số thuế hợp lệ"),
    (1, "9", "Không có lựa chọn số 9"),
    (1, "trồng lúa nước", "Không có lựa chọn"),
    (2, "", "chưa nhập câu trả lời"),
    (0, "x" * 5000, "5.000 ký tự"),
    (4, "quận Ninh Kiều", "không còn cấp quận/huyện"),
    (6, "có lẽ", "Chưa hiểu câu trả lời"),
]


@pytest.mark.parametrize(("step", "bad", "message"), INVALID, ids=[i[1][:12] for i in INVALID])
def test_invalid_answers_get_a_clear_message_and_store_nothing(conversation, step, bad, message):
    p = Person(conversation)
    begin(p)
    answer_all(p, FULL_RUN[:step])
    question = p.text
    stored = len(rows(conversation, Answer))
    p.says(bad)
    assert message in p.text, p.text
    assert len(rows(conversation, Answer)) == stored
    assert question.split("\n\n")[-1] in p.text  # the same question is asked again


def test_back_and_skip(conversation):
    p = Person(conversation)
    begin(p)
    p.says("bỏ qua")  # company name is optional
    assert "Câu 2/" in p.text
    p.says("1")
    p.says("quay lại")
    assert "Câu 2/" in p.text and "Ngành sản xuất" in p.text
    p.says("3")  # change the sector
    answers = {a.question_id: json.loads(a.value) for a in rows(conversation, Answer)}
    assert answers == {"company_name": None, "sector": "beverages"}
    p.says("/skip")  # employees is required
    assert "Câu này bắt buộc" in p.text


def test_multi_choice_with_buttons(conversation):
    p = Person(conversation)
    begin(p)
    answer_all(p, FULL_RUN[:11])
    assert "nhiên liệu" in p.text
    p.presses("◻️ Than")
    assert "Đã chọn: Than" in p.text
    p.presses("◻️ Gas, LPG")
    p.presses("✅ Than")  # pressing again removes it
    assert "Đã chọn: Gas, LPG" in p.text
    p.presses("✔️ Xong")
    answers = {a.question_id: json.loads(a.value) for a in rows(conversation, Answer)}
    assert answers["fuels"] == ["gas"]
    assert not any(k.startswith("_draft") for k in answers)


def test_restart_of_the_process_resumes_at_the_next_question(settings, clock):
    first = build_conversation(settings, clock=clock)
    p = Person(first)
    begin(p)
    answer_all(p, FULL_RUN[:5])
    first.engine.dispose()
    # A new process (new Conversation, same database) takes the next message.
    second = build_conversation(settings, clock=clock)
    p.conversation = second
    p.says("1800123456")
    assert "Câu 7/" in p.text
    p.says("/assess")
    assert "đang làm dở" in p.text and "đã trả lời 6 câu" in p.text
    p.presses("▶️ Làm tiếp")
    assert "Câu 7/" in p.text


def test_other_commands_pause_the_assessment_and_questions_go_to_qa(conversation):
    p = Person(conversation)
    begin(p)
    answer_all(p, FULL_RUN[:2])
    p.says("/help")
    assert "tạm dừng" in p.text and "Cách dùng bot" in p.text
    p.says("tiết kiệm điện trong nhà máy thế nào")
    assert "Câu" not in p.text.split("\n")[0]  # answered as a question, not as an answer
    assert len(rows(conversation, Answer)) == 2
    p.says("/assess")
    p.presses("▶️ Làm tiếp")
    assert "Câu 3/" in p.text


class Recorder:
    """A channel sender that keeps what it was asked to send."""

    def __init__(self):
        self.sent: list[tuple[str, list[Reply]]] = []

    async def send(self, platform_id, replies):
        self.sent.append((platform_id, replies))


async def test_one_gentle_nudge_after_24_hours_and_none_after_finishing(conversation, clock):
    recorder = Recorder()
    delivery = Delivery(conversation.engine, conversation, clock, {"console": recorder})
    p = Person(conversation)
    begin(p)
    answer_all(p, FULL_RUN[:3])
    clock.advance(hours=23)
    assert await delivery.run_once() == {}
    p.says(FULL_RUN[3])  # answering moves the nudge forward
    clock.advance(hours=23)
    assert await delivery.run_once() == {}
    clock.advance(hours=2)
    assert await delivery.run_once() == {"sent": 1}
    [(user, [reply])] = recorder.sent
    assert user == "u1" and "đang làm dở (Câu 5/" in reply.text
    assert [b.label for b in reply.buttons] == ["▶️ Làm tiếp", "Để sau"]
    resume = reply.buttons[0].payload
    clock.advance(days=3)
    assert await delivery.run_once() == {}  # one nudge only
    p.press_payload(resume)
    assert "Câu 5/" in p.text


async def test_nudge_is_not_sent_when_finished_meanwhile(conversation, clock):
    recorder = Recorder()
    delivery = Delivery(conversation.engine, conversation, clock, {"console": recorder})
    p = Person(conversation)
    begin(p)
    p.says("/cancel")
    assert "Đã hủy" in p.text
    clock.advance(hours=25)
    assert await delivery.run_once() == {}
    assert recorder.sent == []


def test_unfinished_assessment_expires(conversation, clock):
    p = Person(conversation)
    begin(p)
    answer_all(p, FULL_RUN[:3])
    clock.advance(days=31)
    p.says("/assess")
    assert "đã quá 30 ngày" in p.text and "Trước khi bắt đầu" in p.text
    assert [r.status for r in rows(conversation, Response)] == ["expired"]


def test_housekeeping_expires_old_assessments(conversation, clock):
    p = Person(conversation)
    begin(p)
    clock.advance(days=31)
    [job] = [j for j in conversation.maintenance_jobs() if j.__name__ == "expire_assessments"]
    assert job() == 1
    assert [r.status for r in rows(conversation, Response)] == ["expired"]


def test_second_contact_with_same_tax_code_claims_the_enterprise(conversation):
    for user in ("owner", "manager"):
        p = Person(conversation, user_id=user)
        begin(p)
        answer_all(p, FULL_RUN)
    [enterprise] = rows(conversation, Enterprise)
    links = {c.platform_id: c.enterprise_id for c in rows(conversation, Contact)}
    assert links == {"owner": enterprise.id, "manager": None}  # until an officer confirms
    responses = rows(conversation, Response)
    assert {r.enterprise_id for r in responses} == {enterprise.id}
    assert [r.enterprise_claim for r in responses] == ["verified", "pending"]


def test_second_result_is_compared_with_the_first(conversation):
    p = Person(conversation)
    begin(p)
    answer_all(p, FULL_RUN)
    begin(p)
    better = list(FULL_RUN)
    better[8] = "có"  # now a dedicated unit
    better[20] = "1, 2, 3, 4"  # more housekeeping
    answer_all(p, better)
    assert "So sánh với lần đánh giá trước" in p.text
    p.says("/result")
    assert "So sánh với lần đánh giá trước" in p.text


def test_english_speaker_gets_english_questions(conversation):
    p = Person(conversation)
    p.says("/lang en")
    p.says("/assess")
    p.presses("✅ I agree")
    assert "Question 1/" in p.text
    assert "Tên doanh nghiệp" not in p.text


def test_assessment_on_both_databases_shared_by_two_processes(db_url, clock):
    settings = make_settings(db_url)
    a, b = build_conversation(settings, clock=clock), build_conversation(settings, clock=clock)
    p = Person(a)
    begin(p)
    for i, text in enumerate(FULL_RUN):
        p.conversation = (a, b)[i % 2]  # alternate processes message by message
        p.says(text)
    assert "KẾT QUẢ" in p.text
    [response] = rows(a, Response)
    assert response.status == "completed"
    assert len(rows(b, Answer)) == len(FULL_RUN)
    a.engine.dispose()
    b.engine.dispose()


def test_a_sticker_during_the_assessment_repeats_the_question(conversation):
    from handlers.messages import Inbound

    p = Person(conversation)
    begin(p)
    answer_all(p, FULL_RUN[:2])
    replies = conversation.handle(Inbound(channel="console", user_id="u1", kind="unsupported"))
    text = "\n".join(r.text for r in replies)
    assert "chưa nhập câu trả lời" in text and "Câu 3/" in text
    assert len(rows(conversation, Answer)) == 2
