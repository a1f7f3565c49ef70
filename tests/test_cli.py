"""The command line as an officer uses it: clear one-line errors, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent / "sxsh-bot"


def env_without_sxsh() -> dict[str, str]:
    """This process's environment minus a developer's SXSH_ settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith("SXSH_")}


def run(args: list[str], env: dict[str, str] | None = None, stdin: str = "", cwd=None):
    full_env = env_without_sxsh()
    full_env.update(env or {})
    return subprocess.run(
        [str(BIN), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=120,
    )


def test_bad_database_url_is_one_line(tmp_path):
    r = run(["db", "upgrade"], {"SXSH_DATABASE_URL": "not a url"}, cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        "sxsh-bot: configuration error: SXSH_DATABASE_URL: not a database URL (ArgumentError)"
    ]


def test_unreachable_database_is_one_line(tmp_path):
    r = run(
        ["db", "upgrade"],
        {"SXSH_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"},
        cwd=tmp_path,
    )
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "SXSH_DATABASE_URL" in lines[0], r.stderr


def test_malformed_token_is_one_line_and_not_echoed(tmp_path):
    r = run(["run"], {"SXSH_TELEGRAM_TOKEN": "12345:secret-but-short"}, cwd=tmp_path)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1
    assert "SXSH_TELEGRAM_TOKEN" in r.stderr and "secret-but-short" not in r.stderr


def test_chat_from_a_pipe_keeps_the_same_contact(tmp_path):
    db = f"sqlite:///{tmp_path / 'chat.db'}"
    first = run(
        ["chat", "--user", "demo"], {"SXSH_DATABASE_URL": db}, "/start\n6\n2\n", cwd=tmp_path
    )
    assert first.returncode == 0, first.stderr
    assert "Xin chào" in first.stdout and "[6] 🌐 Ngôn ngữ / Language" in first.stdout
    assert "Switched to English." in first.stdout
    second = run(
        ["chat", "--user", "demo"], {"SXSH_DATABASE_URL": db}, "/help\n/stop\n", cwd=tmp_path
    )
    assert "How to use the bot" in second.stdout  # English remembered across runs
    assert "no more announcements" in second.stdout
    import sqlite3

    rows = (
        sqlite3.connect(tmp_path / "chat.db")
        .execute("select platform_id, language, status from contacts")
        .fetchall()
    )
    assert rows == [("demo", "en", "stopped")]


def test_run_without_token_starts_the_terminal_chat(tmp_path):
    r = run(
        ["run"], {"SXSH_DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}"}, "/start\n", cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr
    assert "terminal chat" in r.stderr and "Xin chào" in r.stdout


def test_db_commands(tmp_path):
    env = {"SXSH_DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}"}
    assert "empty" in run(["db", "current"], env, cwd=tmp_path).stdout
    up = run(["db", "upgrade"], env, cwd=tmp_path)
    assert up.returncode == 0 and "database at revision" in up.stdout
    down = run(["db", "downgrade", "base"], env, cwd=tmp_path)
    assert down.returncode == 0, down.stderr


def test_version_is_the_installed_packages(tmp_path):
    from importlib.metadata import version

    r = run(["--version"], cwd=tmp_path)  # no settings needed
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout == f"sxsh-bot {version('sxsh-bot')}\n"
