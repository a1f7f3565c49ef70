"""`sxsh-bot ask` answers from content alone (no database), one question or one per stdin
line; `sxsh-bot questions` shows officers what people asked."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from bot.cli import app
from tests.chat import Person

runner = CliRunner()


def test_ask_json_confident_answer(tmp_path, monkeypatch):
    # No database is needed: point it somewhere that does not exist and must not be created.
    db = tmp_path / "nowhere" / "bot.db"
    monkeypatch.setenv("SXSH_DATABASE_URL", f"sqlite:///{db}")
    result = runner.invoke(app, ["ask", "sxsh la gi", "--json"])
    assert result.exit_code == 0, result.output
    obj = json.loads(result.stdout)
    assert set(obj) == {"topic", "score", "answer", "alternatives"}
    assert obj["topic"] == "sxsh.definition"
    assert obj["score"] > 0.5
    assert obj["answer"].startswith("Sản xuất sạch hơn")
    assert "Nguồn:" in obj["answer"]
    assert all(isinstance(a, str) for a in obj["alternatives"])
    assert not db.exists()


def test_ask_json_not_sure_has_null_topic():
    result = runner.invoke(app, ["ask", "giấy phép biểu diễn văn nghệ ở đâu cấp", "--json"])
    obj = json.loads(result.stdout)
    assert obj["topic"] is None
    assert obj["score"] < 0.5
    assert obj["answer"].startswith("Bot chưa có câu trả lời")
    assert 1 <= len(obj["alternatives"]) <= 3


def test_ask_english_and_lang_option():
    result = runner.invoke(app, ["ask", "What is cleaner production?", "--json"])
    assert json.loads(result.stdout)["answer"].startswith("Cleaner production")
    # --lang is the asker's language: used for the bot's own words when the question's
    # language cannot be told.
    result = runner.invoke(app, ["ask", "giá vàng", "--lang", "en", "--json"])
    assert json.loads(result.stdout)["topic"] is None


def test_ask_reads_one_question_per_line_from_stdin():
    result = runner.invoke(
        app, ["ask", "--json"], input="sxsh la gi\n\nWhat is an eco-industrial park?\ngia vang\n"
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["topic"] for o in lines] == ["sxsh.definition", "sxsh.eco_ip", None]


def test_ask_plain_text_shows_answer_and_buttons():
    result = runner.invoke(app, ["ask", "tiết kiệm điện trong nhà máy thế nào"])
    assert result.exit_code == 0
    assert "[topic: sxsh.energy;" in result.stdout
    assert "[📖 Xem thêm]" in result.stdout
    assert "[☰ Menu chính]" in result.stdout


def test_ask_rejects_a_bad_language():
    result = runner.invoke(app, ["ask", "sxsh", "--lang", "fr"])
    assert result.exit_code == 2
    assert "--lang must be vi or en" in result.output


def test_questions_lists_the_unanswered(conversation, settings, monkeypatch):
    Person(conversation, user_id="a").says("sxsh la gi")
    Person(conversation, user_id="b").says("giá vàng hôm nay bao nhiêu")
    monkeypatch.setenv("SXSH_DATABASE_URL", settings.database_url)
    result = runner.invoke(app, ["questions", "--unanswered"])
    assert result.exit_code == 0, result.output
    assert "giá vàng hôm nay bao nhiêu" in result.stdout
    assert "sxsh la gi" not in result.stdout
    result = runner.invoke(app, ["questions"])
    assert "sxsh la gi" in result.stdout and "sxsh.definition" in result.stdout
    result = runner.invoke(app, ["questions", "--since", "2099-01-01"])
    assert "(0)" in result.stdout
    result = runner.invoke(app, ["questions", "--since", "yesterday"])
    assert result.exit_code == 2
