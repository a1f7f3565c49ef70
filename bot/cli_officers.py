"""`sxsh-bot officers add|remove|list` and `sxsh-bot audit`: who may act as an officer, and what
officers did (issue 11 "Roles and audit"). Granting and removing are audited too."""

from __future__ import annotations

import getpass
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

import typer

officers_app = typer.Typer(
    help="Officers granted in the database (SXSH_OFFICER_IDS grants too).", no_args_is_help=True
)

AsOption = Annotated[
    str | None, typer.Option("--as", help="Who does this, for the audit log (default: OS user).")
]


@contextmanager
def _session():  # noqa: ANN202
    """Settings, a migrated database and one transaction (commit on success)."""
    from bot.cli_common import friendly_errors, settings
    from storage import migrate
    from storage.db import make_engine, session_scope

    s = settings()
    with friendly_errors():
        migrate.upgrade(s.database_url)
        engine = make_engine(s.database_url)
        try:
            with session_scope(engine) as session:
                yield s, session
        finally:
            engine.dispose()


def _actor(name: str | None) -> str:
    from bot.cli_common import fail

    name = (name if name is not None else getpass.getuser()).strip()
    if not name or len(name) > 80 or not name.isprintable():
        fail("--as: a name of 1 to 80 printable characters")
    return f"cli:{name}"


def _who(value: str) -> tuple[str, str]:
    """CHANNEL:ID as SXSH_OFFICER_IDS takes it (a bare number is a Telegram id)."""
    from bot.cli_common import fail
    from bot.settings import parse_officer_ids

    try:
        [entry] = parse_officer_ids(value)
    except ValueError as exc:
        fail(str(exc))
    channel, _, platform_id = entry.partition(":")
    return channel, platform_id


def _now() -> datetime:
    from handlers.clock import SystemClock

    return SystemClock().now()


@officers_app.command("add")
def add(
    who: Annotated[str, typer.Argument(help="CHANNEL:ID, e.g. telegram:123456789.")],
    name: Annotated[str, typer.Argument(help="The officer's display name.")],
    role: Annotated[str, typer.Option(help="officer or admin.")] = "officer",
    as_: AsOption = None,
) -> None:
    """Grant officer rights (or change the name or role); effective at the next message."""
    from bot.cli_common import fail
    from storage import audit, officers
    from storage.tickets_models import OfficerRole

    channel, platform_id = _who(who)
    if role not in {r.value for r in OfficerRole}:
        fail("--role: officer or admin")
    name = name.strip()
    if not name or len(name) > 80 or not name.isprintable():
        fail("NAME: 1 to 80 printable characters")
    actor = _actor(as_)
    with _session() as (_, session):
        now = _now()
        _, created = officers.add(
            session, channel, platform_id, name, OfficerRole(role), actor, now
        )
        action = "officer.add" if created else "officer.change"
        audit.record(session, actor, action, now, "officer", f"{channel}:{platform_id}", role)
    typer.echo(f"{'Added' if created else 'Changed'} {channel}:{platform_id} ({name}, {role}).")


@officers_app.command("remove")
def remove(
    who: Annotated[str, typer.Argument(help="CHANNEL:ID.")],
    as_: AsOption = None,
) -> None:
    """Take the rights away; effective at the next message in every process. An id that is
    also in SXSH_OFFICER_IDS keeps its rights until it is taken out of the settings."""
    from bot.cli_common import fail
    from storage import audit, officers

    channel, platform_id = _who(who)
    actor = _actor(as_)
    with _session() as (s, session):
        if not officers.remove(session, channel, platform_id):
            fail(f"{channel}:{platform_id} is not in the officers table", code=1)
        audit.record(
            session, actor, "officer.remove", _now(), "officer", f"{channel}:{platform_id}"
        )
        in_settings = s.is_officer(channel, platform_id)
    typer.echo(f"Removed {channel}:{platform_id}.")
    if in_settings:
        typer.echo(f"Note: {channel}:{platform_id} is still in SXSH_OFFICER_IDS.", err=True)


@officers_app.command("list")
def list_() -> None:
    """Every officer: from the table (name, role, who added them, when) and from the settings."""
    from rich.console import Console
    from rich.table import Table

    from storage import officers

    with _session() as (s, session):
        rows = officers.all_officers(session)
        table = Table(title=f"Officers ({len(rows)} in the table)")
        for col in ("who", "name", "role", "added by", "added", "source"):
            table.add_column(col, overflow="fold")
        listed = set()
        for o in rows:
            key = f"{o.channel}:{o.platform_id}"
            listed.add(key)
            source = "table + settings" if key in s.officer_ids else "table"
            added = o.added_at.astimezone(s.tz).strftime("%d/%m/%Y %H:%M")
            table.add_row(key, o.display_name, o.role, o.added_by, added, source)
        for key in s.officer_ids:
            if key not in listed:
                table.add_row(key, "", "officer", "", "", "settings (SXSH_OFFICER_IDS)")
    Console(width=160).print(table)


def audit(
    since: Annotated[
        str | None, typer.Option(help="From this day on (YYYY-MM-DD or dd/mm/yyyy, local time).")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many entries (the newest).")] = 200,
) -> None:
    """What officers did: who, what, when, on what (oldest first)."""
    from rich.console import Console
    from rich.table import Table

    from bot.cli_common import fail
    from storage import audit as log

    start = None
    if since is not None:
        for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                start = datetime.strptime(since, fmt)
                break
            except ValueError:
                continue
        else:
            fail(f"--since {since!r}: write a date as YYYY-MM-DD or dd/mm/yyyy")
    with _session() as (s, session):
        entries = log.entries(session, start.replace(tzinfo=s.tz) if start else None, limit)
        table = Table(title=f"Audit log ({len(entries)})")
        for col in ("when", "who", "what", "on", "detail"):
            table.add_column(col, overflow="fold")
        for e in entries:
            on = f"{e.target_kind} {e.target_id}" if e.target_kind else ""
            table.add_row(
                e.at.astimezone(s.tz).strftime("%d/%m/%Y %H:%M"), e.actor, e.action, on,
                e.detail or "",
            )  # fmt: skip
    Console(width=160).print(table)


def audit_cli(
    action: str,
    target_kind: str | None = None,
    target_id: object = None,
    detail: str | None = None,
    actor: str | None = None,
) -> None:
    """Write an officer action done on the command line to the audit log, in its own
    transaction (the actor is "cli:<OS user>" unless given)."""
    from bot.cli_common import friendly_errors, settings
    from storage import audit as log
    from storage.db import make_engine, session_scope

    s = settings()
    with friendly_errors():
        engine = make_engine(s.database_url)
        try:
            with session_scope(engine) as session:
                who = actor or f"cli:{getpass.getuser()}"
                log.record(session, who, action, _now(), target_kind, target_id, detail)
        finally:
            engine.dispose()
