"""The terminal chat as a person uses it: console.run() reading a pipe, on a real database."""

from __future__ import annotations

import asyncio
import io
import os
import threading
import time

from bot.channels import console
from storage.models import Outbox, QuestionLog
from tests.chat import Person, rows


def chat(conversation, lines: str, user: str = "lan", tmp_path=None) -> str:
    out = io.StringIO()
    console.run(conversation, user, io.StringIO(lines), out, files_dir=tmp_path or "files")
    return out.getvalue()


def test_a_line_over_the_limit_is_refused_and_reaches_nothing(conversation, tmp_path):
    shown = chat(conversation, "x" * 5000 + "\n", tmp_path=tmp_path)
    assert "5000 ký tự" in shown and "4096" in shown
    assert rows(conversation, QuestionLog) == []  # never asked as a question


def ask_an_officer(conversation, user: str = "minh") -> int:
    """`user` asks for an officer in their own terminal; the question's number."""
    chat(conversation, "/officer\nLò hơi đốt trấu có được hỗ trợ không?\n", user=user)
    [row] = rows(conversation, QuestionLog)
    return row.id


def outbox_states(conversation) -> list[str]:
    return [r.status for r in rows(conversation, Outbox)]


def test_an_officer_answer_reaches_only_the_person_who_asked(conversation, tmp_path):
    """Issue 7 item 1: the officer's own terminal neither shows nor claims the answer; the
    person who asked gets it when they open their chat."""
    number = ask_an_officer(conversation)
    officer = chat(conversation, f"/reply {number} Anh mang hóa đơn điện đến Sở nhé\n/help\n",
                   user="officer")  # fmt: skip
    assert "hóa đơn điện" not in officer.replace(f"/reply {number} Anh mang hóa đơn", "")
    assert outbox_states(conversation) == ["pending"]
    other = chat(conversation, "/help\n", user="lan")  # a third person's chat: not theirs either
    assert "hóa đơn điện" not in other and outbox_states(conversation) == ["pending"]
    asker = chat(conversation, "", user="minh")  # opens the chat, types nothing
    assert "🔔" in asker and "Anh mang hóa đơn điện đến Sở nhé" in asker
    assert outbox_states(conversation) == ["sent"]
    again = chat(conversation, "", user="minh")
    assert "hóa đơn điện" not in again  # once


def test_a_due_message_is_shown_while_the_prompt_waits(conversation, tmp_path):
    """Issue 7 item 1: nothing typed, the answer still appears in the open chat."""
    number = ask_an_officer(conversation)
    read_end, write_end = os.pipe()
    stdin = os.fdopen(read_end, encoding="utf-8")
    out = io.StringIO()
    thread = threading.Thread(
        target=console.run,
        args=(conversation, "minh", stdin, out),
        kwargs={"files_dir": tmp_path, "poll_seconds": 0.05},
    )
    thread.start()
    try:
        Person(conversation, user_id="officer").says(f"/reply {number} Đã có lịch tư vấn thứ Sáu")
        for _ in range(600):  # up to a minute on a busy machine; usually a few polls
            if outbox_states(conversation) == ["sent"]:
                break
            time.sleep(0.1)
        assert "🔔" in out.getvalue() and "Đã có lịch tư vấn thứ Sáu" in out.getvalue()
        assert outbox_states(conversation) == ["sent"]
    finally:
        os.close(write_end)  # end of input: the chat says goodbye and returns
        thread.join(timeout=60)
    assert not thread.is_alive()
    stdin.close()


def test_a_button_of_a_due_message_can_be_pressed_by_its_number(conversation, tmp_path):
    number = ask_an_officer(conversation)
    Person(conversation, user_id="officer").says(f"/reply {number} Đã có lịch tư vấn thứ Sáu")
    shown = chat(conversation, "1\n", user="minh", tmp_path=tmp_path)
    assert "[1] ☰ Menu chính" in shown and "Anh/chị muốn làm gì?" in shown


def test_a_process_without_the_console_leaves_console_rows_alone(conversation, clock):
    """The same kind: a Telegram-only process used to claim a terminal person's row and mark it
    'unreachable: no sender for console'. It now claims only its own channels' rows."""
    from bot.delivery import Delivery

    class Recorder:
        sent: list[str] = []

        async def send(self, platform_id, replies):  # noqa: ANN001
            self.sent.append(platform_id)

    number = ask_an_officer(conversation)
    Person(conversation, user_id="officer").says(f"/reply {number} Đã có lịch tư vấn thứ Sáu")
    telegram_only = Delivery(conversation.engine, conversation, clock, {"telegram": Recorder()})
    assert asyncio.run(telegram_only.run_once()) == {}
    assert outbox_states(conversation) == ["pending"]


def test_a_typed_number_at_a_number_question_is_the_answer(conversation, tmp_path):
    """Tester's fault 4: at "bao nhiêu lao động?" a typed 1 pressed button 1 (back)."""
    from storage.models import Answer

    shown = chat(conversation, "/assess\n1\nCông ty A\n1\n1\n", tmp_path=tmp_path)
    answers = {a.question_id: a.value for a in rows(conversation, Answer)}
    assert answers.get("employees") == "1", shown
    employees = shown[shown.index("bao nhiêu lao động?") :]
    assert "  [⬅️ Quay lại]" in employees and "[1] ⬅️ Quay lại" not in employees
    assert "Câu 4/22" in employees  # the next question, not the sector again
