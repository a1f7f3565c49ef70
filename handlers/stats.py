"""Officers' figures in chat: `/stats [dd/mm/yyyy]` (the figures as text and as a chart photo)
and `/export [dd/mm/yyyy]` (the completed assessments as an Excel document). Both exist only
for officers: the router answers anyone else as for an unknown command (officer_only), checked
against the settings at each message."""

from __future__ import annotations

from datetime import datetime

from handlers import roles
from handlers.capability import Capability, Command
from handlers.context import Context
from handlers.messages import Attachment, Reply
from handlers.reports.figures import figures
from handlers.reports.responses import response_rows
from handlers.reports.summary import summary, summary_table
from handlers.reports.text import figures_text, period

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DAY_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")  # what officers type after the command


def _since(ctx: Context, args: str, command: str) -> tuple[datetime | None, list[Reply] | None]:
    """The day typed after the command (local midnight), or an answer saying it is no date."""
    text = args.strip()
    if not text:
        return None, None
    for fmt in DAY_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=ctx.settings.tz), None
        except ValueError:
            continue
    return None, [ctx.reply("stats.since_invalid", input=text[:40], command=command)]


def stats_command(ctx: Context, args: str = "") -> list[Reply]:
    """/stats: the figures as text, then the chart as a photo (when this process makes files)."""
    since, refused = _since(ctx, args, "/stats")
    if refused:
        return refused
    q = ctx.content.questionnaire
    found = figures(ctx.session, q, ctx.content.texts, ctx.lang, tz=ctx.settings.tz,
                    baseline=ctx.content.baseline, since=since)  # fmt: skip
    replies = [Reply(text=figures_text(found, ctx.locale))]
    if ctx.files is None:
        replies.append(ctx.reply("stats.no_chart"))
        return replies
    png = ctx.files.figures_png(found, ctx.content.texts)
    day = ctx.locale.local(ctx.now).date().isoformat()  # a file name: sorts by date
    chart = Attachment(f"sxsh-so-lieu-{day}.png", png, "image/png", is_image=True)
    caption = ctx.t("stats.chart_caption", period=period(found, ctx.locale))
    replies.append(Reply(text=caption, attachment=chart))
    return replies


def export_command(ctx: Context, args: str = "") -> list[Reply]:
    """/export: completed assessments as .xlsx (labels in the officer's language, no personal
    columns), with the summary sheet; the same table as `sxsh-bot export responses`."""
    since, refused = _since(ctx, args, "/export")
    if refused:
        return refused
    if ctx.files is None:
        return [ctx.reply("stats.export_unavailable")]
    q, texts, tz = ctx.content.questionnaire, ctx.content.texts, ctx.settings.tz
    headers, rows = response_rows(ctx.session, q, since=since, lang=ctx.lang, texts=texts, tz=tz)
    shares = summary(ctx.session, q, tz=tz, since=since, lang=ctx.lang, texts=texts)
    notes = [ctx.t("reports.summary.note")]
    if since is not None:
        notes.append(ctx.t("reports.summary.since", date=ctx.locale.date(since)))
    data = ctx.files.responses_xlsx(
        headers, rows, summary_table(shares, ctx.lang, texts), ctx.lang, texts, notes
    )
    day = ctx.locale.local(ctx.now).date().isoformat()
    file = Attachment(f"sxsh-phieu-{day}.xlsx", data, XLSX)
    roles.record(ctx, "export.responses", "export", file.filename, f"{len(rows)} rows, chat")
    when = ctx.locale.date(since) if since else None
    label = ctx.t("stats.since", date=when) if when else ctx.t("stats.all_time")
    return [Reply(text=ctx.t("stats.export_caption", n=len(rows), period=label), attachment=file)]


CAPABILITY = Capability(
    name="stats",
    commands=(
        Command("stats", stats_command, officer_only=True),
        Command("export", export_command, officer_only=True),
    ),
)
