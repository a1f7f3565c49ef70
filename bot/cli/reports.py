"""`sxsh-bot export responses` and `sxsh-bot report ...`: what officers take away from the
quick assessment (handlers/reports/ computes, bot/exports/ writes)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import SINCE_HELP, fail, friendly_errors, locale, now, open_session, parse_day
from bot.cli.common import settings as read_settings
from bot.cli.officers import cli_actor
from bot.settings import Settings

export_app = typer.Typer(help="Export answers for officers (Excel, CSV).", no_args_is_help=True)
report_app = typer.Typer(
    help="Figures for officers: `report --output DIR` writes the workbook and the charts.",
    invoke_without_command=True,
)


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
    since: Annotated[str | None, typer.Option(help=SINCE_HELP)] = None,
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

    from bot.exports import csvfile, xlsx
    from bot.exports.files import unwritable
    from handlers.reports.responses import response_rows
    from handlers.reports.summary import summary, summary_table

    kind = (fmt or output.suffix.lstrip(".")).lower()
    if kind not in ("xlsx", "csv"):
        fail(
            f"--format {fmt!r}: use xlsx or csv"
            if fmt
            else f"cannot tell the format from {output.name!r}: add --format xlsx or csv"
        )
    if lang not in ("vi", "en"):
        fail("--lang must be vi or en")
    s = read_settings()
    start = parse_day(since, s)
    problem = unwritable(output)
    if problem:
        fail(problem)
    questionnaire, texts = _report_content(s)
    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(
        *columns, console=console, transient=True, disable=not console.is_terminal
    ) as bar:
        with open_session(s, commit=False) as session:
            reading = bar.add_task("Đọc phiếu", total=None)
            headers, rows = response_rows(
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
            figures = summary(session, questionnaire, tz=s.tz, since=start, lang=lang, texts=texts)
        writing = bar.add_task("Ghi tệp", total=len(rows))

        def step(done: int, total: int) -> None:
            bar.update(writing, completed=done)

        try:
            if kind == "xlsx":
                notes = [texts.get(lang, "reports.summary.note")]
                if start:
                    date = locale(s, lang).date(start)
                    notes.append(texts.get(lang, "reports.summary.since", date=date))
                xlsx.write_xlsx(
                    output,
                    headers,
                    rows,
                    summary=summary_table(figures, lang, texts),
                    lang=lang,
                    texts=texts,
                    notes=notes,
                    progress=step,
                )
            else:
                csvfile.write_csv(output, headers, rows, progress=step)
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror or exc}")
    if include_personal:  # names and phones: readable by its owner only, as privacy export
        output.chmod(0o600)
    from storage import audit

    detail = f"{len(rows)} rows, {kind}" + (", personal data" if include_personal else "")
    with open_session(s) as session:
        audit.record(
            session, cli_actor(), "export.responses", now(s), "export", output.name, detail
        )
    typer.echo(texts.get("en", "reports.exported", n=len(rows), file=output))


@report_app.callback()
def report(
    context: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Folder for figures.xlsx and the charts (PNG)."),
    ] = None,
    since: Annotated[str | None, typer.Option(help=SINCE_HELP)] = None,
) -> None:
    """The figures /stats shows (contacts, assessments, the SXSH shares by sector and park next
    to 2019, potential levels, events, open questions) as figures.xlsx and PNG charts in DIR."""
    if context.invoked_subcommand is not None:
        return
    if output is None:
        typer.echo(context.get_help())
        raise typer.Exit(2)
    from bot.exports import charts, figures_book, xlsx
    from content.baseline import load_baseline
    from handlers.reports.figures import figures

    if output.exists() and not output.is_dir():
        fail(f"--output {output}: a file, not a folder")
    s = read_settings()
    start = parse_day(since, s)
    questionnaire, texts = _report_content(s)
    with friendly_errors():
        baseline = load_baseline(s.content_dir)
    with open_session(s, commit=False) as session:
        found = figures(session, questionnaire, texts, s.default_language, tz=s.tz,
                        baseline=baseline, since=start)  # fmt: skip
    try:
        output.mkdir(parents=True, exist_ok=True)
        book = output / "figures.xlsx"
        xlsx.save(figures_book.figures_workbook(found, texts, s.tz), book)
        written = [book, *charts.write_charts(found, texts, output)]
    except OSError as exc:
        fail(f"cannot write in {output}: {exc.strerror or exc}")
    from storage import audit

    with open_session(s) as session:
        where = str(output.resolve())
        audit.record(session, cli_actor(), "export.figures", now(s), "report", output.name, where)
    for path in written:
        typer.echo(str(path))


@report_app.command("summary")
def report_summary(
    since: Annotated[str | None, typer.Option(help=SINCE_HELP)] = None,
    lang: Annotated[str, typer.Option(help="Language of the table: en (default) or vi.")] = "en",
) -> None:
    """Share of enterprises that know SXSH, have applied it and have a person/unit, by sector."""
    from rich.console import Console
    from rich.table import Table

    from handlers.reports.summary import summary, summary_table

    if lang not in ("vi", "en"):
        fail("--lang must be vi or en")
    s = read_settings()
    start = parse_day(since, s)
    questionnaire, texts = _report_content(s)
    with open_session(s, commit=False) as session:
        figures = summary(session, questionnaire, tz=s.tz, since=start, lang=lang, texts=texts)
    loc = locale(s, lang)

    def t(key: str, **fields: object) -> str:
        return texts.get(lang, f"reports.summary.{key}", **fields)

    title = t("title")
    if start:
        title += " – " + t("since", date=loc.date(start))
    headers, rows = summary_table(figures, lang, texts)
    table = Table(title=title, caption=t("note"), caption_justify="left")
    table.add_column(headers[0], no_wrap=True)
    for header in headers[1:]:
        table.add_column(header, justify="right")
    for i, row in enumerate(rows):
        cells = [row[0], str(row[1])]
        cells += ["–" if v is None else loc.number(v, 1, fixed=True) for v in row[2:]]
        last = i == len(rows) - 1
        table.add_row(*cells, style="bold" if last else None, end_section=i == len(rows) - 2)
    console = Console(width=120)
    console.print(table)
    if figures[-1].count == 0:
        console.print(t("empty"))
