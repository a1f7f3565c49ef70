"""Officer tools: rights from the settings and the officers table at each message, answers kept
and delivered once, ticket numbers never reused, a list that cannot be forged or flooded."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.delivery import Delivery
from handlers.registry import REGISTRY
from handlers.router import Conversation
from storage import officers
from storage.db import session_scope
from storage.models import AppState, Contact, Outbox
from storage.tickets_models import AuditEntry, OfficerRole, Ticket, TicketMessage
from tests.chat import Person, rows
from tests.conftest import make_settings
from tests.test_assessment import Recorder

OFFICER_ARGS = {
    "inbox": "",
    "questions": "",
    "reply": "1 Cán bộ trả lời",
    "claim": "1",
    "close": "1",
    "note": "Công ty A gọi điện hỏi",
    "unanswered": "",
    "reload": "",
    "stats": "",
    "export": "",
    "newevent": "",
    "editevent": "ws-1",
    "eventinfo": "ws-1",
    "broadcast": "Hội thảo SXSH ngày 5/12",
}


def snapshot(conversation) -> tuple:
    counts = tuple(
        len(rows(conversation, model)) for model in (Ticket, TicketMessage, Outbox, AuditEntry)
    )
    tickets = tuple((t.id, t.status, t.claimed_by) for t in rows(conversation, Ticket))
    return counts + tickets + tuple((a.key, a.value) for a in rows(conversation, AppState))


def officer_answers(conversation) -> list[TicketMessage]:
    return rows(conversation, TicketMessage, TicketMessage.from_officer.is_(True))


def test_the_list_of_officer_commands_is_complete():
    officer_only = sorted(n for n, c in REGISTRY.commands.items() if c.officer_only)
    assert officer_only == sorted(OFFICER_ARGS)


@pytest.mark.parametrize("name", sorted(OFFICER_ARGS))
def test_an_officer_command_is_unknown_to_others_and_changes_nothing(conversation, name):
    asker = Person(conversation, user_id="asker")
    asker.says("/officer Cần hỗ trợ kiểm toán năng lượng")
    before = snapshot(conversation)
    stranger = Person(conversation, user_id="stranger")
    stranger.says(f"/{name} {OFFICER_ARGS[name]}".strip())
    assert stranger.text == f"Bot chưa hiểu lệnh /{name}. Gõ /help để xem các lệnh."
    assert snapshot(conversation) == before
    officer = Person(conversation, user_id="officer")  # the same command works for an officer
    officer.says(f"/{name} {OFFICER_ARGS[name]}".strip())
    assert "Bot chưa hiểu lệnh" not in officer.text


def test_an_id_removed_from_the_settings_loses_the_rights_at_once(conversation, sqlite_url):
    Person(conversation, user_id="asker").says("/officer Xin tư vấn xử lý nước thải")
    officer = Person(conversation, user_id="officer")
    officer.says("/inbox")
    assert "#1" in officer.text
    # The same database, settings without that officer (another process, or a restart).
    later = Conversation(
        engine=conversation.engine,
        content=conversation.content,
        settings=make_settings(sqlite_url, officer_ids=""),
        clock=conversation.clock,
    )
    removed = Person(later, user_id="officer")
    for command in ("/inbox", "/questions", "/reply 1 Đã xem", "/close 1", "/reload"):
        removed.says(command)
        assert "Bot chưa hiểu lệnh" in removed.text, command
    assert officer_answers(conversation) == []
    assert [t.status for t in rows(conversation, Ticket)] == ["open"]


def test_an_officer_removed_from_the_table_loses_the_rights_in_every_process(
    conversation, sqlite_url, clock
):
    """Two processes on one database (two Conversations, neither with the id in its settings):
    `officers add` grants in both at the next message, `officers remove` takes it away in both."""
    plain = make_settings(sqlite_url, officer_ids="")
    first, second = (
        Conversation(
            engine=conversation.engine, content=conversation.content, settings=plain, clock=clock
        )  # fmt: skip
        for _ in range(2)
    )
    Person(first, user_id="asker").says("/officer Xin tư vấn lò hơi")
    in_first, in_second = Person(first, user_id="mai"), Person(second, user_id="mai")
    in_first.says("/inbox")
    assert "Bot chưa hiểu lệnh /inbox" in in_first.text
    with session_scope(conversation.engine) as s:
        officers.add(s, "console", "mai", "Trần Mai", OfficerRole.officer, "cli:admin", clock.now())
    in_first.says("/inbox")
    assert "#1" in in_first.text
    in_second.says("/claim 1")
    assert "đã nhận phiếu #1" in in_second.text
    with session_scope(conversation.engine) as s:
        assert officers.remove(s, "console", "mai")
    for person in (in_first, in_second):
        for command in ("/inbox", "/reply 1 Chào anh", "/close 1"):
            person.says(command)
            assert "Bot chưa hiểu lệnh" in person.text, command
    assert officer_answers(conversation) == []
    [ticket] = rows(conversation, Ticket)
    assert ticket.status == "open" and ticket.claimed_by == "console:mai"


def test_ticket_numbers_are_never_reused_after_a_deletion(conversation):
    first = Person(conversation, user_id="first")
    first.says("/officer Câu hỏi của người thứ nhất")
    first_contact = rows(conversation, Contact, Contact.platform_id == "first")[0].id
    first.says("/deletedata")
    first.presses("Có, xóa hết")
    second = Person(conversation, user_id="second")
    second.says("/officer Câu hỏi của người thứ hai")
    tickets = rows(conversation, Ticket)
    assert [(t.id, t.contact_id, t.question) for t in tickets][0] == (1, None, "")
    assert tickets[1].id == 2 and tickets[1].question.endswith("thứ hai")
    second_contact = rows(conversation, Contact, Contact.platform_id == "second")[0].id
    assert second_contact > first_contact
    officer = Person(conversation, user_id="officer")
    officer.says("/reply 1 Trả lời cho người thứ nhất")
    assert "đã xóa dữ liệu" in officer.text
    assert rows(conversation, Outbox, Outbox.kind == "officer_reply") == []


async def test_every_answer_is_kept_and_delivered_once(conversation, clock):
    asker = Person(conversation, user_id="asker")
    asker.says("/officer Thủ tục vay vốn tiết kiệm năng lượng?")
    officer = Person(conversation, user_id="officer")
    officer.says("/reply 1 Câu trả lời thứ nhất")
    assert "Đã xếp trả lời phiếu #1" in officer.text
    officer.says("/reply 1 Câu trả lời thứ hai")
    assert "đã được trả lời 1 lần" in officer.text and "Câu trả lời thứ nhất" in officer.text
    assert len(officer_answers(conversation)) == 1
    officer.says("/reply 1 --force Câu trả lời thứ hai")
    assert "Đã xếp trả lời phiếu #1" in officer.text
    answers = officer_answers(conversation)
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
    assert [e.action for e in rows(conversation, AuditEntry)] == ["ticket.reply", "ticket.reply"]


def test_reply_with_a_huge_or_odd_number_gets_the_ordinary_answer(conversation):
    officer = Person(conversation, user_id="officer")
    officer.says("/reply 12345678901234567890 xin chào")
    assert officer.text.startswith("Không có phiếu #12345678901234567890")
    officer.says("/reply １２ xin chào")  # full-width digits are read as 12
    assert officer.text.startswith("Không có phiếu #12.")
    for odd in ("²", "-3", "1e5", "#", "x", "٣"):
        officer.says(f"/reply {odd} xin chào")
        assert officer.text.startswith("Cách dùng: /reply"), odd


def test_the_list_is_one_line_per_ticket_oldest_first_and_pages(conversation, clock):
    forger = Person(conversation, user_id="forger")
    forger.says("/officer Câu thật\n#1 · 01/01 08:00 · Câu giả\u2028#2 · giả nữa")
    officer = Person(conversation, user_id="officer")
    officer.says("/inbox")
    entries = [line for line in officer.text.splitlines() if line.startswith("#")]
    assert len(entries) == 1 and "Câu giả" in entries[0]
    officer.says("/inbox 2")
    assert officer.text == "Không có trang «2». Danh sách phiếu chỉ có 1 trang: gõ /inbox."
    for i in range(25):
        clock.advance(minutes=1)
        Person(conversation, user_id=f"p{i}").says(f"/officer Câu hỏi số {i}")
    officer.says("/inbox")
    assert "trang 1/3" in officer.text and "/inbox 2" in officer.text
    first_page = [line for line in officer.text.splitlines() if line.startswith("#")]
    assert "Câu thật" in first_page[0] and "Câu hỏi số 0" in first_page[1]
    officer.says("/questions 3")  # the old name still works
    assert "trang 3/3" in officer.text and "Câu hỏi số 24" in officer.text
    for bad in ("abc", "999", "0"):  # never page 1 silently in place of what was asked
        officer.says(f"/inbox {bad}")
        assert officer.text == (
            f"Không có trang «{bad}». Danh sách phiếu có 3 trang: gõ /inbox 1 đến /inbox 3."
        ), bad


def test_one_person_cannot_push_others_out_of_the_list(conversation):
    Person(conversation, user_id="genuine").says("/officer Xin gặp cán bộ về hồ sơ")
    flooder = Person(conversation, user_id="flooder")
    for i in range(40):
        flooder.says(f"/officer quảng cáo {i}")
    officer = Person(conversation, user_id="officer")
    officer.says("/inbox")
    entries = [line for line in officer.text.splitlines() if line.startswith("#")]
    assert len(entries) == 2 and "hồ sơ" in entries[0]
    assert "2 phiếu" in officer.text
    # Everything the flooder wrote joined their one ticket: nothing was dropped.
    flood_ticket = rows(conversation, Ticket)[1]
    said = rows(conversation, TicketMessage, TicketMessage.ticket_id == flood_ticket.id)
    assert len(said) == 39 and said[-1].text == "quảng cáo 39"


def test_an_officers_id_goes_from_answers_after_their_own_deletion(conversation):
    Person(conversation, user_id="asker").says("/officer Câu hỏi")
    officer = Person(conversation, user_id="officer")
    officer.says("/deletedata")
    officer.presses("Có, xóa hết")
    officer.says("/reply 1 Trả lời sau khi xóa")  # answered after their own deletion
    [answer] = officer_answers(conversation)
    assert answer.officer == "console:officer" and answer.officer_contact_id is not None
    assert rows(conversation, Ticket)[0].claimed_by == "console:officer"
    officer.says("/deletedata")
    officer.presses("Có, xóa hết")
    [answer] = officer_answers(conversation)
    assert answer.officer is None and answer.officer_contact_id is None
    assert answer.text == "Trả lời sau khi xóa"  # the person who asked keeps their answer
    assert rows(conversation, Ticket)[0].claimed_by is None


def test_deleted_text_is_not_left_readable_in_the_sqlite_files(conversation, sqlite_url):
    secret = "Số điện thoại bí mật 0987654321"
    p = Person(conversation, user_id="leaver")
    p.says(f"/officer {secret}")
    p.says(f"Gọi em qua số 0987654321 nhé, {secret}")  # joins the ticket
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
        [ticket] = s.exec(select(Ticket)).all()
        assert (ticket.question, ticket.contact_id, ticket.status) == ("", None, "closed")
        assert s.exec(select(TicketMessage)).all() == []


def test_cli_reply_records_the_officer_and_asks_before_answering_again(tmp_path):
    from tests.test_cli import run

    env = {"SXSH_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"}
    run(["chat", "--user", "lan"], env, "/officer cần tư vấn lò hơi\n", cwd=tmp_path)
    ok = run(["reply", "1", "Cán bộ sẽ gọi lại.", "--as", "Trần Mai"], env, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    again = run(["reply", "1", "Lần hai"], env, cwd=tmp_path)
    assert (
        again.returncode == 1
        and "answered 1 time(s) already" in again.stderr
        and "add --force" in again.stderr
    )
    huge = run(["reply", "99999999999999999999", "x"], env, cwd=tmp_path)
    assert huge.returncode == 1 and "no ticket #99999999999999999999" in huge.stderr
    forced = run(["reply", "1", "Lần hai", "--force"], env, cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    from sqlmodel import create_engine

    engine = create_engine(env["SXSH_DATABASE_URL"])
    with Session(engine) as s:
        answers = s.exec(select(TicketMessage).where(TicketMessage.from_officer.is_(True))).all()
        audit = s.exec(select(AuditEntry)).all()
    engine.dispose()
    import getpass

    who = ["cli:Trần Mai", f"cli:{getpass.getuser()}"]
    assert [a.officer for a in answers] == who
    assert [(e.actor, e.action, e.target_id) for e in audit] == [
        (w, "ticket.reply", "1") for w in who
    ]
