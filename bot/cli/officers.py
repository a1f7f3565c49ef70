"""`sxsh-bot officers add|remove|list` and `sxsh-bot audit`: who may act as an officer, and what
officers did (issue 11 "Roles and audit"). Granting and removing are audited too; the other
command groups record their officer actions with `cli_actor()`."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from bot.cli.common import SINCE_HELP, fail, locale, now, open_session, parse_day, settings

officers_app = typer.Typer(
    help="Officers granted in the database (SXSH_OFFICER_IDS grants too).", no_args_is_help=True
)

AsOption = Annotated[
    str | None, typer.Option("--as", help="Who does this, for the audit log (default: OS user).")
]


def cli_actor(name: str | None = None) -> str:
    """How an action on the command line is recorded: "cli:<name>" (default: the OS user)."""
    name = (name if name is not None else getpass.getuser()).strip()
    if not name or len(name) > 80 or not name.isprintable():
        fail("--as: a name of 1 to 80 printable characters")
    return f"cli:{name}"


def _who(value: str) -> tuple[str, str]:
    """CHANNEL:ID as SXSH_OFFICER_IDS takes it (a bare number is a Telegram id)."""
    from bot.settings import parse_officer_ids

    try:
        entries = parse_officer_ids(value)
    except ValueError as exc:
        fail(str(exc))
    if len(entries) != 1:
        fail("give one CHANNEL:ID, e.g. telegram:123456789")
    channel, _, platform_id = entries[0].partition(":")
    return channel, platform_id


@officers_app.command("add")
def add(
    who: Annotated[str, typer.Argument(help="CHANNEL:ID, e.g. telegram:123456789.")],
    name: Annotated[str, typer.Argument(help="The officer's display name.")],
    role: Annotated[str, typer.Option(help="officer or admin.")] = "officer",
    as_: AsOption = None,
) -> None:
    """Grant officer rights (or change the name or role); effective at the next message."""
    from storage import audit, officers
    from storage.tickets_models import OfficerRole

    channel, platform_id = _who(who)
    if role not in {r.value for r in OfficerRole}:
        fail("--role: officer or admin")
    name = name.strip()
    if not name or len(name) > 80 or not name.isprintable():
        fail("NAME: 1 to 80 printable characters")
    actor = cli_actor(as_)
    s = settings()
    with open_session(s) as session:
        moment = now(s)
        same = officers.get(session, channel, platform_id)
        if same is not None and (same.display_name, same.role) == (name, OfficerRole(role)):
            typer.echo(f"Unchanged: {channel}:{platform_id} is already {role} ({name}).")
            return
        _, created = officers.add(
            session, channel, platform_id, name, OfficerRole(role), actor, moment
        )
        action = "officer.add" if created else "officer.change"
        audit.record(session, actor, action, moment, "officer", f"{channel}:{platform_id}", role)
    typer.echo(f"{'Added' if created else 'Changed'} {channel}:{platform_id} ({name}, {role}).")


@officers_app.command("remove")
def remove(who: Annotated[str, typer.Argument(help="CHANNEL:ID.")], as_: AsOption = None) -> None:
    """Take the rights away; effective at the next message in every process. An id that is
    also in SXSH_OFFICER_IDS keeps its rights until it is taken out of the settings."""
    from storage import audit, officers

    channel, platform_id = _who(who)
    actor = cli_actor(as_)
    s = settings()
    with open_session(s) as session:
        if not officers.remove(session, channel, platform_id):
            fail(f"{channel}:{platform_id} is not in the officers table", code=1)
        target = f"{channel}:{platform_id}"
        audit.record(session, actor, "officer.remove", now(s), "officer", target)
    typer.echo(f"Removed {channel}:{platform_id}.")
    if s.is_officer(channel, platform_id):
        typer.echo(f"Note: {channel}:{platform_id} is still in SXSH_OFFICER_IDS.", err=True)


@officers_app.command("list")
def list_() -> None:
    """Every officer: from the table (name, role, who added them, when) and from the settings."""
    from rich.console import Console
    from rich.table import Table

    from storage import officers

    s = settings()
    loc = locale(s)
    table = Table(title="Officers")
    for col in ("who", "name", "role", "added by", "added", "source"):
        table.add_column(col, overflow="fold")
    with open_session(s, commit=False) as session:
        rows = officers.all_officers(session)
        listed = set()
        for o in rows:
            key = f"{o.channel}:{o.platform_id}"
            listed.add(key)
            source = "table + settings" if key in s.officer_ids else "table"
            added = loc.date_time(o.added_at)
            table.add_row(key, o.display_name, o.role, o.added_by, added, source)
    for key in s.officer_ids:
        if key not in listed:
            table.add_row(key, "", "officer", "", "", "settings (SXSH_OFFICER_IDS)")
    Console(width=160).print(table)


def audit(
    since: Annotated[str | None, typer.Option(help=SINCE_HELP)] = None,
    limit: Annotated[
        int, typer.Option(help="At most this many entries (the newest).", min=1)
    ] = 200,
) -> None:
    """What officers did: who, what, when, on what (oldest first)."""
    from rich.console import Console
    from rich.table import Table

    from storage import audit as log

    s = settings()
    start = parse_day(since, s)
    loc = locale(s)
    table = Table(title="Audit log")
    for col in ("when", "who", "what", "on", "detail"):
        table.add_column(col, overflow="fold")
    with open_session(s, commit=False) as session:
        for e in log.entries(session, start, limit):
            on = f"{e.target_kind} {e.target_id}" if e.target_kind else ""
            table.add_row(loc.date_time(e.at), e.actor, e.action, on, e.detail or "")
    Console(width=160).print(table)
