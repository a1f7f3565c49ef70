"""A person sees and deletes their own data; "Gặp cán bộ" passes a message to the officers."""

from __future__ import annotations

from sqlmodel import Session, select

from storage import questions
from storage.models import Answer, ConsentRecord, Contact, QuestionLog, Response
from tests.chat import Person, rows
from tests.test_assessment import FULL_RUN, answer_all, begin


def test_mydata_shows_consent_and_contact_details(conversation):
    p = Person(conversation)
    begin(p)
    answer_all(p, FULL_RUN)
    p.says("/mydata")
    assert "Dữ liệu bot đang lưu" in p.text
    assert "Thông tin liên hệ trong phiếu đánh giá – đồng ý" in p.text
    assert "Nguyễn Văn An" in p.text and "0912345678" in p.text
    assert "🗑 Xóa dữ liệu của tôi" in p.buttons


def test_deletedata_removes_personal_data_and_keeps_company_answers(conversation):
    p = Person(conversation)
    begin(p)
    answer_all(p, FULL_RUN)
    p.says("sxsh la gi")
    p.says("/deletedata")
    p.presses("Không, giữ lại")
    assert len(rows(conversation, Contact)) == 1
    p.says("/deletedata")
    p.presses("Có, xóa hết")
    assert "Đã xóa dữ liệu cá nhân" in p.text
    assert rows(conversation, Contact) == []
    assert rows(conversation, ConsentRecord) == []
    assert rows(conversation, QuestionLog) == []
    [response] = rows(conversation, Response)
    assert response.contact_id is None and response.status == "completed"
    kept = {a.question_id for a in rows(conversation, Answer)}
    assert "contact_phone" not in kept and "contact_name" not in kept
    assert {"sector", "electricity_bill"} <= kept


def test_officer_handoff_reaches_the_officers_list(conversation):
    p = Person(conversation)
    p.says("/start")
    p.presses("👤 Gặp cán bộ")
    assert "gõ câu hỏi" in p.text.lower()
    p.says("Công ty tôi muốn được khảo sát tại chỗ, cần làm thủ tục gì?")
    assert "Đã chuyển cho cán bộ" in p.text
    with Session(conversation.engine) as s:
        [row] = questions.unanswered(s)
        assert row.handed_off and row.text.startswith("Công ty tôi muốn được khảo sát")
    # Free text afterwards is a question for the knowledge base again.
    p.says("tiết kiệm nước thế nào")
    with Session(conversation.engine) as s:
        assert len(s.exec(select(QuestionLog)).all()) == 2


def test_officer_handoff_can_be_cancelled(conversation):
    p = Person(conversation)
    p.says("/officer")
    p.presses("Thôi, không gửi")
    assert "chưa gửi gì" in p.text
    assert rows(conversation, QuestionLog) == []


async def test_officer_answers_a_question_and_the_person_receives_it(conversation, clock):
    from bot.delivery import Delivery
    from tests.test_assessment import Recorder

    p = Person(conversation, user_id="owner")
    p.says("/officer Nhà máy tôi muốn tham gia chương trình khuyến công thì nộp hồ sơ ở đâu?")
    p.says("/stop")  # a reply to their own question still reaches them; announcements do not
    stranger = Person(conversation, user_id="stranger")
    stranger.says("/questions")  # officer commands do not exist for anyone else
    assert "Bot chưa hiểu lệnh /questions" in stranger.text
    stranger.says("/reply 1 xin chào")
    assert "Bot chưa hiểu lệnh /reply" in stranger.text
    officer = Person(conversation, user_id="officer")  # in SXSH_OFFICER_IDS (console:officer)
    officer.says("/questions")
    assert "#1" in officer.text and "khuyến công" in officer.text
    officer.says("/reply 99 không có")
    assert "Không có phiếu #99" in officer.text
    officer.says("/reply 1")
    assert "Chưa có nội dung" in officer.text
    officer.says("/reply 1 Anh/chị nộp tại Sở Công Thương, cán bộ sẽ gọi lại hướng dẫn.")
    assert "Đã xếp trả lời phiếu #1" in officer.text
    recorder = Recorder()
    delivery = Delivery(conversation.engine, conversation, clock, {"console": recorder})
    assert await delivery.run_once() == {"sent": 1}
    [(user, [reply])] = recorder.sent
    assert (
        user == "owner" and "nộp tại Sở Công Thương" in reply.text and "khuyến công" in reply.text
    )
    officer.says("/inbox")
    assert "#1" in officer.text and "chờ doanh nghiệp" in officer.text  # answered: their turn
    officer.says("/close 1")
    officer.says("/inbox")
    assert "Không có phiếu nào đang mở" in officer.text


def test_cli_reply_queues_the_answer(tmp_path):
    from tests.test_cli import run

    env = {"SXSH_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"}
    run(["chat", "--user", "lan"], env, "/officer cần tư vấn lò hơi\n", cwd=tmp_path)
    bad = run(["reply", "7", "trả lời"], env, cwd=tmp_path)
    assert bad.returncode == 1 and "no ticket #7" in bad.stderr
    ok = run(["reply", "1", "Cán bộ sẽ gọi lại."], env, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    shown = run(["chat", "--user", "lan"], env, "/help\n", cwd=tmp_path)
    assert "Cán bộ sẽ gọi lại." in shown.stdout  # delivered by the next process that runs
