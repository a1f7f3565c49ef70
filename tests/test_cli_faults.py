"""Faults a new user met on the command line (tester's faults 12 and 13): a wrong value is one
clear English line and exit 2, changes nothing, and never a traceback; the terminal speaks
English while the chat stays in the person's language."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from bot.app import build_conversation
from bot.cli import app
from storage import contacts
from storage.broadcasts_models import Broadcast
from storage.db import session_scope
from storage.models import Enterprise
from tests.conftest import make_settings
from tests.test_cli import run

DAY = "2026-11-28T09:00:00+07:00"
NIGHT = "2026-11-28T22:30:00+07:00"


@pytest.fixture
def conv(sqlite_url, clock):
    """Two enterprises as the questionnaire stores them: seafood in Trà Nóc I, and rice."""
    conversation = build_conversation(make_settings(sqlite_url), clock=clock)
    with session_scope(conversation.engine) as s:
        for i, (sector, park) in enumerate((("seafood", "tra_noc_1"), ("rice_food", None))):
            c, _ = contacts.touch(s, "telegram", str(7000 + i), clock.now())
            e = Enterprise(name=f"Công ty {i}", sector=sector, industrial_park=park,
                           created_at=clock.now(), updated_at=clock.now())  # fmt: skip
            s.add(e)
            s.flush()
            c.enterprise_id = e.id
    yield conversation
    conversation.engine.dispose()


@pytest.fixture
def cli(sqlite_url, monkeypatch):
    monkeypatch.setenv("SXSH_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("COLUMNS", "400")  # the help on one line per option
    runner = CliRunner()

    def invoke(*args: str, at: str = DAY):
        monkeypatch.setenv("SXSH_CLOCK_START", at)
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


def drafts(conv) -> list[Broadcast]:
    with session_scope(conv.engine) as s:
        return list(s.exec(select(Broadcast)))


@pytest.mark.parametrize(
    ("audience", "named", "valid"),
    [
        ("sector=xyz", "no sector 'xyz'", "seafood, rice_food"),
        ('park="Trà Nóc"', "no park 'Trà Nóc'", "tra_noc_1, tra_noc_2"),
        ("event=NOPE-1", "no event 'NOPE-1'", "(none yet)"),
        ("level=huge", "no level 'huge'", "low, medium, high"),
        ("topic=nothing", "no topic 'nothing'", "valid: "),
        ("channel=fax", "no channel 'fax'", "telegram, zalo_oa"),
        ("language=fr", "no language 'fr'", "vi, en"),
        ("ward=Atlantis", "no ward 'Atlantis'", "Phường "),
    ],
)
def test_an_audience_naming_nothing_is_refused_with_the_valid_values(
    conv, cli, audience, named, valid
):
    r = cli("broadcast", "create", "Hội thảo SXSH", "--audience", audience, "--as", "lan")
    assert r.exit_code == 2, r.output
    assert "sxsh-bot: --audience: " + named in r.output and valid in r.output
    assert drafts(conv) == []  # nothing made


def test_the_help_example_reaches_the_enterprise_it_describes(conv, cli):
    shown = cli("broadcast", "create", "--help").output
    example = re.search(r"--audience '([^']+)'", shown)
    assert example, shown
    r = cli("broadcast", "create", "Hội thảo SXSH", "--audience", example.group(1), "--as", "lan")
    assert r.exit_code == 0, r.output
    assert "Draft #1: 1 recipient\n" in r.output  # Công ty 0: seafood in Trà Nóc I
    assert "Bản nháp" not in r.output  # the terminal speaks English (fault 13)


def test_a_wrong_revision_is_one_line(tmp_path):
    url = {"SXSH_DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}"}
    for args in (["downgrade", "nosuchrev"], ["upgrade", "--revision", "nosuchrev"]):
        r = run(["db", *args], url, cwd=tmp_path)
        assert r.returncode == 2, r.stderr
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and "nosuchrev" in lines[0] and "Traceback" not in r.stderr, lines


@pytest.mark.parametrize(
    "args",
    [["audit", "--limit", "-5"], ["audit", "--limit", "0"], ["questions", "--limit", "0"],
     ["outbox", "--limit", "-1"], ["broadcast", "status", "0"], ["enterprise", "confirm", "0"]],
)  # fmt: skip
def test_counts_below_one_are_refused(cli, args):
    r = cli(*args)
    assert r.exit_code == 2, r.output
    assert "Invalid value" in r.output


def test_the_terminal_speaks_english_from_draft_to_send(conv, cli):
    made = cli("broadcast", "create", "Hội thảo SXSH", "--as", "lan")
    assert "Draft #1: 2 recipients" in made.output and "Bản nháp" not in made.output
    night = cli("broadcast", "send", "1", "--no-follow", "--as", "lan", at=NIGHT)
    assert night.exit_code == 1
    assert night.output.strip() == (
        "sxsh-bot: #1: it is rest time (21:00–07:00); add --night to send it now anyway"
    )
    twin = cli("broadcast", "create", "Hội thảo SXSH", "--as", "lan")
    assert twin.exit_code == 0
    assert cli("broadcast", "send", "1", "--no-follow", "--night", "--as", "lan").exit_code == 0
    again = cli("broadcast", "send", "2", "--no-follow", "--as", "lan")
    assert again.exit_code == 1 and "broadcast #1 with the same text" in again.output
    assert "add --force" in again.output and "Vẫn gửi" not in again.output


def test_reply_with_no_number_says_how_in_english(cli):
    r = cli("reply", "abc", "x")
    assert r.exit_code == 2
    assert (
        r.output.strip()
        == "sxsh-bot: 'abc' is not a ticket number; e.g. sxsh-bot reply 12 \"the answer\""
    )


def test_questions_show_the_ticket_number_reply_takes(conv, cli):
    # An operator read id 2 in `questions` and ran `reply 2`: "no ticket #2 (see `sxsh-bot
    # questions`)", a table without ticket numbers. The row now names its ticket.
    from handlers.messages import Inbound

    for text in ("tiet kiem dien the nao", "/officer", "Tôi muốn hỏi về kiểm toán năng lượng"):
        conv.handle(Inbound(channel="telegram", user_id="7000", text=text))
    listed = cli("questions")
    [row] = [line for line in listed.output.splitlines() if "kiểm toán" in line]
    assert row.split("│")[1].strip() == "2" and "ticket #1" in row
    wrong = cli("reply", "2", "Đã xem", "--as", "lan")
    assert wrong.exit_code == 1
    assert "no ticket #2 (`sxsh-bot questions` shows each ticket's number)" in wrong.output
    assert cli("reply", "1", "Đã xem", "--as", "lan").exit_code == 0
