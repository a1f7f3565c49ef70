"""What every `sxsh-bot` command group shares: one clear line instead of a traceback, and the
settings read once per command (bot/cli.py and the cli_* groups import it; it imports none of
them)."""

from __future__ import annotations

from contextlib import contextmanager

import typer
from sqlalchemy.exc import OperationalError

from bot.settings import Settings, SettingsError, load_settings
from content.texts import ContentError


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
