"""What every `sxsh-bot` command group shares: one clear line instead of a traceback, the
settings read once per command, a migrated database session, and dates as officers type them.
The command modules import this one; it imports none of them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import typer
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from bot.exports.files import CannotWrite, unwritable
from bot.settings import Settings, SettingsError, load_settings
from content.texts import ContentError

SINCE_HELP = "Only from this day on (YYYY-MM-DD or dd/mm/yyyy, local time)."
DAY_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


def fail(message: str, code: int = 2) -> None:
    """Print `sxsh-bot: message` on stderr and exit with `code` (2: wrong use, 1: refused)."""
    typer.echo(f"sxsh-bot: {message}", err=True)
    raise typer.Exit(code)


def xlsx_output(path: Path, option: str = "-o") -> None:
    """Refuse (exit 2, nothing written) an output file not named .xlsx: an Excel workbook
    saved as e.pdf opens nowhere."""
    if path.suffix.lower() != ".xlsx":
        fail(f"{option} {path.name}: the export is an Excel workbook: name the file .xlsx")
    if (problem := unwritable(path)) is not None:  # said before any work, nothing written
        fail(problem)


@contextmanager
def friendly_errors() -> Iterator[None]:
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
    except CannotWrite as exc:
        fail(f"cannot write {exc.filename}: {exc.strerror}")
    except Exception as exc:
        if type(exc).__name__ != "CommandError":  # alembic's, imported only when migrating
            raise
        fail(revision_problem(exc))


def revision_problem(exc: Exception, asked: str | None = None) -> str:
    """alembic's CommandError as one line. A revision the code does not know that is not the
    one asked for is the database's own: a newer version of the bot migrated it (a code
    rollback), and every process stopped with alembic's traceback."""
    first = str(exc).splitlines()[0]
    found = re.search(r"identified by '([^']+)'", first)
    if found and found.group(1) != asked:
        return (
            f"the database is at revision {found.group(1)}, which this version of the bot does "
            "not know: a newer version migrated it; run that version, or restore a backup "
            "made before the upgrade"
        )
    return f"revision {asked!r}: {first} (see `sxsh-bot db current`)"


def settings() -> Settings:
    with friendly_errors():
        return load_settings()


@contextmanager
def open_session(s: Settings | None = None, *, commit: bool = True) -> Iterator[Session]:
    """A session on the migrated database of the settings `s` (read now when not given), in one
    transaction committed at the end when `commit` (rolled back on an error); the engine is
    disposed after. Database and configuration errors become one line (friendly_errors)."""
    from storage import migrate
    from storage.db import make_engine, session_scope

    s = s or settings()
    with friendly_errors():
        migrate.upgrade(s.database_url)
        engine = make_engine(s.database_url)
        try:
            if commit:
                with session_scope(engine) as session:
                    yield session
            else:
                with Session(engine) as session:
                    yield session
        finally:
            engine.dispose()


def parse_day(value: str | None, s: Settings, option: str = "--since") -> datetime | None:
    """The start of the day an officer typed (YYYY-MM-DD or dd/mm/yyyy) in the configured time
    zone, or None when not given; exits with one line when it is not a date."""
    if value is None:
        return None
    for fmt in DAY_FORMATS:
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=s.tz)
        except ValueError:
            continue
    fail(f"{option} {value!r}: write a date as YYYY-MM-DD or dd/mm/yyyy")
    return None


def now(s: Settings) -> datetime:
    """The moment, by the process's clock (SXSH_CLOCK_START when set, else the system's)."""
    from handlers.clock import clock_starting

    return clock_starting(s.clock_start).now()


def texts(s: Settings):  # noqa: ANN201 - content.texts.Texts, imported late (start-up time)
    """The texts of the configured content folder."""
    from content.texts import Texts

    with friendly_errors():
        return Texts.load(s.content_dir / "texts")


def locale(s: Settings, lang: str | None = None):  # noqa: ANN201 - content.locale.Locale
    """Dates and numbers as officers read them: `lang` (default the settings' language) in the
    configured time zone."""
    from content.locale import Locale

    return Locale(lang or s.default_language, s.tz, texts(s))
