"""`sxsh-bot enterprise ...`: officers decide who speaks for an enterprise (issue 8 item 8).

A response that gave the tax code of an enterprise it has no link to is a pending claim
(storage/enterprises.py); it changes no figure until an officer confirms it here."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from bot.cli.common import fail, open_session
from bot.cli.common import now as clock_now
from bot.cli.common import settings as read_settings

enterprise_app = typer.Typer(
    help="Enterprise records: pending claims, confirm, reject, merge.", no_args_is_help=True
)

AsOption = Annotated[
    str | None, typer.Option("--as", help="Officer name recorded (default: the OS user).")
]


def _officer(name: str | None) -> str:
    return f"cli:{name or getpass.getuser()}"


@enterprise_app.command("pending")
def pending() -> None:
    """Claims waiting for an officer: response, enterprise, tax code, both names."""
    from storage import enterprises

    with open_session() as session:
        claims = enterprises.pending(session)
        for c in claims:
            typer.echo(
                f"response {c.response_id} -> enterprise {c.enterprise_id} "
                f"(MST {c.tax_code}): record “{c.record_name or ''}”, "
                f"claimed as “{c.claimed_name or ''}”"
            )
    if not claims:
        typer.echo("no pending claims")


def _decide(response_id: int, officer: str | None, confirm: bool) -> None:
    from storage import enterprises

    try:
        with open_session() as session:
            enterprises.decide(session, response_id, _officer(officer), confirm=confirm)
            from storage import audit

            action = "enterprise.confirm" if confirm else "enterprise.reject"
            audit.record(
                session,
                _officer(officer),
                action,
                clock_now(read_settings()),
                "response",
                response_id,
            )
    except LookupError:
        fail(f"no pending claim for response {response_id} (see `enterprise pending`)", 1)
    typer.echo(f"response {response_id}: {'confirmed' if confirm else 'rejected'}")


ResponseId = Annotated[int, typer.Argument(help="The response number.", min=1)]
EnterpriseId = Annotated[int, typer.Argument(help="An enterprise number.", min=1)]


@enterprise_app.command("confirm")
def confirm(response_id: ResponseId, officer: AsOption = None) -> None:
    """The response speaks for the enterprise: its figures count, its contact joins it."""
    _decide(response_id, officer, True)


@enterprise_app.command("reject")
def reject(response_id: ResponseId, officer: AsOption = None) -> None:
    """The response does not belong to that enterprise: it stands alone."""
    _decide(response_id, officer, False)


@enterprise_app.command("merge")
def merge(source_id: EnterpriseId, target_id: EnterpriseId) -> None:
    """Two records of one enterprise: move everything of SOURCE_ID into TARGET_ID."""
    from storage import enterprises

    try:
        with open_session() as session:
            moved = enterprises.merge(session, source_id, target_id)
    except LookupError:
        fail(f"cannot merge enterprise {source_id} into {target_id}", 1)
    typer.echo(f"enterprise {source_id} merged into {target_id} ({moved} responses moved)")
