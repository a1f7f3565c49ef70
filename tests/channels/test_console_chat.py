"""The terminal chat as a person uses it: console.run() reading a pipe, on a real database."""

from __future__ import annotations

import io

from bot.channels import console
from storage.models import QuestionLog
from tests.chat import rows


def chat(conversation, lines: str, user: str = "lan", tmp_path=None) -> str:
    out = io.StringIO()
    console.run(conversation, user, io.StringIO(lines), out, files_dir=tmp_path or "files")
    return out.getvalue()


def test_a_line_over_the_limit_is_refused_and_reaches_nothing(conversation, tmp_path):
    shown = chat(conversation, "x" * 5000 + "\n", tmp_path=tmp_path)
    assert "5000 ký tự" in shown and "4096" in shown
    assert rows(conversation, QuestionLog) == []  # never asked as a question
