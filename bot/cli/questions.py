"""`sxsh-bot questions`, `reply` and `outbox`: the questions people asked, officers' answers to
tickets, and what the outbox did with the bot's proactive messages."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer
from sqlmodel import select

from bot.cli.common import (
    SINCE_HELP,
    fail,
    locale,
    now,
    open_session,
    parse_day,
    settings,
    texts,
)


def _table(title: str, columns: tuple[str, ...]):  # noqa: ANN202 - rich.table.Table
    from rich.table import Table

    table = Table(title=title)
    for col in columns:
        table.add_column(col, overflow="fold")
    return table


# What `reply` says when the answer is not sent: the chat's reasons in the terminal's words
# (English, with the options of this command rather than the chat's /reply syntax).
REFUSED = {
    "officer.reply_empty": "ticket #{id}: the answer is empty",
    "officer.reply_unknown": "no ticket #{id} (`sxsh-bot questions` shows each ticket's number)",
    "officer.reply_gone": "ticket #{id}: the person deleted their data; the answer cannot be sent",
    "officer.reply_note": "ticket #{id} is an officer's note; nobody receives answers to it",
    "officer.reply_claimed": "ticket #{id} is held by {by}; add --force to answer it anyway",
    "officer.reply_already": "ticket #{id} has been answered {count} time(s) already (last by "
    "{by}: «{answer}») and the person has not written since; add --force to send this one too",
}


def reply(
    question_id: Annotated[
        str, typer.Argument(metavar="NUMBER", help="The ticket's number (see /inbox).")
    ],
    text: Annotated[str, typer.Argument(help="The answer the person receives in the chat.")],
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Send even though the last message is already an officer's answer, or another "
            "officer holds the ticket.",
        ),
    ] = False,
    as_: Annotated[
        str | None,
        typer.Option(
            "--as", help="The officer's name recorded with the answer (default: OS user)."
        ),
    ] = None,
    wait: Annotated[
        float,
        typer.Option(
            help="Wait up to this many seconds for the delivery and say how it went.", min=0
        ),
    ] = 0,
) -> None:
    """Answer a ticket: the running bot sends the answer to the person (audited). If it is
    not delivered, every officer the bot can write to is told; `--wait` says it here too."""
    from handlers.tickets.inbox import AnswerError, answer_ticket, parse_number

    s = settings()
    number = parse_number(question_id)
    if number is None:
        fail(f'{question_id!r} is not a ticket number; e.g. sxsh-bot reply 12 "the answer"')
    name = (as_ if as_ is not None else getpass.getuser()).strip()
    if not name or len(name) > 80 or not name.isprintable():
        fail("--as: the officer's name, 1 to 80 printable characters")
    try:
        with open_session(s) as session:
            answer = answer_ticket(session, number, text, f"cli:{name}", now(s), force=force,
                                   tell=list(s.officer_ids))  # fmt: skip
            answer_id = answer.id
    except AnswerError as exc:
        fields = {**exc.fields, "id": question_id}
        message = REFUSED[exc.key].format(**fields) if exc.key in REFUSED else exc.key
        fail(message, code=1)
    typer.echo(f"ticket #{number}: answer queued (a running bot sends it)")
    if wait:
        _wait_for_delivery(s, answer_id, wait)


def _wait_for_delivery(s, answer_id: int, seconds: float) -> None:  # noqa: ANN001
    """Print how the answer went once its outbox row is final (exit 1 when not delivered), or
    that it is still waiting after `seconds`."""
    import time

    from handlers.tickets import outcome
    from handlers.tickets.inbox import ANSWER
    from storage.models import Outbox

    deadline = time.monotonic() + seconds
    while True:
        with open_session(s, commit=False) as session:
            row = session.exec(select(Outbox).where(Outbox.key == f"{ANSWER}:{answer_id}")).first()
            final = row is not None and row.status in ("sent", "failed", "unreachable")
            if final:
                said = {"status": row.status, "route": row.route, "reason": row.error}
                told = outcome.fields(session, answer_id, said)
        if final:
            typer.echo(outcome.text(texts(s), "en", told) if told else f"outbox: {row.status}")
            if row.status != "sent":
                raise typer.Exit(1)
            return
        if time.monotonic() >= deadline:
            typer.echo(f"not delivered yet after {seconds:g} s (see `sxsh-bot outbox`)")
            return
        time.sleep(0.5)


def questions(
    unanswered: Annotated[
        bool,
        typer.Option(
            "--unanswered", help="Only those without a confident answer or passed to an officer."
        ),
    ] = False,
    since: Annotated[str | None, typer.Option(help=SINCE_HELP)] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.", min=1)] = 200,
) -> None:
    """List the questions people asked, newest first (the tickets officers answer: /inbox)."""
    from rich.console import Console

    from storage import questions as qlog

    s = settings()
    start = parse_day(since, s)
    with open_session(s, commit=False) as session:
        if unanswered:
            rows = qlog.unanswered(session, since=start, limit=limit)
        else:
            rows = qlog.recent(session, since=start, limit=limit)
        tickets = _tickets_opened_by(session, [r.id for r in rows])
    loc = locale(s)
    title = "Unanswered questions" if unanswered else "Questions"
    columns = ("id", "time", "channel", "contact", "question", "topic", "score", "sure", "officer")
    table = _table(f"{title} ({len(rows)})", columns)
    for r in rows:
        when, sure = loc.date_time(r.created_at), "yes" if r.confident else "no"
        # The ticket's number is what `reply` takes (the question's id is not).
        asked = f"ticket #{tickets[r.id]}" if r.id in tickets else "asked" if r.handed_off else ""
        cells = (r.id, when, r.channel, r.contact_id or "", r.text, r.topic or "-")
        table.add_row(*map(str, cells), f"{r.score:.2f}", sure, asked)
    Console(width=160).print(table)


def _tickets_opened_by(session, question_ids: list[int]) -> dict[int, int]:  # noqa: ANN001
    """question id -> the number of the ticket it opened (one query)."""
    from storage.tickets_models import Ticket

    if not question_ids:
        return {}
    found = session.exec(
        select(Ticket.question_log_id, Ticket.id).where(Ticket.question_log_id.in_(question_ids))
    )
    return {q: t for q, t in found}


def outbox_status(
    limit: Annotated[int, typer.Option(help="At most this many undelivered rows.", min=1)] = 20,
) -> None:
    """Proactive messages per kind and state, how Zalo OA took them (free, on the OA's quota,
    not reachable), and the newest not delivered, with the reason."""
    from rich.console import Console
    from rich.table import Table

    from storage import outbox as ob

    s = settings()
    with open_session(s, commit=False) as session:
        counts, rows, routes = ob.summary(session), ob.problems(session, limit), ob.routes(session)
    states = ("pending", "sending", "sent", "failed", "unreachable", "unknown", "cancelled")
    kinds = sorted({kind for kind, _ in counts})
    table = Table(title="Outbox")
    for col in ("kind", *states):
        table.add_column(col, justify="left" if col == "kind" else "right")
    for kind in kinds:
        table.add_row(kind, *(str(counts.get((kind, state), 0)) for state in states))
    console = Console(width=160)
    console.print(table)
    if routes:
        zalo = Table(title="Zalo OA: how each message went")
        for col in ("kind", *ob.ROUTES):
            zalo.add_column(col, justify="left" if col == "kind" else "right")
        for kind in sorted({kind for kind, _ in routes}):
            zalo.add_row(kind, *(str(routes.get((kind, route), 0)) for route in ob.ROUTES))
        console.print(zalo)
    loc = locale(s)
    columns = ("id", "due", "kind", "contact", "attempts", "state", "reason")
    problems = _table(f"Not delivered ({len(rows)})", columns)
    for r in rows:
        cells = (r.id, loc.date_time(r.due_at), r.kind, r.contact_id, r.attempts, r.status)
        problems.add_row(*map(str, cells), r.error or "")
    console.print(problems)
