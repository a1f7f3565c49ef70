"""The figures as an officer reads them in chat (`/stats`): numbers and dates through the
locale, every sentence from content/texts/stats.<lang>.yaml."""

from __future__ import annotations

from content.locale import Locale
from handlers.messages import channel_name
from handlers.reports.figures import Figures
from handlers.reports.summary import SummaryRow

SHOWN_BROADCASTS = 5  # the latest ones in chat; the workbook lists them all


def period(figures: Figures, locale: Locale) -> str:
    """ "Từ ngày 05/03/2026" or "Toàn bộ thời gian"."""
    if figures.since is None:
        return locale.texts.get(locale.lang, "stats.all_time")
    return locale.texts.get(locale.lang, "stats.since", date=locale.date(figures.since))


def figures_text(figures: Figures, locale: Locale) -> str:
    """Every figure of `figures` in a few short paragraphs (Telegram splits a long message)."""

    def t(key: str, **fields: object) -> str:
        return locale.texts.get(locale.lang, f"stats.{key}", **fields)

    def pct(value: float | None) -> str:
        return t("none") if value is None else locale.percent(value)

    def share_line(row: SummaryRow) -> str:
        return t(
            "share_line",
            label=row.label,
            count=locale.number(row.count),
            know=pct(row.know),
            applied=pct(row.applied),
            dedicated=pct(row.dedicated),
        )

    lines = [t("title"), period(figures, locale), "", t("contacts_title")]
    for channel, states in figures.contacts.items():
        counts = {state: locale.number(n) for state, n in states.items()}
        lines.append(t("contacts_line", channel=channel_name(channel), **counts))
    if not figures.contacts:
        lines.append(t("no_contacts"))
    started, completed = locale.number(figures.started), locale.number(figures.completed)
    lines += ["", t("assessments", started=started, completed=completed), ""]
    base = {k: pct(v) for k, v in figures.baseline.items()}
    lines += [t("shares_title"), share_line(figures.total)]
    lines.append(
        t(
            "baseline_line",
            year=figures.baseline_year,
            source=figures.baseline_source,
            know=base["know_sxsh"],
            applied=base["applied_sxsh"],
            dedicated=base["dedicated_unit"],
        )
    )
    for title, rows in (("by_sector", figures.by_sector), ("by_park", figures.by_park)):
        if len(rows) > 1:
            lines += ["", t(title), *(share_line(r) for r in rows[:-1])]
    names = ", ".join(label for _, label in figures.levels)
    lines += ["", t("levels_title", levels=names)]
    for row in figures.levels_by_sector:
        counts = " / ".join(locale.number(n) for n in row.counts.values())
        lines.append(t("level_line", label=row.label, counts=counts))
    lines += ["", t("events_title")]
    for event in figures.events:
        capacity = "" if event.capacity is None else t("capacity", n=locale.number(event.capacity))
        lines.append(
            t(
                "event_line",
                date=locale.date(event.starts_at),
                title=event.title,
                registered=locale.number(event.registered),
                capacity=capacity,
                waiting=locale.number(event.waiting),
                attended=locale.number(event.attended),
            )
        )
    if not figures.events:
        lines.append(t("no_events"))
    lines += ["", t("broadcasts_title")]
    status = "broadcasts.status."
    for b in figures.broadcasts[-SHOWN_BROADCASTS:]:
        lines.append(
            t(
                "broadcast_line",
                id=b.id,
                date=locale.date(b.started_at),
                status=locale.texts.get(locale.lang, status + b.status),
                **{k: locale.number(getattr(b, k)) for k in ("sent", "failed", "skipped")},
                unknown=locale.number(b.unknown),
            )
        )
    if figures.broadcasts:
        total = locale.number(figures.broadcasts_sent)
        lines.append(t("broadcasts_total", n=locale.number(len(figures.broadcasts)), sent=total))
    else:
        lines.append(t("no_broadcasts"))
    counts = {state: locale.number(n) for state, n in figures.tickets.items()}
    lines += ["", t("tickets", **counts)]
    if figures.median_first_reply is not None:
        seconds = figures.median_first_reply
        if seconds < 3600:  # "0 giờ" said nothing of a median of 20 minutes
            minutes = locale.number(max(1, round(seconds / 60)), 0)
            lines.append(t("first_reply_minutes", minutes=minutes))
        else:
            lines.append(t("first_reply", hours=locale.number(seconds / 3600, 1)))
    return "\n".join(lines)
