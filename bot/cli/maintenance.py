"""`sxsh-bot db ...` (migrations) and `sxsh-bot content ...` (check, reload)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import fail, friendly_errors, now, open_session, revision_problem, settings
from bot.cli.officers import cli_actor

db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
content_app = typer.Typer(help="Curated content: check and reload.", no_args_is_help=True)


@contextmanager
def _known_revision(revision: str) -> Iterator[None]:
    """A revision alembic does not know (or cannot reach in that direction) is one line, exit 2."""
    from alembic.util import CommandError

    try:
        yield
    except CommandError as exc:
        fail(revision_problem(exc, revision))


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[
        str, typer.Option(help="Stop at this revision (`sxsh-bot db current` shows where it is).")
    ] = "head",
) -> None:
    """Apply migrations up to REVISION (default head; the bot also does this when it starts)."""
    from storage import migrate

    s = settings()
    with friendly_errors(), _known_revision(revision):
        migrate.upgrade(s.database_url, revision)
        typer.echo(f"database at revision {migrate.current(s.database_url)}")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[
        str,
        typer.Argument(
            help="The revision to go back to, e.g. 0015_zalo_routes_uploads; base undoes all."
        ),
    ],
) -> None:
    """Undo migrations down to REVISION ("base" undoes all)."""
    from storage import migrate

    s = settings()
    with friendly_errors(), _known_revision(revision):
        migrate.downgrade(s.database_url, revision)
        typer.echo(f"database at revision {migrate.current(s.database_url)}")


@db_app.command("current")
def db_current() -> None:
    """Print the database's migration revision."""
    from storage import migrate

    s = settings()
    with friendly_errors():
        typer.echo(migrate.current(s.database_url) or "empty (no migrations applied)")


def _problems(folder: Path) -> list[str]:
    from bot.channels.check import folder_problems
    from content.store import check

    return check(folder) or folder_problems(folder)


@content_app.command("check")
def content_check(
    directory: Annotated[Path | None, typer.Option(help="Content folder to check.")] = None,
) -> None:
    """Validate every content file; list each error with file, entry and problem."""
    s = settings()
    folder = directory or s.content_dir
    errors = _problems(folder)
    if errors:
        typer.echo(f"{len(errors)} problem(s) in content:", err=True)
        for line in errors:
            typer.echo(f"  - {line}", err=True)
        raise typer.Exit(1)
    from content import knowledge

    # Not errors: the bot leaves these out of its answers until officers fill them in.
    todo = knowledge.officer_todo(knowledge.load(folder, []))
    if todo:
        typer.echo(f"{len(todo)} warning(s): officers still have to fill in:", err=True)
        for line in todo:
            typer.echo(f"  - {line}", err=True)
    typer.echo("content OK")


@content_app.command("reload")
def content_reload() -> None:
    """Validate content, then make every running bot process load it (no restart)."""
    from storage import app_state

    s = settings()
    errors = _problems(s.content_dir)
    if errors:
        typer.echo("content is invalid, nothing reloaded:", err=True)
        for line in errors:
            typer.echo(f"  - {line}", err=True)
        raise typer.Exit(1)
    from storage import audit

    with open_session(s) as session:
        generation = app_state.bump(session, app_state.CONTENT_GENERATION)
        audit.record(session, cli_actor(), "content.reload", now(s), "content", generation)
    typer.echo(f"content generation {generation}: running bots reload on their next message")
