"""`sxsh-bot --help` and every group's `--help` as an officer reads them: each command's summary
in the list is its whole first sentence on its own row. New-user tester: the docstrings' line
breaks were kept in the lists ("…(audited). If it is" / "not delivered, …"), cutting summaries
mid-sentence however wide the terminal."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from bot.cli import app


def groups(command, path: tuple[str, ...] = ()):  # noqa: ANN001, ANN201 - typer's own click
    """(path, group) for the root and every sub-group."""
    yield path, command
    for name, sub in sorted(command.commands.items()):
        if hasattr(sub, "commands"):
            yield from groups(sub, (*path, name))


def summary(command) -> str:  # noqa: ANN001
    text = command.short_help or command.help or ""
    return " ".join(text.split("\n\n")[0].split())


def test_every_command_list_shows_each_summary_on_one_row():
    runner = CliRunner()
    root = typer.main.get_command(app)
    seen = 0
    for path, group in groups(root):
        shown = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "400"}).output
        rows = [" ".join(line.strip("│ ").split()) for line in shown.splitlines()]
        for name, command in group.commands.items():
            want = summary(command)
            assert any(row == f"{name} {want}" for row in rows), (path, name, want)
            seen += 1
    assert seen > 40  # every group was listed


def test_reply_names_its_argument_and_what_force_overrides():
    shown = CliRunner().invoke(app, ["reply", "--help"], env={"COLUMNS": "200"}).output
    assert "question_id" not in shown  # it is a ticket's number (README: reply NUMBER)
    assert "NUMBER" in shown
    assert "another officer holds the ticket" in " ".join(shown.split())
