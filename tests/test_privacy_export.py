"""`sxsh-bot privacy export CONTACT` (issue 13): an officer answers a person's request for their
data with one file holding every row about them, readable by its owner only; the request is in
the audit log; bad input is one line and writes nothing."""

from __future__ import annotations

import json
import stat

from bot.app import build_conversation
from storage.tickets_models import AuditEntry
from tests.chat import Person, rows
from tests.conftest import make_settings
from tests.events.test_import import cli  # noqa: F401  (the CLI runner fixture)


def test_export_holds_what_the_person_said_and_is_audited(cli, sqlite_url, clock, tmp_path):  # noqa: F811
    conv = build_conversation(make_settings(sqlite_url, officer_ids=""), clock=clock)
    lan = Person(conv, user_id="lan", name="Nguyễn Thị Lan")
    lan.says("/start")
    lan.says("Cho tôi gặp cán bộ về lò hơi xưởng tôi")
    other = Person(conv, user_id="binh")
    other.says("Xưởng của Bình hao hụt nguyên liệu")
    conv.engine.dispose()

    out = tmp_path / "lan.json"
    done = cli("privacy", "export", "console:lan", "-o", str(out), "--as", "Hùng")
    assert done.exit_code == 0, done.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["contacts"][0]["platform_id"] == "lan"
    text = json.dumps(data, ensure_ascii=False)
    assert "lò hơi xưởng tôi" in text  # what she wrote, wherever it is kept
    assert "Bình" not in text and "binh" not in text  # nobody else's data
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    audit = [(e.actor, e.action, e.target_kind) for e in rows(conv, AuditEntry)]
    assert ("cli:Hùng", "privacy.export", "contact") in audit


def test_the_ticket_conversation_is_exported_and_deletedata_leaves_no_text_in_the_audit(
    cli,  # noqa: F811
    sqlite_url,
    clock,
    tmp_path,
):
    """A tester found the officer's answer and the person's follow-up (with a phone number)
    missing from the export, and the answer's text still in the audit log after /deletedata."""
    conv = build_conversation(make_settings(sqlite_url, officer_ids="console:officer"), clock=clock)
    lan = Person(conv, user_id="lan")
    lan.says("/officer")
    lan.says("Cho tôi hỏi về hỗ trợ kiểm toán năng lượng")
    lan.says("Số của tôi là 0912345678")
    officer = Person(conv, user_id="officer")
    officer.says("/reply 1 Chị gọi số 0292 3821 xxx gặp anh Tâm nhé")
    assert "Đã gửi" in officer.text or "#1" in officer.text
    conv.engine.dispose()

    out = tmp_path / "lan.json"
    assert cli("privacy", "export", "console:lan", "-o", str(out)).exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert "ticket_messages" in text
    messages = json.loads(text)["ticket_messages"]
    assert len({m["id"] for m in messages}) == len(messages)  # each row once
    # The officer's own export holds the answer they wrote (their id is on it), once.
    mine = tmp_path / "officer.json"
    assert cli("privacy", "export", "console:officer", "-o", str(mine)).exit_code == 0
    written = json.loads(mine.read_text(encoding="utf-8"))["ticket_messages"]
    assert [m["text"] for m in written if "anh Tâm" in m["text"]] == [
        "Chị gọi số 0292 3821 xxx gặp anh Tâm nhé"
    ]
    assert "0912345678" in text and "gặp anh Tâm" in text

    lan.says("/deletedata")
    lan.presses("Có, xóa hết")
    details = " ".join(str(e.detail) for e in rows(conv, AuditEntry))
    assert "anh Tâm" not in details and "0912345678" not in details


def test_bad_requests_are_one_line_and_write_nothing(cli, sqlite_url, clock, tmp_path):  # noqa: F811
    conv = build_conversation(make_settings(sqlite_url), clock=clock)
    Person(conv, user_id="lan").says("/start")
    conv.engine.dispose()
    unknown = cli("privacy", "export", "console:nobody", "-o", str(tmp_path / "a.json"))
    assert unknown.exit_code == 1
    assert "console:nobody: no such contact" in unknown.output
    # An operator typed the Telegram id bare (as SXSH_OFFICER_IDS takes it) and read "no such
    # contact": a bare number is a contact number, and the answer says how to give the id.
    bare = cli("privacy", "export", "5020", "-o", str(tmp_path / "c.json"))
    assert bare.exit_code == 1
    assert "5020: no contact #5020; a Telegram id is telegram:5020" in bare.output
    nonsense = cli("privacy", "export", "lan", "-o", str(tmp_path / "b.json"))
    assert nonsense.exit_code == 2 and "give CHANNEL:ID" in nonsense.output
    folder = cli("privacy", "export", "console:lan", "-o", str(tmp_path))
    assert folder.exit_code == 2 and "is a folder" in folder.output
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".json") == []
    assert not any(e.action == "privacy.export" for e in rows(conv, AuditEntry))
