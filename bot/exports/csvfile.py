"""CSV files for officers: UTF-8 with BOM (Excel shows Vietnamese right), comma-separated,
decimal point, times as dd/mm/yyyy HH:mm, and no cell that Excel would run as a formula."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.exports.files import atomic
from content.locale import wall_clock

_NUMBER_LIKE = re.compile(r"^[+-]?[\d\s.,]+$")
Progress = Callable[[int, int], None]  # (done, total), for a progress bar


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return wall_clock(value)
    text = str(value)
    # A cell starting like a formula would run in Excel (CSV injection): keep it text.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _NUMBER_LIKE.match(text):
        return "'" + text
    return text


def write_csv(
    path: Path | str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    progress: Progress | None = None,
) -> None:
    """`headers` then `rows` to `path`, atomically; a datetime cell (naive, local) is written
    as dd/mm/yyyy HH:mm."""
    path = Path(path)
    with atomic(path, ".csv") as tmp, tmp.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([_csv_cell(h) for h in headers])
        for i, values in enumerate(rows, 1):
            writer.writerow([_csv_cell(v) for v in values])
            if progress is not None:
                progress(i, len(rows))
