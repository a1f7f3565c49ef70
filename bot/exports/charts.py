"""The figures as chart images (PNG) for officers: `/stats` sends them as a photo, `sxsh-bot
report` writes them beside the workbook. Drawn with matplotlib's Agg canvas directly (no pyplot,
no display, no global state shared between threads) in DejaVu Sans, which ships with matplotlib
and has every Vietnamese letter with its marks."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.exports.files import atomic
from content.locale import number_text
from content.textnorm import clip
from content.texts import Texts
from handlers.messages import channel_name
from handlers.reports.figures import Figures
from handlers.reports.summary import INDICATORS, SummaryRow

FONT = "DejaVu Sans"
DPI = 100
COLOURS = ("#2e7d32", "#1565c0", "#ef6c00", "#9e9e9e")  # green, blue, orange, grey
_DRAWING = threading.Lock()
MAX_BARS = 12  # groups or events per panel; more would not be readable on a phone

Panel = Callable[[Axes, Figures, Callable[[str], str]], None]


def _label(text: str, width: int = 28) -> str:
    return clip(text, width)


def _empty(ax: Axes, t: Callable[[str], str]) -> None:
    ax.text(0.5, 0.5, t("empty"), ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


def _indicator_names(t: Callable[[str], str]) -> list[str]:
    return [t("know"), t("applied"), t("dedicated")]


def shares_panel(ax: Axes, figures: Figures, t: Callable[[str], str]) -> None:
    """The three shares now (all enterprises) next to the 2019 survey."""
    ax.set_title(t("shares"))
    now = [figures.total.shares[k] for k in INDICATORS]
    base = [figures.baseline[k] for k in INDICATORS]
    xs = range(len(INDICATORS))
    bars = ax.bar([x - 0.2 for x in xs], [v or 0 for v in now], 0.4, label=t("now"))
    ax.bar([x + 0.2 for x in xs], base, 0.4, label=t("baseline"), color=COLOURS[3])
    shown = ["–" if v is None else number_text(v, figures.lang, 1) for v in now]
    ax.bar_label(bars, labels=shown, fontsize=8)
    ax.set_xticks(list(xs), _indicator_names(t))
    ax.set_ylim(0, 100)
    ax.legend(fontsize=8)


def _grouped_shares(ax: Axes, rows: list[SummaryRow], title: str, t: Callable[[str], str]) -> None:
    ax.set_title(title)
    rows = rows[:-1][:MAX_BARS]  # the total row is on the first panel
    if not rows:
        _empty(ax, t)
        return
    ys = range(len(rows))
    for i, (key, name) in enumerate(zip(INDICATORS, _indicator_names(t), strict=True)):
        values = [r.shares[key] or 0 for r in rows]
        ax.barh([y + (i - 1) * 0.27 for y in ys], values, 0.27, label=name, color=COLOURS[i])
    ax.set_yticks(list(ys), [_label(r.label) for r in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.legend(fontsize=7)


def sector_panel(ax: Axes, figures: Figures, t: Callable[[str], str]) -> None:
    _grouped_shares(ax, figures.by_sector, t("by_sector"), t)


def park_panel(ax: Axes, figures: Figures, t: Callable[[str], str]) -> None:
    _grouped_shares(ax, figures.by_park, t("by_park"), t)


def levels_panel(ax: Axes, figures: Figures, t: Callable[[str], str]) -> None:
    """Enterprises per potential level, stacked, per sector."""
    ax.set_title(t("levels"))
    rows = figures.levels_by_sector[:-1][:MAX_BARS]
    if not rows:
        _empty(ax, t)
        return
    ys = list(range(len(rows)))
    left = [0] * len(rows)
    for i, (level_id, name) in enumerate(figures.levels):
        values = [r.counts[level_id] for r in rows]
        colour = COLOURS[(2, 1, 0, 3)[i % 4]]  # low orange, medium blue, high green, unknown
        ax.barh(ys, values, left=left, label=name, color=colour)
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_yticks(ys, [_label(r.label) for r in rows], fontsize=8)
    ax.invert_yaxis()
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # enterprises are whole
    ax.legend(fontsize=7)


def contacts_panel(ax: Axes, figures: Figures, t: Callable[[str], str]) -> None:
    """People per channel: receiving, stopped, blocked, stacked."""
    ax.set_title(t("contacts"))
    channels = list(figures.contacts)
    if not channels:
        _empty(ax, t)
        return
    bottom = [0] * len(channels)
    for i, state in enumerate(("active", "stopped", "blocked")):
        values = [figures.contacts[c].get(state, 0) for c in channels]
        names = [channel_name(c) for c in channels]
        ax.bar(names, values, bottom=bottom, label=t(state), color=COLOURS[(0, 3, 2)[i]])
        bottom = [a + b for a, b in zip(bottom, values, strict=True)]
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=7)


def events_panel(ax: Axes, figures: Figures, t: Callable[[str], str]) -> None:
    """Registered and attended per event (the last MAX_BARS by start)."""
    ax.set_title(t("events"))
    events = figures.events[-MAX_BARS:]
    if not events:
        _empty(ax, t)
        return
    ys = range(len(events))
    ax.barh([y - 0.2 for y in ys], [e.registered for e in events], 0.4, label=t("registered"))
    ax.barh(
        [y + 0.2 for y in ys],
        [e.attended for e in events],
        0.4,
        label=t("attended"),
        color=COLOURS[0],
    )
    ax.set_yticks(list(ys), [_label(e.title) for e in events], fontsize=8)
    ax.invert_yaxis()
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=7)


def broadcasts_panel(ax: Axes, figures: Figures, t: Callable[[str], str]) -> None:
    """Recipients per broadcast (the last MAX_BARS): delivered, failed or unknown, skipped."""
    ax.set_title(t("broadcasts"))
    shown = figures.broadcasts[-MAX_BARS:]
    if not shown:
        _empty(ax, t)
        return
    names = [f"#{b.id}" for b in shown]
    parts = (("sent", [b.sent for b in shown], COLOURS[0]),
             ("failed", [b.failed + b.unknown for b in shown], COLOURS[2]),
             ("skipped", [b.skipped for b in shown], COLOURS[3]))  # fmt: skip
    bottom = [0] * len(shown)
    for key, values, colour in parts:
        ax.bar(names, values, bottom=bottom, label=t(key), color=colour)
        bottom = [a + b for a, b in zip(bottom, values, strict=True)]
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=7)


PANELS: dict[str, Panel] = {
    "shares": shares_panel,
    "sectors": sector_panel,
    "parks": park_panel,
    "levels": levels_panel,
    "contacts": contacts_panel,
    "events": events_panel,
    "broadcasts": broadcasts_panel,
}


def _words(figures: Figures, texts: Texts) -> Callable[[str], str]:
    return lambda key: texts.get(figures.lang, f"stats.chart.{key}")


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _figure(size: tuple[float, float]) -> Figure:
    figure = Figure(figsize=size, layout="constrained")
    figure.set_dpi(DPI)
    return figure


def figures_png(figures: Figures, texts: Texts) -> bytes:
    """Every panel in one image (1200 × 2000 pixels, two panels a row): the photo `/stats`
    sends."""
    figure = _figure((12, 20))
    t = _words(figures, texts)
    with _font():
        axes = list(figure.subplots((len(PANELS) + 1) // 2, 2).flat)
        for ax, panel in zip(axes, PANELS.values(), strict=False):
            panel(ax, figures, t)
        for ax in axes[len(PANELS) :]:
            ax.set_axis_off()
        return _png(figure)


def panel_png(name: str, figures: Figures, texts: Texts) -> bytes:
    """One panel of PANELS alone (800 × 500 pixels)."""
    figure = _figure((8, 5))
    with _font():
        PANELS[name](figure.subplots(), figures, _words(figures, texts))
        return _png(figure)


def write_charts(figures: Figures, texts: Texts, folder: Path) -> list[Path]:
    """figures.png (all panels) and one chart-<panel>.png per panel in `folder`, atomically."""
    written = []
    files = {"figures.png": lambda: figures_png(figures, texts)}
    for name in PANELS:
        files[f"chart-{name}.png"] = lambda name=name: panel_png(name, figures, texts)
    for filename, draw in files.items():
        path = folder / filename
        with atomic(path, ".png") as tmp:
            tmp.write_bytes(draw())
        written.append(path)
    return written


@contextmanager
def _font() -> Iterator[None]:
    """DejaVu Sans for this drawing. matplotlib is not thread-safe and rc_context changes its
    global settings, so one chart is drawn at a time (chat handlers run in threads)."""
    from matplotlib import rc_context

    with _DRAWING, rc_context({"font.family": FONT, "font.size": 9}):
        yield
