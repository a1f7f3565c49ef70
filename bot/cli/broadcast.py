"""`sxsh-bot broadcast create|preview|send|status|pause|resume|cancel|resend|export`: what an
officer does in chat with /broadcast, from the terminal (issue 11 "Broadcasts"). Every action is
audited as `cli:NAME` (--as, default the OS user). The copies are sent by the bot's delivery
lanes (`sxsh-bot run` or `sxsh-bot worker`); `send --deliver` delivers from this process."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import (
    fail,
    friendly_errors,
    now,
    open_session,
    settings,
    texts,
    xlsx_output,
)
from bot.cli.officers import AsOption, cli_actor

broadcast_app = typer.Typer(help="Broadcasts to enterprises (officers).", no_args_is_help=True)
LANG = "en"  # the terminal speaks English, like the other command groups (fault 13)

Number = Annotated[int, typer.Argument(help="The broadcast number.", min=1)]


def _row(session, number: int):  # noqa: ANN001, ANN202
    from storage import broadcasts

    row = broadcasts.get(session, number)
    if row is None:
        fail(f"no broadcast #{number}", 1)
    return row


def _print_preview(session, row, s) -> None:  # noqa: ANN001
    from handlers.broadcasts import copies, service

    typer.echo("--- as people will see it ---")
    typer.echo(row.text)
    held = copies.chat_file(row)
    if held is not None:  # sent by an officer in chat: the platform holds it
        typer.echo(f"[{row.attachment_kind} sent in the {held[0]} chat; {held[0]} only]")
    elif row.attachment:
        typer.echo(f"[{row.attachment_kind}: {Path(row.attachment).name}]")
    typer.echo("---")
    p = service.preview(session, row, s, now(s))
    typer.echo("\n".join(service.preview_lines(p, texts(s), LANG)))


def _check_values(session, spec: dict, s) -> None:  # noqa: ANN001
    """Exit 2 naming the valid values when the audience names something that does not exist."""
    from content import events
    from content.forms.loader import load_questionnaire
    from content.store import questionnaire_path
    from handlers.broadcasts import audience_values

    questionnaire = load_questionnaire(questionnaire_path(s.content_dir))
    topics = list(events.load(s.content_dir, []).topics)
    spec.update(audience_values.by_name(spec, questionnaire))  # "sector=thủy sản" is seafood
    wrong = audience_values.unknown_value(session, spec, questionnaire, topics)
    if wrong is not None:
        key, value, valid = wrong
        fail(f"--audience: no {key} {value!r}; valid: {', '.join(valid) or '(none yet)'}")


# Bot API: photos up to 10 MB, files uploaded by a bot up to 50 MB (core.telegram.org/bots/api,
# sendPhoto and sendDocument); Zalo's upload limits are lower and its channel checks its own.
PHOTO_MAX, DOCUMENT_MAX = 10 * 2**20, 50 * 2**20
PHOTO_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF8", b"RIFF")  # JPEG PNG GIF WebP


def _photo_problem(path: Path) -> str | None:
    """Why a file cannot go as a photo (not JPEG/PNG/GIF/WebP by its first bytes, too large)."""
    if path.stat().st_size > PHOTO_MAX:
        return f"larger than {PHOTO_MAX // 2**20} MB (send it with --document)"
    with path.open("rb") as handle:
        head = handle.read(12)
    if not head.startswith(PHOTO_MAGIC) or (head.startswith(b"RIFF") and head[8:12] != b"WEBP"):
        return "not a JPEG, PNG, GIF or WebP image (send other files with --document)"
    return None


@broadcast_app.command("create")
def create(
    text: Annotated[str, typer.Argument(help="The announcement, as people will read it.")],
    audience: Annotated[
        str,
        typer.Option(
            help="Filters key=value: topic, sector, park, ward, level, event, language, channel, "
            "and the flags unfinished, all. Values must exist (sectors and parks as in the "
            "questionnaire, event codes). E.g. --audience 'sector=seafood park=tra_noc_1'."
        ),
    ] = "all",
    photo: Annotated[Path | None, typer.Option(help="A photo sent with the text.")] = None,
    document: Annotated[Path | None, typer.Option(help="A document sent with the text.")] = None,
    as_: AsOption = None,
) -> None:
    """A draft, with its preview. Nothing is sent until `send`."""
    from handlers.broadcasts.chat import parse_filters
    from storage import audit, broadcasts

    actor = cli_actor(as_)
    if photo and document:
        fail("--photo or --document, not both")
    attachment = photo or document
    if attachment is not None and not attachment.is_file():
        fail(f"no such file: {attachment}")
    if photo is not None and (problem := _photo_problem(photo)):
        fail(f"--photo {photo}: {problem}")
    if document is not None and document.stat().st_size > DOCUMENT_MAX:
        fail(f"--document {document}: larger than {DOCUMENT_MAX // 2**20} MB")
    try:
        spec = parse_filters(audience)
    except broadcasts.AudienceError as exc:
        fail(f"--audience: {exc} not understood (keys: {', '.join(broadcasts.AUDIENCE_KEYS)})")
    s = settings()
    with friendly_errors(), open_session(s) as session:
        _check_values(session, spec, s)
        try:
            row = broadcasts.create(
                session, text, spec, actor, now(s),
                attachment=str(attachment.resolve()) if attachment else None,
                attachment_kind="photo" if photo else "document" if document else None,
            )  # fmt: skip
        except ValueError:
            fail("the text is empty")
        audit.record(session, actor, "broadcast.create", now(s), "broadcast", row.id, text[:120])
        typer.echo(f"draft #{row.id}")
        _print_preview(session, row, s)


@broadcast_app.command("preview")
def preview(number: Number) -> None:
    """The text as people will see it, recipients per channel, who is left out and why, a few
    enterprise names, the estimated duration."""
    s = settings()
    with friendly_errors(), open_session(s, commit=False) as session:
        _print_preview(session, _row(session, number), s)


@broadcast_app.command("send")
def send(
    number: Number,
    at: Annotated[
        str | None, typer.Option(help="Schedule: 'dd/mm/yyyy HH:MM' (or 8h30) local time.")
    ] = None,
    night: Annotated[bool, typer.Option("--night", help="Yes, send during 21:00–07:00.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Yes, even though an identical one is running.")
    ] = False,
    follow: Annotated[bool, typer.Option(help="Show a progress bar until it ends.")] = True,
    deliver: Annotated[
        bool, typer.Option("--deliver", help="Deliver from this process (no bot running).")
    ] = False,
    as_: AsOption = None,
) -> None:
    """Confirm a draft: send now, or at --at. Night hours need --night, an identical running
    broadcast needs --force (the same confirmations the chat asks)."""
    from content.locale import parse_date_time
    from handlers.broadcasts import service

    actor = cli_actor(as_)
    s = settings()
    when = None
    if at is not None:
        when = parse_date_time(at, s.tz)  # as /newevent and the chat's schedule read it
        if when is None:
            fail("--at: a time like 05/12/2026 08:30 (or 05/12/2026 8h30)")
    with friendly_errors(), open_session(s) as session:
        row = _row(session, number)
        try:
            queued = service.confirm(session, row, actor, now(s), s, at=when, night_ok=night,
                                     twin_ok=force)  # fmt: skip
        except service.Refused as exc:
            fail(_refusal(exc, number, s), 1)
    if when is not None:
        typer.echo(f"#{number} scheduled for {at}")
        return
    typer.echo(f"#{number} started: {queued} recipients")
    if follow or deliver:
        _follow(number, s, deliver)


def _refusal(exc, number: int, s) -> str:  # noqa: ANN001 - service.Refused, Settings
    """Why `send` did nothing, with the option that confirms it (the chat asks a second press)."""
    if exc.confirm == "night":
        return f"#{number}: it is rest time (21:00–07:00); add --night to send it now anyway"
    if exc.confirm == "twin":
        other, status = exc.fields.get("other"), exc.fields.get("other_status")
        return (f"#{number}: broadcast #{other} with the same text and recipients is not "
                f"finished ({status}); add --force to send it anyway")  # fmt: skip
    return texts(s).get(LANG, exc.key, **exc.fields)


# Watching a broadcast no process delivers (tester's fault 15): say so instead of a bar
# that never moves, after STALL_POLLS polls of POLL_SECONDS.
POLL_SECONDS, STALL_POLLS = 1.0, 15
STALL_HINT = (
    "#{number}: nothing sent yet. Is `sxsh-bot run` or `sxsh-bot worker` running? "
    "Ctrl+C stops watching (the broadcast goes on); `--deliver` sends from this terminal."
)


def _follow(number: int, s, deliver: bool) -> None:  # noqa: ANN001
    """A rich progress bar from the database (sent / total, rate, time left) until the
    broadcast ends; with `deliver`, the delivery lanes run in this process meanwhile."""
    import asyncio

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from handlers.broadcasts import service
    from storage import broadcasts
    from storage.broadcasts_models import BroadcastStatus

    def poll() -> tuple[service.Progress, str]:
        with open_session(s) as session:
            broadcasts.sync(session, number, now(s))
            row = _row(session, number)
            return service.progress(session, row, now(s)), row.status

    async def main() -> str:
        stop = asyncio.Event()
        lanes = None
        if deliver:
            from bot import worker

            lanes = asyncio.create_task(worker.run(s, stop=stop))
        columns = (TextColumn(f"#{number}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[rate]} msg/s · {task.fields[left]} left"))  # fmt: skip
        status = BroadcastStatus.sending
        polls, last_done, hinted = 0, None, False
        with Progress(*columns) as bar:
            task = bar.add_task("send", total=None, rate="–", left="–")
            while status == BroadcastStatus.sending:
                p, status = await asyncio.to_thread(poll)
                rate = f"{p.per_second:.1f}" if p.per_second else "–"
                left = f"{p.seconds_left:.0f} s" if p.seconds_left else "–"
                bar.update(task, total=p.total, completed=p.done, rate=rate, left=left)
                polls, moved = polls + 1, p.done != last_done
                last_done = p.done
                if not bar.console.is_terminal and (moved or polls % 30 == 0):
                    bar.console.print(f"#{number}: {p.done}/{p.total} · {rate} msg/s · {left}")
                if not deliver and not hinted and polls >= STALL_POLLS and p.done == 0:
                    bar.console.print(STALL_HINT.format(number=number))
                    hinted = True
                if lanes is not None and lanes.done():
                    lanes.result()  # the lanes stopped: show why
                await asyncio.sleep(POLL_SECONDS)
        stop.set()
        if lanes is not None:
            await lanes
        return status

    with friendly_errors():
        final = asyncio.run(main())
    typer.echo(f"#{number}: {final}")
    status(number)


@broadcast_app.command("status")
def status(
    number: Annotated[int | None, typer.Argument(help="One broadcast.", min=1)] = None,
) -> None:
    """Progress of the latest broadcasts, or one broadcast's report (counts per channel,
    state and reason)."""
    from handlers.broadcasts import service
    from storage import broadcasts

    s = settings()
    with friendly_errors(), open_session(s) as session:
        rows = [_row(session, number)] if number else broadcasts.recent(session, 10)
        if not rows:
            typer.echo("no broadcasts")
        for row in rows:
            broadcasts.sync(session, row.id, now(s))
            session.refresh(row)
            p = service.progress(session, row, now(s))
            typer.echo(service.progress_line(p, texts(s), LANG, row))
        if number:
            typer.echo("\n".join(service.report_lines(session, rows[0], texts(s), LANG, s.tz)))


def _action(number: int, action: str, as_: str | None) -> None:
    from handlers.broadcasts import service

    actor = cli_actor(as_)
    s = settings()
    with friendly_errors(), open_session(s) as session:
        _row(session, number)
        result = service.act(session, number, action, actor, now(s))
    if not result:
        fail(texts(s).get(LANG, "broadcasts.nothing_done", id=number), 1)
    typer.echo(texts(s).get(LANG, f"broadcasts.done_{action}", id=number, count=result))


@broadcast_app.command("pause")
def pause(number: Number, as_: AsOption = None) -> None:
    """Hold the copies not yet sent (a copy in flight finishes)."""
    _action(number, "pause", as_)


@broadcast_app.command("resume")
def resume(number: Number, as_: AsOption = None) -> None:
    """Send the held copies."""
    _action(number, "resume", as_)


@broadcast_app.command("cancel")
def cancel(number: Number, as_: AsOption = None) -> None:
    """Stop it: copies not yet sent are never sent."""
    _action(number, "cancel", as_)


@broadcast_app.command("resend")
def resend(number: Number, as_: AsOption = None) -> None:
    """Send again to the recipients left `unknown` by a crash (they may get it twice)."""
    _action(number, "resend", as_)


@broadcast_app.command("export")
def export(
    number: Number,
    output: Annotated[Path, typer.Option("--output", "-o", help="The .xlsx file to write.")],
    as_: AsOption = None,
) -> None:
    """The failed and unknown recipients (channel, id, name, enterprise, state, reason) as an
    Excel workbook; a second sheet lists every Zalo OA recipient and how it went (sent free,
    sent on the OA's quota, not reachable and why)."""
    from bot.exports.files import unwritable
    from bot.exports.xlsx import Sheet, save, workbook
    from handlers.broadcasts import service
    from storage import audit, broadcasts, zalo_reports
    from storage.models import Enterprise

    xlsx_output(output)
    actor = cli_actor(as_)
    if (problem := unwritable(output)) is not None:
        fail(problem)
    s = settings()
    with friendly_errors(), open_session(s) as session:
        _row(session, number)
        broadcasts.sync(session, number, now(s))
        lines = []
        for recipient, contact in broadcasts.problems(session, number):
            company = (
                session.get(Enterprise, contact.enterprise_id) if contact.enterprise_id else None
            )
            state = texts(s).get(LANG, f"broadcasts.state.{recipient.state}")
            why = service.reason_label(texts(s), LANG, recipient.reason or "")
            lines.append([contact.channel, contact.platform_id, contact.display_name or "",
                          company.name if company else "", state, why])  # fmt: skip
        headers = ["Channel", "User id", "Name", "Enterprise", "State", "Reason"]
        sheets = [Sheet(f"Broadcast {number}", headers, lines)]
        zalo = []
        for recipient, contact, route in zalo_reports.broadcast_recipients(session, number):
            state = texts(s).get(LANG, f"broadcasts.state.{recipient.state}")
            how = route if recipient.state == "sent" and route else recipient.reason or ""
            zalo.append([contact.platform_id, contact.display_name or "", state,
                         service.reason_label(texts(s), LANG, how)])  # fmt: skip
        if zalo:
            sheets.append(Sheet("Zalo OA", ["User id", "Name", "State", "How / why"], zalo))
        save(workbook(sheets), output)
        output.chmod(0o600)  # people's user ids and names: readable by its owner only
        audit.record(session, actor, "broadcast.export", now(s), "broadcast", number)
    typer.echo(f"{len(lines)} recipients -> {output}")
