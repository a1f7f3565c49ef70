"""Roles and audit (issue 11): officers granted and removed on the command line take effect at
the next message; every officer action that exists today is in the audit log (who, what, when,
on what), and `sxsh-bot audit` lists it."""

from __future__ import annotations

import getpass

import pytest

from bot.app import build_conversation
from storage.tickets_models import AuditEntry, Officer
from tests.chat import Person, rows
from tests.conftest import make_settings
from tests.events.test_import import GOOD_YAML, cli  # noqa: F401  (the CLI runner fixture)
from tests.events.test_officer import create

ME = f"cli:{getpass.getuser()}"


@pytest.fixture
def plain(sqlite_url, clock):
    """A conversation on the same database whose settings grant nobody."""
    conv = build_conversation(make_settings(sqlite_url, officer_ids=""), clock=clock)
    yield conv
    conv.engine.dispose()


def test_officers_added_and_removed_on_the_command_line(cli, plain):  # noqa: F811
    mai = Person(plain, user_id="mai")
    mai.says("/inbox")
    assert "Bot chưa hiểu lệnh /inbox" in mai.text
    added = cli("officers", "add", "console:mai", "Trần Thị Mai", "--as", "Lan")
    assert added.exit_code == 0, added.output
    assert "Added console:mai (Trần Thị Mai, officer)" in added.output
    again = cli("officers", "add", "console:mai", "Trần Thị Mai", "--as", "Lan")
    assert again.exit_code == 0 and "Unchanged: console:mai" in again.output  # not audited
    mai.says("/inbox")
    assert mai.text == "Không có phiếu nào đang mở."
    listed = cli("officers", "list")
    assert "console:mai" in listed.output and "Trần Thị Mai" in listed.output
    assert cli("officers", "add", "tg:777", "X").exit_code == 2  # matches nobody: refused
    assert cli("officers", "add", "console:an", "An", "--role", "boss").exit_code == 2
    removed = cli("officers", "remove", "console:mai", "--as", "Lan")
    assert removed.exit_code == 0, removed.output
    mai.says("/inbox")
    assert "Bot chưa hiểu lệnh /inbox" in mai.text
    assert rows(plain, Officer) == []
    again = cli("officers", "remove", "console:mai")
    assert again.exit_code == 1 and "not in the officers table" in again.output
    entries = [(e.actor, e.action, e.target_id) for e in rows(plain, AuditEntry)]
    assert entries == [
        ("cli:Lan", "officer.add", "console:mai"),
        ("cli:Lan", "officer.remove", "console:mai"),
    ]
    shown = cli("audit")
    assert "officer.add" in shown.output and "officer.remove" in shown.output


def test_event_import_cancel_export_and_content_reload_are_audited(cli, plain, tmp_path):  # noqa: F811
    path = tmp_path / "events.yaml"
    path.write_text(GOOD_YAML, encoding="utf-8")
    assert cli("events", "import", str(path)).exit_code == 0
    assert cli("events", "cancel", "ws-2027-energy").exit_code == 0
    out = tmp_path / "reg.xlsx"
    assert cli("events", "export", "ws-2027-energy", "-o", str(out)).exit_code == 0
    assert cli("content", "reload").exit_code == 0
    entries = [(e.actor, e.action, e.target_kind, e.target_id) for e in rows(plain, AuditEntry)]
    assert entries == [
        (ME, "event.import", "event", "ws-2027-energy"),
        (ME, "event.import", "event", "deadline-khuyen-cong-2027"),
        (ME, "event.cancel", "event", "ws-2027-energy"),
        (ME, "export.event", "event", "ws-2027-energy"),
        (ME, "content.reload", "content", "1"),
    ]
    listed = cli("audit", "--since", "2000-01-01")
    assert listed.exit_code == 0 and "event.cancel" in listed.output
    assert cli("audit", "--since", "hôm qua").exit_code == 2  # one clear line, no traceback


def test_chat_reload_and_event_publishing_are_audited(conversation):
    officer = Person(conversation, user_id="officer")
    officer.says("/reload")
    create(officer)
    officer.presses("✅ Đăng")
    entries = [(e.actor, e.action, e.target_kind) for e in rows(conversation, AuditEntry)]
    assert entries == [
        ("console:officer", "content.reload", "content"),
        ("console:officer", "event.create", "event"),
    ]
