"""The terminal's own lines (its greeting and goodbye) are in the person's language (new-user
tester: after "English" the chat still said "Tạm biệt!", and greeted an English speaker in
Vietnamese the next time)."""

from __future__ import annotations

from tests.test_cli import run


def test_the_terminal_says_goodbye_and_hello_in_the_language_chosen(tmp_path):
    env = {"SXSH_DATABASE_URL": f"sqlite:///{tmp_path / 'chat.db'}"}
    first = run(["chat", "--user", "en1"], env, "English\n", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("Trò chuyện với bot trong terminal")  # new: the default
    assert "Switched to English." in first.stdout
    assert first.stdout.rstrip().endswith("Goodbye!")
    second = run(["chat", "--user", "en1"], env, "", cwd=tmp_path)
    assert second.stdout.startswith("Chat with the bot in the terminal")
    assert "Tạm biệt" not in second.stdout
