"""The `sxsh-bot` command line."""

from __future__ import annotations

import getpass
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import OperationalError

from bot.settings import Settings, SettingsError, load_settings
from content.texts import ContentError

app = typer.Typer(
    help="SXSH outreach bot of Sở Công Thương Cần Thơ: run it, chat with it, manage its data.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
content_app = typer.Typer(help="Curated content: check and reload.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(content_app, name="content")


def fail(message: str, code: int = 2) -> None:
    typer.echo(f"sxsh-bot: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def friendly_errors():
    """Known failures become one clear line, not a traceback."""
    try:
        yield
    except SettingsError as exc:
        fail(f"configuration error: {exc}")
    except ContentError as exc:
        typer.echo("sxsh-bot: content is invalid:", err=True)
        for line in exc.errors:
            typer.echo(f"  - {line}", err=True)
        raise typer.Exit(1) from None
    except OperationalError as exc:
        fail(f"cannot use the database (SXSH_DATABASE_URL): {str(exc.orig).splitlines()[0]}")


def settings() -> Settings:
    with friendly_errors():
        return load_settings()


@app.command()
def run() -> None:
    """Run the bot: Telegram when SXSH_TELEGRAM_TOKEN is set, otherwise the terminal chat."""
    s = settings()
    if s.telegram_token is None:
        typer.echo("SXSH_TELEGRAM_TOKEN is not set: starting the terminal chat.", err=True)
        chat(user=None)
        return
    from bot.app import build_conversation, setup_logging
    from bot.channels import telegram

    setup_logging(s)
    with friendly_errors():
        conversation = build_conversation(s)
    telegram.run(conversation, s)


@app.command()
def chat(
    user: Annotated[
        str | None, typer.Option(help="Your id in the terminal; the same id keeps your data.")
    ] = None,
) -> None:
    """Talk to the bot in this terminal (type a number to press a button, /quit to leave)."""
    from bot.app import build_conversation
    from bot.channels import console

    s = settings()
    with friendly_errors():
        conversation = build_conversation(s)
    console.run(
        conversation,
        user or getpass.getuser(),
        sys.stdin,
        sys.stdout,
        echo=not sys.stdin.isatty(),
    )


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations (the bot also does this when it starts)."""
    from storage import migrate

    s = settings()
    with friendly_errors():
        migrate.upgrade(s.database_url, revision)
        typer.echo(f"database at revision {migrate.current(s.database_url)}")


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Undo migrations down to REVISION ("base" undoes all)."""
    from storage import migrate

    s = settings()
    with friendly_errors():
        migrate.downgrade(s.database_url, revision)
        typer.echo(f"database at revision {migrate.current(s.database_url)}")


@db_app.command("current")
def db_current() -> None:
    """Print the database's migration revision."""
    from storage import migrate

    s = settings()
    with friendly_errors():
        typer.echo(migrate.current(s.database_url) or "empty (no migrations applied)")


@content_app.command("check")
def content_check(
    directory: Annotated[Path | None, typer.Option(help="Content folder to check.")] = None,
) -> None:
    """Validate every content file; list each error with file, entry and problem."""
    from content.store import check

    s = settings()
    errors = check(directory or s.content_dir)
    if errors:
        typer.echo(f"{len(errors)} problem(s) in content:", err=True)
        for line in errors:
            typer.echo(f"  - {line}", err=True)
        raise typer.Exit(1)
    typer.echo("content OK")


@content_app.command("reload")
def content_reload() -> None:
    """Validate content, then make every running bot process load it (no restart)."""
    from content.store import check
    from storage import app_state, migrate
    from storage.db import make_engine, session_scope

    s = settings()
    errors = check(s.content_dir)
    if errors:
        typer.echo("content is invalid, nothing reloaded:", err=True)
        for line in errors:
            typer.echo(f"  - {line}", err=True)
        raise typer.Exit(1)
    with friendly_errors():
        migrate.upgrade(s.database_url)
        with session_scope(make_engine(s.database_url)) as session:
            generation = app_state.bump(session, app_state.CONTENT_GENERATION)
    typer.echo(f"content generation {generation}: running bots reload on their next message")


if __name__ == "__main__":
    app()
