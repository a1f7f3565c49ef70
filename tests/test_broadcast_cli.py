"""`sxsh-bot broadcast ...` as an officer uses it in the terminal: a draft with its preview,
the night confirmation, status, pause / resume / cancel, and the export of the failed and
unknown recipients to XLSX (read back with openpyxl)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from bot.app import build_conversation
from bot.cli import app
from bot.cli import broadcast as cli_broadcast
from storage import broadcasts, contacts, outbox
from storage.broadcasts_models import Broadcast
from storage.db import session_scope
from storage.models import ContactStatus, Enterprise, OutboxStatus
from storage.tickets_models import AuditEntry
from tests.chat import rows
from tests.conftest import make_settings

DAY = "2026-11-28T09:00:00+07:00"
NIGHT = "2026-11-28T22:30:00+07:00"


@pytest.fixture
def conv(sqlite_url, clock):
    conversation = build_conversation(make_settings(sqlite_url), clock=clock)
    with session_scope(conversation.engine) as s:
        for i in range(4):
            c, _ = contacts.touch(s, "telegram", str(7000 + i), clock.now())
            e = Enterprise(name=f"Công ty Thủy sản {i}", sector="seafood",
                           created_at=clock.now(), updated_at=clock.now())  # fmt: skip
            s.add(e)
            s.flush()
            c.enterprise_id = e.id
        contacts.set_status(s, contacts.get(s, "telegram", "7003"), ContactStatus.stopped)
    yield conversation
    conversation.engine.dispose()


@pytest.fixture
def cli(sqlite_url, monkeypatch):
    monkeypatch.setenv("SXSH_DATABASE_URL", sqlite_url)
    runner = CliRunner()

    def invoke(*args: str, at: str = DAY):
        monkeypatch.setenv("SXSH_CLOCK_START", at)
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


def test_create_preview_send_follow_and_export(conv, cli, tmp_path):
    made = cli("broadcast", "create", "Hội thảo SXSH ngày 05/12", "--audience", "sector=seafood",
               "--as", "lan")  # fmt: skip
    assert made.exit_code == 0, made.output
    assert "draft #1" in made.output
    assert "Hội thảo SXSH ngày 05/12" in made.output
    assert (
        "Draft #1: 3 recipients" in made.output
        and "Not sent (turned announcements off): 1" in made.output
    )
    assert "Công ty Thủy sản 0" in made.output
    bad = cli("broadcast", "create", "Tin", "--audience", "nganh=thuy_san")
    assert bad.exit_code == 2 and "--audience: nganh not understood" in bad.output
    assert len(rows(conv, Broadcast)) == 1  # nothing written

    night = cli("broadcast", "send", "1", "--no-follow", "--as", "lan", at=NIGHT)
    assert night.exit_code == 1 and "21:00–07:00" in night.output and "--night" in night.output
    assert rows(conv, Broadcast)[0].status == "draft"
    sent = cli("broadcast", "send", "1", "--no-follow", "--night", "--as", "lan", at=NIGHT)
    assert sent.exit_code == 0 and "#1 started: 3 recipients" in sent.output

    # The lanes sent one, one chat no longer exists, one was in flight when a worker died.
    with session_scope(conv.engine) as s:
        later = datetime.fromisoformat(NIGHT) + timedelta(minutes=1)
        first, second, third = outbox.claim_due(s, later, kinds=["broadcast"])
        outbox.mark(s, first.id, OutboxStatus.sent, later)
        outbox.mark(s, second.id, OutboxStatus.unreachable, later, "Chat not found")
        third.status = OutboxStatus.unknown
        third.error = "interrupted while sending"
    status = cli("broadcast", "status", "1")
    assert "3/3 done, 1 sent" in status.output
    assert "Telegram: failed (Chat not found): 1" in status.output
    assert "Telegram: maybe received (interrupted while sending): 1" in status.output

    out = tmp_path / "that_bai.xlsx"
    exported = cli("broadcast", "export", "1", "--output", str(out), "--as", "lan")
    assert exported.exit_code == 0, exported.output
    assert out.stat().st_mode & 0o777 == 0o600  # people's user ids: its owner's only (was 0644)
    sheet = load_workbook(out).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == ["Channel", "User id", "Name", "Enterprise", "State", "Reason"]
    assert sorted(v[1:] for v in values[1:]) == [
        ["7001", None, "Công ty Thủy sản 1", "failed", "Chat not found"],
        ["7002", None, "Công ty Thủy sản 2", "maybe received", "interrupted while sending"],
    ]
    actions = [(a.actor, a.action) for a in rows(conv, AuditEntry)]
    assert actions == [("cli:lan", "broadcast.create"), ("cli:lan", "broadcast.send"),
                       ("cli:lan", "broadcast.export")]  # fmt: skip


def test_pause_resume_cancel_from_the_terminal(conv, cli):
    cli("broadcast", "create", "Lịch tập huấn", "--as", "lan")
    cli("broadcast", "send", "1", "--no-follow", "--as", "lan")
    assert cli("broadcast", "pause", "1", "--as", "lan").output.startswith("⏸")
    again = cli("broadcast", "pause", "1", "--as", "lan")
    assert again.exit_code == 1 and "not in a state that allows this" in again.output
    assert "(3 people left)" in cli("broadcast", "resume", "1").output  # one had stopped
    assert cli("broadcast", "cancel", "1").exit_code == 0
    assert rows(conv, Broadcast)[0].status == "cancelled"
    assert cli("broadcast", "status", "9").output.strip() == "sxsh-bot: no broadcast #9"


def test_send_at_reads_the_time_as_the_chat_does(conv, cli):
    cli("broadcast", "create", "Lịch tập huấn", "--as", "lan")
    wrong = cli("broadcast", "send", "1", "--no-follow", "--at", "28/11/2026 25h", "--as", "lan")
    assert wrong.exit_code == 2 and "--at" in wrong.output
    assert rows(conv, Broadcast)[0].status == "draft"
    sent = cli("broadcast", "send", "1", "--no-follow", "--at", "28/11/2026 14h30", "--as", "lan")
    assert sent.exit_code == 0, sent.output
    [row] = rows(conv, Broadcast)
    assert row.status == "scheduled"
    assert row.scheduled_at.strftime("%H:%M") == "07:30"  # 14:30 in Cần Thơ, stored as UTC


# Input a new officer tried (tester's fault 15): any file was accepted as a photo, and `send`
# with no process delivering showed nothing for minutes.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000050001a5f645400000000049454e44ae426082"
)


def test_a_text_file_is_not_taken_as_a_photo(conv, cli, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# not a picture\n")
    made = cli("broadcast", "create", "Hội thảo", "--photo", str(readme), "--as", "lan")
    assert made.exit_code != 0
    assert "not a JPEG, PNG, GIF or WebP image" in made.output
    assert rows(conv, Broadcast) == []  # nothing stored
    picture = tmp_path / "poster.png"
    picture.write_bytes(PNG)
    made = cli("broadcast", "create", "Hội thảo", "--photo", str(picture), "--as", "lan")
    assert made.exit_code == 0, made.output
    assert [b.attachment_kind for b in rows(conv, Broadcast)] == ["photo"]


def test_watching_a_broadcast_nobody_delivers_says_so(conv, cli, monkeypatch):
    hinted = threading.Event()

    class Hint(str):
        def format(self, **fields: object) -> str:
            hinted.set()
            return str.format(self, **fields)

    monkeypatch.setattr(cli_broadcast, "POLL_SECONDS", 0.01)
    monkeypatch.setattr(cli_broadcast, "STALL_POLLS", 3)
    monkeypatch.setattr(cli_broadcast, "STALL_HINT", Hint(cli_broadcast.STALL_HINT))
    assert cli("broadcast", "create", "Hội thảo", "--as", "lan").exit_code == 0

    def officer_cancels_once_told() -> None:
        hinted.wait(30)  # without the hint the officer gives up after 30 s: the test fails
        with session_scope(conv.engine) as s:
            broadcasts.cancel(s, 1, conv.clock.now())

    watcher = threading.Thread(target=officer_cancels_once_told)
    watcher.start()
    sent = cli("broadcast", "send", "1", "--as", "lan", at=DAY)
    watcher.join()
    assert "nothing sent yet. Is `sxsh-bot run` or `sxsh-bot worker` running?" in sent.output
    assert "#1: cancelled" in sent.output


def test_the_preview_of_a_photo_sent_in_chat_says_where_it_goes(conv, cli, clock):
    with session_scope(conv.engine) as s:
        broadcasts.create(
            s, "Ảnh hội thảo", {"all": True}, "telegram:42", clock.now(),
            attachment="telegram-file:AgACAgUAAxk", attachment_kind="photo",
        )  # fmt: skip
    shown = cli("broadcast", "preview", "1")
    assert shown.exit_code == 0, shown.output
    assert "[photo sent in the telegram chat; telegram only]" in shown.output
