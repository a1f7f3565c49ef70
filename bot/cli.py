"""The `sxsh-bot` command line."""

from __future__ import annotations

import getpass
import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.cli_common import fail, friendly_errors, settings
from bot.settings import Settings
from content.texts import Texts
from handlers.clock import SystemClock

app = typer.Typer(
    # Typer's own tracebacks print local variables (a token among them) past the log redaction.
    pretty_exceptions_enable=False,
    help="SXSH outreach bot of Sở Công Thương Cần Thơ: run it, chat with it, manage its data.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
content_app = typer.Typer(help="Curated content: check and reload.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(content_app, name="content")


@app.command()
def run() -> None:
    """Run the bot: Telegram when SXSH_TELEGRAM_TOKEN is set, otherwise the terminal chat."""
    s = settings()
    if s.telegram.token is None:
        typer.echo("SXSH_TELEGRAM_TOKEN is not set: starting the terminal chat.", err=True)
        chat(user=None)
        return
    from telegram.error import InvalidToken

    from bot.app import build_conversation, setup_logging
    from bot.channels import telegram

    # The process opts in to PTB's future behaviour (retry_after as a timedelta) here, at its
    # entry point, not as a side effect of an import; TelegramSender handles both forms.
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    setup_logging(s)
    with friendly_errors():
        conversation = build_conversation(s)
    try:
        telegram.run(conversation, s)
    except InvalidToken:
        fail("the Bot API refused SXSH_TELEGRAM_TOKEN (401): check the token", code=1)
    except Exception as exc:  # noqa: BLE001 - logged (redacted) with its traceback, one line here
        logging.getLogger("bot.cli").exception("the bot stopped")
        fail(f"the bot stopped: {type(exc).__name__} (details in the log above)", code=1)


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
    from bot.channels.check import folder_problems
    from content.store import check

    s = settings()
    folder = directory or s.content_dir
    errors = check(folder) or folder_problems(folder)
    if errors:
        typer.echo(f"{len(errors)} problem(s) in content:", err=True)
        for line in errors:
            typer.echo(f"  - {line}", err=True)
        raise typer.Exit(1)
    from content import knowledge

    # Not errors: the bot leaves these out of its answers until officers fill them in.
    todo = knowledge.officer_todo(knowledge.load(directory or s.content_dir, []))
    if todo:
        typer.echo(f"{len(todo)} warning(s): officers still have to fill in:", err=True)
        for line in todo:
            typer.echo(f"  - {line}", err=True)
    typer.echo("content OK")


@content_app.command("reload")
def content_reload() -> None:
    """Validate content, then make every running bot process load it (no restart)."""
    from bot.channels.check import folder_problems
    from content.store import check
    from storage import app_state, migrate
    from storage.db import make_engine, session_scope

    s = settings()
    errors = check(s.content_dir) or folder_problems(s.content_dir)
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


@app.command()
def ask(
    question: Annotated[
        str | None, typer.Argument(help="The question; without it, one question per line on stdin.")
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(help="The asker's language (vi|en), used when the question's is unclear."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help='One JSON object per question: {"topic", "score", ...}')
    ] = False,
) -> None:
    """Print the bot's answer to a question (content and search only, no database)."""
    import json

    from content.store import ContentStore
    from handlers.qa import compose

    s = settings()
    language = lang or s.default_language
    if language not in ("vi", "en"):
        fail("--lang must be vi or en")
    with friendly_errors():
        content = ContentStore.load(s.content_dir)

    def one(q: str) -> None:
        answer = compose(content, q, language)
        m = answer.match
        if as_json:
            obj = {
                "topic": m.topic,
                "score": m.score,
                "answer": answer.text,
                "alternatives": m.alternatives,
            }
            typer.echo(json.dumps(obj, ensure_ascii=False))
            return
        topic = m.topic or f"none (closest: {', '.join(m.alternatives) or '-'})"
        typer.echo(f"[topic: {topic}; confidence {m.score:.2f}; language {answer.lang}]")
        for reply in answer.replies:
            typer.echo(reply.text)
            for button in reply.buttons:
                typer.echo(f"  [{button.label}]")

    if question is not None:
        one(question)
        return
    first = True
    for line in sys.stdin:
        if not line.strip():
            continue
        if not as_json and not first:
            typer.echo("-" * 40)
        one(line.strip())
        first = False


def _parse_day(value: str | None):  # noqa: ANN202
    from datetime import datetime

    if value is None:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    fail(f"--since {value!r}: write a date as YYYY-MM-DD or dd/mm/yyyy")
    return None


@app.command()
def reply(
    question_id: Annotated[str, typer.Argument(help="The question's number (see `questions`).")],
    text: Annotated[str, typer.Argument(help="The answer the person receives in the chat.")],
    force: Annotated[
        bool, typer.Option("--force", help="Send even though the question was answered before.")
    ] = False,
    as_: Annotated[
        str | None,
        typer.Option(
            "--as", help="The officer's name recorded with the answer (default: OS user)."
        ),
    ] = None,
) -> None:
    """Answer a question the bot could not: the running bot sends it to the person."""
    import getpass

    from handlers.officer import AnswerError, answer_question, parse_question_number
    from storage import migrate
    from storage.db import make_engine, session_scope

    s = settings()
    texts = Texts.load(s.content_dir / "texts")
    number = parse_question_number(question_id)
    if number is None:
        fail(texts.get(s.default_language, "officer.reply_usage"))
    name = (as_ if as_ is not None else getpass.getuser()).strip()
    if not name or len(name) > 80 or not name.isprintable():
        fail("--as: the officer's name, 1 to 80 printable characters")
    officer = f"cli:{name}"
    with friendly_errors():
        migrate.upgrade(s.database_url)
        engine = make_engine(s.database_url)
        try:
            with session_scope(engine) as session:
                answer_question(session, number, text, officer, SystemClock().now(), force=force)
        except AnswerError as exc:
            message = texts.get(s.default_language, exc.key, **{**exc.fields, "id": question_id})
            if exc.key == "officer.reply_already":
                message += " (sxsh-bot reply --force)"
            fail(message, code=1)
        finally:
            engine.dispose()
    typer.echo(f"Đã xếp trả lời câu hỏi #{number} để gửi (bot đang chạy sẽ gửi đi).")


@app.command()
def questions(
    unanswered: Annotated[
        bool,
        typer.Option(
            "--unanswered", help="Only those without a confident answer or passed to an officer."
        ),
    ] = False,
    since: Annotated[
        str | None, typer.Option(help="From this day on (YYYY-MM-DD or dd/mm/yyyy, local time).")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 200,
) -> None:
    """List the questions people asked, newest first: the officers' work list."""
    from rich.console import Console
    from rich.table import Table
    from sqlmodel import Session

    from storage import migrate
    from storage import questions as qlog
    from storage.db import make_engine

    s = settings()
    day = _parse_day(since)
    start = day.replace(tzinfo=s.tz) if day else None
    with friendly_errors():
        migrate.upgrade(s.database_url)
        engine = make_engine(s.database_url)
        with Session(engine) as session:
            if unanswered:
                rows = qlog.unanswered(session, since=start, limit=limit)
            else:
                rows = qlog.recent(session, since=start, limit=limit)
        engine.dispose()
    title = "Unanswered questions" if unanswered else "Questions"
    table = Table(title=f"{title} ({len(rows)})", show_lines=False)
    for col in (
        "id",
        "time",
        "channel",
        "contact",
        "question",
        "topic",
        "score",
        "sure",
        "officer",
    ):
        table.add_column(col, overflow="fold")
    for r in rows:
        created = r.created_at
        local = created.astimezone(s.tz) if created.tzinfo else created
        table.add_row(
            str(r.id),
            local.strftime("%d/%m/%Y %H:%M"),
            r.channel,
            str(r.contact_id or ""),
            r.text,
            r.topic or "-",
            f"{r.score:.2f}",
            "yes" if r.confident else "no",
            "asked" if r.handed_off else "",
        )
    Console(width=160).print(table)


@app.command()
def worker(
    once: Annotated[bool, typer.Option("--once", help="Deliver what is due, then exit.")] = False,
) -> None:
    """Delivery lanes and scheduled jobs, no inbound messages (several may share PostgreSQL)."""
    import asyncio

    from bot import worker as lanes
    from bot.app import setup_logging

    s = settings()
    setup_logging(s)
    with friendly_errors():
        counts = asyncio.run(lanes.run(s, once=once))
    if once:
        typer.echo(" ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "nothing due")


@app.command("outbox")
def outbox_status(
    limit: Annotated[int, typer.Option(help="At most this many undelivered rows.")] = 20,
) -> None:
    """Proactive messages per kind and state, and the newest not delivered, with the reason."""
    from rich.console import Console
    from rich.table import Table
    from sqlmodel import Session

    from storage import migrate
    from storage import outbox as ob
    from storage.db import make_engine

    s = settings()
    with friendly_errors():
        migrate.upgrade(s.database_url)
        engine = make_engine(s.database_url)
        try:
            with Session(engine) as session:
                counts, rows = ob.summary(session), ob.problems(session, limit)
        finally:
            engine.dispose()
    states = ("pending", "sending", "sent", "failed", "unreachable", "unknown", "cancelled")
    kinds = sorted({kind for kind, _ in counts})
    table = Table(title="Outbox")
    for col in ("kind", *states):
        table.add_column(col, justify="left" if col == "kind" else "right")
    for kind in kinds:
        table.add_row(kind, *(str(counts.get((kind, state), 0)) for state in states))
    console = Console(width=160)
    console.print(table)
    problems = Table(title=f"Not delivered ({len(rows)})")
    for col in ("id", "due", "kind", "contact", "attempts", "state", "reason"):
        problems.add_column(col, overflow="fold")
    for r in rows:
        due = r.due_at.astimezone(s.tz) if r.due_at.tzinfo else r.due_at
        problems.add_row(
            str(r.id),
            due.strftime("%d/%m/%Y %H:%M"),
            r.kind,
            str(r.contact_id),
            str(r.attempts),
            r.status,
            r.error or "",
        )
    console.print(problems)


# --- officers: export and report (handlers/reports.py) ----------------------------------------

from bot.cli_enterprise import enterprise_app  # noqa: E402

export_app = typer.Typer(help="Export answers for officers (Excel, CSV).", no_args_is_help=True)
report_app = typer.Typer(help="Figures for officers.", no_args_is_help=True)
app.add_typer(export_app, name="export")
app.add_typer(enterprise_app, name="enterprise")
app.add_typer(report_app, name="report")

_SINCE_HELP = "Only responses submitted from this day on (YYYY-MM-DD or dd/mm/yyyy, local time)."


def _report_content(s: Settings):  # noqa: ANN202
    """The questionnaire and texts from the configured content folder."""
    from content.forms import load_questionnaire
    from content.store import questionnaire_path
    from content.texts import Texts

    with friendly_errors():
        return load_questionnaire(questionnaire_path(s.content_dir)), Texts.load(
            s.content_dir / "texts"
        )


@export_app.command("responses")
def export_responses(
    output: Annotated[Path, typer.Option("--output", "-o", help="The file to write.")],
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="xlsx or csv; by default from the file's extension."),
    ] = None,
    since: Annotated[str | None, typer.Option(help=_SINCE_HELP)] = None,
    codes: Annotated[
        bool, typer.Option("--codes", help="Question ids and answer codes instead of labels.")
    ] = False,
    lang: Annotated[str, typer.Option(help="Language of headers and labels: vi or en.")] = "vi",
    include_personal: Annotated[
        bool,
        typer.Option(
            "--include-personal",
            help="Add contact name and phone (only of people who consented).",
        ),
    ] = False,
) -> None:
    """Completed quick assessments: one row per response, one column per question."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
    from sqlmodel import Session

    from handlers import reports
    from storage import migrate
    from storage.db import make_engine

    kind = (fmt or output.suffix.lstrip(".")).lower()
    if kind not in ("xlsx", "csv"):
        fail(
            f"--format {fmt!r}: use xlsx or csv"
            if fmt
            else f"cannot tell the format from {output.name!r}: add --format xlsx or csv"
        )
    if lang not in ("vi", "en"):
        fail("--lang must be vi or en")
    day = _parse_day(since)
    problem = reports.unwritable(output)
    if problem:
        fail(problem)
    s = settings()
    start = day.replace(tzinfo=s.tz) if day else None
    questionnaire, texts = _report_content(s)
    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with (
        friendly_errors(),
        Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bar,
    ):
        migrate.upgrade(s.database_url)
        engine = make_engine(s.database_url)
        try:
            with Session(engine) as session:
                reading = bar.add_task("Đọc phiếu", total=None)
                headers, rows = reports.response_rows(
                    session,
                    questionnaire,
                    since=start,
                    codes=codes,
                    lang=lang,
                    include_personal=include_personal,
                    texts=texts,
                    tz=s.tz,
                    progress=lambda done, total: bar.update(reading, completed=done, total=total),
                )
                figures = reports.summary(
                    session, questionnaire, since=start, lang=lang, texts=texts
                )
        finally:
            engine.dispose()
        writing = bar.add_task("Ghi tệp", total=len(rows))

        def step(done: int, total: int) -> None:
            bar.update(writing, completed=done)

        try:
            if kind == "xlsx":
                notes = [texts.get(lang, "reports.summary.note")]
                if day:
                    date = day.strftime("%d/%m/%Y")
                    notes.append(texts.get(lang, "reports.summary.since", date=date))
                reports.write_xlsx(
                    output,
                    headers,
                    rows,
                    summary=reports.summary_table(figures, lang, texts),
                    lang=lang,
                    texts=texts,
                    notes=notes,
                    progress=step,
                )
            else:
                reports.write_csv(output, headers, rows, progress=step)
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror or exc}")
    typer.echo(texts.get("vi", "reports.exported", n=len(rows), file=output))


@report_app.command("summary")
def report_summary(
    since: Annotated[str | None, typer.Option(help=_SINCE_HELP)] = None,
) -> None:
    """Share of enterprises that know SXSH, have applied it and have a person/unit, by sector."""
    from rich.console import Console
    from rich.table import Table
    from sqlmodel import Session

    from handlers import reports
    from storage import migrate
    from storage.db import make_engine

    day = _parse_day(since)
    s = settings()
    questionnaire, texts = _report_content(s)
    with friendly_errors():
        migrate.upgrade(s.database_url)
        engine = make_engine(s.database_url)
        try:
            with Session(engine) as session:
                figures = reports.summary(
                    session, questionnaire, since=day.replace(tzinfo=s.tz) if day else None
                )
        finally:
            engine.dispose()

    def t(key: str, **fields: object) -> str:
        return texts.get("vi", f"reports.summary.{key}", **fields)

    title = t("title")
    if day:
        title += " – " + t("since", date=day.strftime("%d/%m/%Y"))
    headers, rows = reports.summary_table(figures, "vi", texts)
    table = Table(title=title, caption=t("note"), caption_justify="left")
    table.add_column(headers[0], no_wrap=True)
    for header in headers[1:]:
        table.add_column(header, justify="right")
    for i, row in enumerate(rows):
        cells = [row[0], str(row[1])]
        cells += ["–" if v is None else f"{v:.1f}".replace(".", ",") for v in row[2:]]
        last = i == len(rows) - 1
        table.add_row(*cells, style="bold" if last else None, end_section=i == len(rows) - 2)
    console = Console(width=120)
    console.print(table)
    if figures[-1].count == 0:
        console.print(t("empty"))


if __name__ == "__main__":
    app()


from bot.cli_events import events_app  # noqa: E402  (a sub-app that uses the helpers above)

app.add_typer(events_app, name="events")

from bot.cli_zalo import serve, zalo_app  # noqa: E402

app.command("serve")(serve)
app.add_typer(zalo_app, name="zalo")
