"""`sxsh-bot privacy export CONTACT`: an officer answers a person's request for their data with
one JSON file of everything the database holds about them (storage/personal_export.py). The
request is written to the audit log; the file is readable by its owner only (mode 600)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import fail, friendly_errors, now, open_session, settings
from bot.cli.officers import AsOption, cli_actor

privacy_app = typer.Typer(help="Requests about one person's data.", no_args_is_help=True)


def _contact(session, who: str):  # noqa: ANN001, ANN202
    """CHANNEL:ID (e.g. telegram:123456789) or a contact number (#12 or 12)."""
    from sqlmodel import select

    from storage.models import Contact

    channel, sep, platform_id = who.partition(":")
    if sep and channel and platform_id:
        contact = session.exec(
            select(Contact).where(Contact.channel == channel, Contact.platform_id == platform_id)
        ).first()
    elif who.lstrip("#").isdigit():
        contact = session.get(Contact, int(who.lstrip("#")))
    else:
        fail(f"{who!r}: give CHANNEL:ID (e.g. telegram:123456789) or a contact number")
    if contact is None and not sep:  # a platform id typed bare (SXSH_OFFICER_IDS reads it so)
        number = who.lstrip("#")
        fail(f"{who}: no contact #{number}; a Telegram id is telegram:{number}", code=1)
    if contact is None:
        fail(f"{who}: no such contact (nothing is kept about them)", code=1)
    return contact


@privacy_app.command("export")
def export(
    who: Annotated[str, typer.Argument(help="CHANNEL:ID, e.g. telegram:123456789, or #NUMBER.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="The JSON file (default contact-N.json).")
    ] = None,
    as_: AsOption = None,
) -> None:
    """Write everything kept about one person to a JSON file, and audit the request."""
    from bot.exports.files import atomic, unwritable
    from storage import audit, personal_export

    actor = cli_actor(as_)
    s = settings()
    with open_session(s) as session:
        contact = _contact(session, who)
        path = output or Path(f"contact-{contact.id}.json")
        if problem := unwritable(path):
            fail(problem)
        data = personal_export.collect(session, contact)
        with friendly_errors(), atomic(path, ".json") as tmp:
            tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
        os.chmod(path, 0o600)
        audit.record(session, actor, "privacy.export", now(s), "contact", contact.id)
    rows = sum(len(v) for v in data.values())
    typer.echo(f"{path}: {rows} rows from {len(data)} tables about contact #{contact.id}")
