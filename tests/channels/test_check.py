"""What `sxsh-bot content check` reports for the channels: content that a channel would have to
cut or could not send at all, with file, entry and problem."""

from __future__ import annotations

from typer.testing import CliRunner

from bot.channels.check import folder_problems, payload_problems, reply_problems
from bot.cli import app
from handlers.messages import Button, Reply
from tests.qa_fixtures import CONTENT, copy_content, edit_entry


def test_real_content_fits_every_channel():
    assert folder_problems(CONTENT) == []


def test_a_paragraph_longer_than_a_channel_allows_is_reported(tmp_path, monkeypatch):
    directory = copy_content(tmp_path)

    def long_paragraph(e):
        e["vi"]["details"] = "Một đoạn rất dài. " * 250  # 4,499 characters, one paragraph

    label = edit_entry(directory, "sxsh.definition", long_paragraph)
    expected = (
        f"{label}: sxsh.definition: vi: details: a paragraph is 4499 characters, longer than "
        "4096 (telegram's limit); split it with a blank line"
    )
    assert folder_problems(directory) == [expected]
    monkeypatch.setenv("SXSH_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    result = CliRunner().invoke(app, ["content", "check", "--directory", str(directory)])
    assert result.exit_code == 1 and expected in result.output


def test_a_payload_a_channel_cannot_carry_is_named():
    assert payload_problems("qa:t:sxsh.definition:en") == []
    long_payload = "as:c:" + "q" * 59 + ":0"
    assert payload_problems(long_payload) == [
        "telegram: a button payload is 66 bytes (allowed 1-64)"
    ]
    reply = Reply(text="Câu 1", buttons=[Button("Có", long_payload)])
    assert reply_problems(reply) == ["telegram: a button payload is 66 bytes (allowed 1-64)"]
    assert reply_problems(Reply(buttons=[Button("Có", "as:yes")])) == [
        "buttons with no text: Telegram cannot send them"
    ]
