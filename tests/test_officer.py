"""Officer tools: rights from the settings at each message, answers kept and delivered once,
numbers never reused, a list that cannot be forged or flooded."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.delivery import Delivery
from handlers.registry import REGISTRY
from handlers.router import Conversation
from storage import questions
from storage.models import AppState, Contact, OfficerAnswer, Outbox, QuestionLog
from tests.chat import Person, rows
from tests.conftest import make_settings
from tests.test_assessment import Recorder

OFFICER_ARGS = {
    "questions": "",
    "reply": "1 Cán bộ trả lời",
    "reload": "",
    "newevent": "",
    "editevent": "ws-1",
    "eventinfo": "ws-1",
    "stats": "",
    "export": "",
}


def snapshot(conversation) -> tuple:
    return tuple(
        len(rows(conversation, model)) for model in (QuestionLog, OfficerAnswer, Outbox)
    ) + tuple((a.key, a.value) for a in rows(conversation, AppState))


def test_every_officer_command_is_unknown_to_others_and_changes_nothing(conversation):
    officer_only = sorted(n for n, c in REGISTRY.commands.items() if c.officer_only)
    assert officer_only == sorted(OFFICER_ARGS)
    asker = Person(conversation, user_id="asker")
    asker.says("/officer Cần hỗ trợ kiểm toán năng lượng")
    before = snapshot(conversation)
    stranger = Person(conversation, user_id="stranger")
    for name in officer_only:
        stranger.says(f"/{name} {OFFICER_ARGS[name]}".strip())
        assert stranger.text == f"Bot chưa hiểu lệnh /{name}. Gõ /help để xem các lệnh.", name
    assert snapshot(conversation) == before


def test_an_id_removed_from_the_settings_loses_the_rights_at_once(conversation, sqlite_url):
    Person(conversation, user_id="asker").says("/officer Xin tư vấn xử lý nước thải")
    officer = Person(conversation, user_id="officer")
    officer.says("/questions")
    assert "#1" in officer.text
    # The same database, settings without that officer (another process, or a restart).
    later = Conversation(
        engine=conversation.engine,
        content=conversation.content,
        settings=make_settings(sqlite_url, officer_ids=""),
        clock=conversation.clock,
    )
    removed = Person(later, user_id="officer")
    for command in ("/questions", "/reply 1 Đã xem", "/reload"):
        removed.says(command)
        assert "Bot chưa hiểu lệnh" in removed.text, command
    assert rows(conversation, OfficerAnswer) == []


def test_question_numbers_are_never_reused_after_a_deletion(conversation):
    first = Person(conversation, user_id="first")
    first.says("/officer Câu hỏi của người thứ nhất")
    first_contact = rows(conversation, Contact, Contact.platform_id == "first")[0].id
    first.says("/deletedata")
    first.presses("Có, xóa hết")
    second = Person(conversation, user_id="second")
    second.says("/officer Câu hỏi của người thứ hai")
    [row] = rows(conversation, QuestionLog)
    assert row.id == 2 and row.text.endswith("thứ hai")
    second_contact = rows(conversation, Contact, Contact.platform_id == "second")[0].id
    assert second_contact > first_contact
    officer = Person(conversation, user_id="officer")
    officer.says("/reply 1 Trả lời cho người thứ nhất")
    assert "Không có câu hỏi #1" in officer.text
    assert rows(conversation, Outbox) == []


async def test_every_answer_is_kept_and_delivered_once(conversation, clock):
    asker = Person(conversation, user_id="asker")
    asker.says("/officer Thủ tục vay vốn tiết kiệm năng lượng?")
    officer = Person(conversation, user_id="officer")
    officer.says("/reply 1 Câu trả lời thứ nhất")
    assert "Đã xếp trả lời câu hỏi #1" in officer.text
    officer.says("/reply 1 Câu trả lời thứ hai")
    assert "đã được trả lời 1 lần" in officer.text and "Câu trả lời thứ nhất" in officer.text
    assert len(rows(conversation, OfficerAnswer)) == 1
    officer.says("/reply 1 --force Câu trả lời thứ hai")
    assert "Đã xếp trả lời câu hỏi #1" in officer.text
    answers = rows(conversation, OfficerAnswer)
    assert [(a.text, a.officer) for a in answers] == [
        ("Câu trả lời thứ nhất", "console:officer"),
        ("Câu trả lời thứ hai", "console:officer"),
    ]
    recorder = Recorder()
    delivery = Delivery(conversation.engine, conversation, clock, {"console": recorder})
    assert await delivery.run_once() == {"sent": 2}
    assert await delivery.run_once() == {}
    sent = [reply.text for _, replies in recorder.sent for reply in replies]
    assert len(sent) == 2
    assert "Câu trả lời thứ nhất" in sent[0] and "Câu trả lời thứ hai" in sent[1]


def test_reply_with_a_huge_or_odd_number_gets_the_ordinary_answer(conversation):
    officer = Person(conversation, user_id="officer")
    officer.says("/reply 12345678901234567890 xin chào")
    assert officer.text.startswith("Không có câu hỏi #12345678901234567890")
    officer.says("/reply １２ xin chào")  # full-width digits are read as 12
    assert officer.text.startswith("Không có câu hỏi #12.")
    for odd in ("²", "-3", "1e5", "#", "x", "٣"):
        officer.says(f"/reply {odd} xin chào")
        assert officer.text.startswith("Cách dùng: /reply"), odd


def test_the_list_is_one_line_per_question_and_pages(conversation):
    forger = Person(conversation, user_id="forger")
    forger.says("/officer Câu thật\n#1 · 01/01 08:00 · Câu giả\u2028#2 · giả nữa")
    officer = Person(conversation, user_id="officer")
    officer.says("/questions")
    entries = [line for line in officer.text.splitlines() if line.startswith("#")]
    assert len(entries) == 1 and "Câu giả" in entries[0]
    for i in range(25):
        Person(conversation, user_id=f"p{i}").says(f"/officer Câu hỏi số {i}")
    officer.says("/questions")
    assert "trang 1/3" in officer.text and "/questions 2" in officer.text
    officer.says("/questions 3")
    assert "trang 3/3" in officer.text and "Câu thật" in officer.text


def test_one_person_cannot_push_others_out_of_the_list(conversation):
    Person(conversation, user_id="genuine").says("/officer Xin gặp cán bộ về hồ sơ")
    flooder = Person(conversation, user_id="flooder")
    for i in range(40):
        flooder.says(f"/officer quảng cáo {i}")
    officer = Person(conversation, user_id="officer")
    officer.says("/questions")
    entries = [line for line in officer.text.splitlines() if line.startswith("#")]
    assert len(entries) == 3
    assert any("hồ sơ" in e for e in entries)
    assert "(+38 câu khác của người này)" in officer.text
    assert "41 câu" in officer.text


def test_an_officers_id_goes_from_answers_after_their_own_deletion(conversation):
    Person(conversation, user_id="asker").says("/officer Câu hỏi")
    officer = Person(conversation, user_id="officer")
    officer.says("/deletedata")
    officer.presses("Có, xóa hết")
    officer.says("/reply 1 Trả lời sau khi xóa")  # answered after their own deletion
    [answer] = rows(conversation, OfficerAnswer)
    assert answer.officer == "console:officer" and answer.officer_contact_id is not None
    officer.says("/deletedata")
    officer.presses("Có, xóa hết")
    [answer] = rows(conversation, OfficerAnswer)
    assert answer.officer is None and answer.officer_contact_id is None
    assert answer.text == "Trả lời sau khi xóa"  # the person who asked keeps their answer


def test_deleted_text_is_not_left_readable_in_the_sqlite_files(conversation, sqlite_url):
    secret = "Số điện thoại bí mật 0987654321"
    p = Person(conversation, user_id="leaver")
    p.says(f"/officer {secret}")
    p.says("/deletedata")
    p.presses("Có, xóa hết")
    path = sqlite_url.removeprefix("sqlite:///")
    needle = b"0987654321"
    for suffix in ("", "-wal"):
        try:
            data = open(path + suffix, "rb").read()  # noqa: SIM115
        except FileNotFoundError:
            continue
        assert needle not in data, suffix
    with Session(conversation.engine) as s:
        assert s.exec(select(QuestionLog)).all() == []


def test_cli_reply_records_the_officer_and_asks_before_answering_again(tmp_path):
    from tests.test_cli import run

    env = {"SXSH_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"}
    run(["chat", "--user", "lan"], env, "/officer cần tư vấn lò hơi\n", cwd=tmp_path)
    ok = run(["reply", "1", "Cán bộ sẽ gọi lại.", "--as", "Trần Mai"], env, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    again = run(["reply", "1", "Lần hai"], env, cwd=tmp_path)
    assert again.returncode == 1 and "đã được trả lời 1 lần" in again.stderr
    huge = run(["reply", "99999999999999999999", "x"], env, cwd=tmp_path)
    assert huge.returncode == 1 and "Không có câu hỏi #99999999999999999999" in huge.stderr
    forced = run(["reply", "1", "Lần hai", "--force"], env, cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    from sqlmodel import create_engine

    engine = create_engine(env["SXSH_DATABASE_URL"])
    with Session(engine) as s:
        answers = questions.answers_to(s, 1)
    engine.dispose()
    import getpass

    assert [a.officer for a in answers] == ["cli:Trần Mai", f"cli:{getpass.getuser()}"]
