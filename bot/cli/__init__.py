"""The `sxsh-bot` command line (console script `bot.cli:app`): one module per command group,
registered here. The modules share bot/cli/common.py and never import this package."""

from __future__ import annotations

import inspect
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated

import typer

from bot.cli import ask, maintenance, questions, reports, run, zalo
from bot.cli.broadcast import broadcast_app
from bot.cli.enterprise import enterprise_app
from bot.cli.events import events_app
from bot.cli.officers import audit, officers_app
from bot.cli.privacy import privacy_app

app = typer.Typer(
    # Typer's own tracebacks print local variables (a token among them) past the log redaction.
    pretty_exceptions_enable=False,
    help="SXSH outreach bot of Sở Công Thương Cần Thơ: run it, chat with it, manage its data.",
    no_args_is_help=True,
    add_completion=False,
)


def _version(value: bool) -> None:
    """--version: the installed package's version (its metadata, from pyproject.toml)."""
    if not value:
        return
    try:
        number = version("sxsh-bot")
    except PackageNotFoundError:  # run from a source tree that was never installed
        number = "unknown (not installed)"
    typer.echo(f"sxsh-bot {number}")
    raise typer.Exit()


@app.callback()
def _main(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", help="Show the version and exit.", callback=_version, is_eager=True
        ),
    ] = False,
) -> None:
    pass


app.command()(run.run)
app.command()(run.chat)
app.add_typer(maintenance.db_app, name="db")
app.add_typer(maintenance.content_app, name="content")
app.command()(ask.ask)
app.command()(questions.reply)
app.command()(questions.questions)
app.command()(run.worker)
app.command("outbox")(questions.outbox_status)
app.add_typer(reports.export_app, name="export")
app.add_typer(enterprise_app, name="enterprise")
app.add_typer(reports.report_app, name="report")
app.add_typer(events_app, name="events")
app.add_typer(officers_app, name="officers")
app.command("audit")(audit)
app.add_typer(privacy_app, name="privacy")
app.add_typer(broadcast_app, name="broadcast")
app.command("serve")(zalo.serve)
app.add_typer(zalo.zalo_app, name="zalo")


def _one_line_summaries(group: typer.Typer) -> None:
    """A command list shows each command's first paragraph as it is written, line breaks and
    all (typer's rich mode keeps them): give every command that paragraph on one line, so the
    summary reads as a sentence on its row whatever the terminal's width."""
    for info in group.registered_commands:
        doc = info.help or inspect.getdoc(info.callback) or ""
        if info.short_help is None and doc:
            info.short_help = " ".join(doc.split("\n\n")[0].split())
    for sub in group.registered_groups:
        if sub.typer_instance is not None:
            _one_line_summaries(sub.typer_instance)


_one_line_summaries(app)
