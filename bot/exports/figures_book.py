"""The figures as an Excel workbook (`sxsh-bot report`): one sheet per table, the same numbers
`/stats` shows and the charts draw (handlers/reports/figures.py). Shares are numbers in % with
one decimal, blank where nobody answered."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.exports.xlsx import Sheet, workbook
from content.locale import Locale, in_zone
from content.texts import Texts
from handlers.messages import channel_name
from handlers.reports.figures import Figures
from handlers.reports.summary import INDICATORS, SummaryRow

if TYPE_CHECKING:
    from openpyxl import Workbook

BROADCAST_COUNTS = ("sent", "failed", "skipped", "unknown", "open")


def _shares_sheet(title: str, first: str, rows: list[SummaryRow], t: Callable[[str], str]) -> Sheet:
    headers = [
        first,
        t("reports.summary.count"),
        t("reports.summary.know"),
        t("reports.summary.applied"),
        t("reports.summary.dedicated"),
    ]
    body = [[r.label, r.count, r.know, r.applied, r.dedicated] for r in rows]
    return Sheet(title, headers, body, filter=False)


def figures_workbook(figures: Figures, texts: Texts, tz: ZoneInfo) -> Workbook:
    """Overview (contacts, assessments, questions, broadcast messages delivered, the three
    shares next to 2019), by sector, by park, potential levels by sector, people per channel,
    events, broadcasts. Event starts are naive
    local datetimes in `tz` (Excel has no time zones)."""

    def t(key: str, **fields: Any) -> str:
        return texts.get(figures.lang, key, **fields)

    def c(key: str) -> str:
        return t(f"stats.col.{key}")

    total = figures.total
    overview: list[list[Any]] = [
        [c("started"), figures.started],
        [c("completed"), figures.completed],
        [c("tickets_open"), figures.tickets["open"]],
        [c("tickets_pending"), figures.tickets["pending"]],
        [c("tickets_unclaimed"), figures.tickets["unclaimed"]],
    ]
    if figures.median_first_reply is not None:
        overview.append([c("first_reply_hours"), round(figures.median_first_reply / 3600, 1)])
    overview.append([c("broadcasts_sent"), figures.broadcasts_sent])
    for key, name in zip(INDICATORS, ("know", "applied", "dedicated"), strict=True):
        overview.append([t(f"reports.summary.{name}"), total.shares[key]])
        overview.append(
            [f"{t(f'reports.summary.{name}')} – {c('baseline')}", figures.baseline[key]]
        )
    locale = Locale(figures.lang, tz, texts)
    period = t("stats.since", date=locale.date(figures.since)) if figures.since else None
    period = period or t("stats.all_time")
    level_names = [label for _, label in figures.levels]
    states = ("active", "stopped", "blocked")
    sheets = [
        Sheet(t("stats.sheet.overview"), [c("figure"), c("value")], overview, [period], False),
        _shares_sheet(t("stats.sheet.by_sector"), c("sector"), figures.by_sector, t),
        _shares_sheet(
            t("stats.sheet.by_park"), t("reports.summary.industrial_park"), figures.by_park, t
        ),
        Sheet(
            t("stats.sheet.levels"),
            [c("sector"), *level_names],
            [[r.label, *r.counts.values()] for r in figures.levels_by_sector],
            filter=False,
        ),
        Sheet(
            t("stats.sheet.contacts"),
            [c("channel"), *(t(f"stats.chart.{s}") for s in states), c("total")],
            [
                [channel_name(ch), *(n[s] for s in states), sum(n.values())]
                for ch, n in figures.contacts.items()
            ],
            filter=False,
        ),
        Sheet(
            t("stats.sheet.events"),
            [
                c(k)
                for k in (
                    "code",
                    "title",
                    "start",
                    "status",
                    "capacity",
                    "registered",
                    "waiting",
                    "attended",
                )
            ],
            [
                [
                    e.code,
                    e.title,
                    in_zone(e.starts_at, tz).replace(tzinfo=None),
                    e.status,
                    e.capacity,
                    e.registered,
                    e.waiting,
                    e.attended,
                ]
                for e in figures.events
            ],
        ),
        Sheet(
            t("stats.sheet.broadcasts"),
            [c(k) for k in ("broadcast", "start", "status", *BROADCAST_COUNTS)],
            [
                [
                    b.id,
                    in_zone(b.started_at, tz).replace(tzinfo=None),
                    t(f"broadcasts.status.{b.status}"),
                    *(getattr(b, k) for k in BROADCAST_COUNTS),
                ]
                for b in figures.broadcasts
            ],  # fmt: skip
        ),
    ]
    return workbook(sheets)
