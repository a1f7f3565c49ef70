"""`sxsh-bot events ...`: officers import events from YAML, CSV or Excel files, list, show,
cancel them and export an event's registrations to Excel."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import fail, friendly_errors, now, open_session, settings, xlsx_output
from bot.cli.officers import cli_actor

events_app = typer.Typer(
    help="Events: import (YAML, CSV, XLSX), list, show, cancel, export.", no_args_is_help=True
)


@contextmanager
def _session():  # noqa: ANN202
    """Settings, events content and a migrated database in one transaction."""
    from content.events import load_events_content

    s = settings()
    with friendly_errors():
        content = load_events_content(s.content_dir)
    with open_session(s) as session:
        yield s, content, session


def _event(session, code: str):  # noqa: ANN001, ANN202
    from storage import events as store

    event = store.by_code(session, code)
    if event is None:
        fail(f"no event with code {code!r} (see `sxsh-bot events list`)", code=1)
    return event


@events_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A .yaml, .csv or .xlsx file, one event a row.")],
) -> None:
    """Create or change events from FILE, matched by their `code`; nothing is written when
    any row is wrong (each problem names its line). Importing the same file again changes
    nothing; a changed time or place tells the registrants and moves their reminders."""
    from handlers.events import service
    from handlers.events.importer import ImportError_, check_rows, read_rows, seat_problems
    from storage import audit

    with _session() as (s, content, session):
        try:
            audience = _audience_values(session, s)
            checked = check_rows(read_rows(file), content.events, s.tz, audience)
            if seats := seat_problems(session, checked):
                raise ImportError_(seats)
        except ImportError_ as exc:
            if len(exc.errors) == 1 and exc.errors[0].startswith(f"{file.name}: "):
                # The file itself (not a row) is wrong: one line says it.
                reason = exc.errors[0].removeprefix(f"{file.name}: ")
                typer.echo(f"{file.name}: nothing imported: {reason}", err=True)
                raise typer.Exit(1) from None
            typer.echo(f"{file.name}: nothing imported, {len(exc.errors)} problem(s):", err=True)
            for line in exc.errors:
                typer.echo(f"  - {line}", err=True)
            raise typer.Exit(1) from None
        moment = now(s)
        tally: dict[str, int] = {}
        for row in checked:
            event, what = service.save(
                session, row.fields, row.status, content.events, s.tz, moment
            )
            tally[what] = tally.get(what, 0) + 1
            audit.record(session, cli_actor(), "event.import", moment, "event", event.code, what)
    summary = ", ".join(f"{n} {what}" for what, n in sorted(tally.items()))
    typer.echo(f"{file.name}: {len(checked)} event(s): {summary}")


def _audience_values(session, s) -> dict[str, list[str]]:  # noqa: ANN001
    """What an event's sectors, parks, wards and levels may name: the questionnaire's choices,
    the known wards (and those on record), the result levels — as broadcast filters check."""
    from content.forms import load_questionnaire
    from content.store import questionnaire_path
    from handlers.broadcasts.audience_values import valid_values

    with friendly_errors():
        q = load_questionnaire(questionnaire_path(s.content_dir))
    keys = {"sectors": "sector", "parks": "park", "wards": "ward", "levels": "level"}
    return {k: valid_values(session, v, q, []) or [] for k, v in keys.items()}


@events_app.command("list")
def list_(
    status: Annotated[
        str | None, typer.Option(help="draft, published, changed, cancelled or past")
    ] = None,
) -> None:
    """Every event with its code, status, local start, seats taken and capacity."""
    from handlers.events import display
    from storage import events as store
    from storage.events_models import EventStatus

    valid = [v.value for v in EventStatus]
    if status is not None and status not in valid:
        fail(f"--status {status!r}: use one of {', '.join(valid)}")
    with _session() as (s, content, session):
        rows = store.all_events(session, status)
        if not rows:
            typer.echo("no events")
        for e in rows:
            when = display.when(content, e, s.tz, s.default_language)
            seats = f"{e.seats_taken}/{e.capacity if e.capacity is not None else '-'}"
            typer.echo(f"{e.code}\t{e.status}\tv{e.version}\t{when}\t{seats}\t{e.title_vi}")


@events_app.command("show")
def show(code: Annotated[str, typer.Argument(help="The event's code.")]) -> None:
    """The event as enterprises see it, then registrations and reminders by state."""
    from handlers.events import display, officer_view

    with _session() as (s, content, session):
        event = _event(session, code)
        lang = s.default_language  # the officers' language, as /eventinfo speaks it
        typer.echo(display.card(content, event, s.tz, lang, now(s)))
        typer.echo("")
        typer.echo(officer_view.info_text(content, session, event, s.tz, lang))


@events_app.command("cancel")
def cancel(code: Annotated[str, typer.Argument(help="The event's code.")]) -> None:
    """Cancel the event: registrants are told once, pending reminders are removed."""
    from handlers.events import service
    from storage import audit

    with _session() as (s, _content, session):
        event = _event(session, code)
        moment = now(s)
        if event.status == "cancelled":
            typer.echo(f"{code}: already cancelled; nobody is told again")
            return
        told = service.cancel(session, event, s.tz, moment)
        audit.record(session, cli_actor(), "event.cancel", moment, "event", code, f"{told} told")
    typer.echo(f"{code}: cancelled; {told} registrant(s) will be told")


@events_app.command("export")
def export(
    code: Annotated[str, typer.Argument(help="The event's code.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The .xlsx file to write.")],
) -> None:
    """The event's registrations to Excel: who, enterprise, sector, phone (only where the
    person consented), status, registered at (local time), attended."""
    xlsx_output(output)
    from bot.exports.xlsx import Sheet, save, workbook
    from handlers.events import officer_view
    from storage import audit

    with _session() as (s, content, session):
        event = _event(session, code)
        lang = s.default_language
        rows = officer_view.export_rows(session, event, s.tz, content, lang)
        headers = [
            content.texts.get(lang, f"events.export.{c}") for c in officer_view.EXPORT_COLUMNS
        ]
        sheet = content.texts.get(lang, "events.export.sheet")
    with friendly_errors():
        save(workbook([Sheet(sheet, headers, rows)]), output)
        output.chmod(0o600)  # people's names and phones: readable by its owner only
    with open_session(s) as session:
        audit.record(
            session, cli_actor(), "export.event", now(s), "event", code, f"{len(rows)} rows"
        )
    typer.echo(f"{output}: {len(rows)} registration(s)")
