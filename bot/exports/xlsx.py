"""Excel workbooks for officers: a bold frozen header, a filter and sized columns per sheet;
a person's text that starts with "=" stays text (never a formula); times are naive local
datetimes shown as dd/mm/yyyy hh:mm."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.exports.files import atomic
from content.texts import Texts
from handlers.reports.labels import default_texts, report_text

if TYPE_CHECKING:
    from openpyxl import Workbook

XLSX_DATE_FORMAT = "dd/mm/yyyy hh:mm"
MAX_SHEET_TITLE = 31  # Excel's limit
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # openpyxl refuses these
Progress = Callable[[int, int], None]  # (done, total), for a progress bar


@dataclass(frozen=True)
class Sheet:
    """One sheet: its title (cut to 31 characters), header, rows, and notes below the rows.
    A `filter` adds Excel's auto-filter over the rows (for long lists, not small tables)."""

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]
    notes: Sequence[str] = ()
    filter: bool = True


def _width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    return max((len(line) for line in str(value).splitlines()), default=0)


def _put(sheet: Any, r: int, c: int, value: Any) -> Any:
    if isinstance(value, str):
        value = _ILLEGAL_XML.sub("", value)
    cell = sheet.cell(row=r, column=c, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # a person's text, never a formula
    elif isinstance(value, datetime):
        cell.number_format = XLSX_DATE_FORMAT
    return cell


def _fill(sheet: Any, spec: Sheet, progress: Progress | None) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    for c, h in enumerate(spec.headers, 1):
        cell = _put(sheet, 1, c, h)
        cell.font, cell.alignment = bold, wrap
    widths = [min(len(h), 30) for h in spec.headers]
    for r, values in enumerate(spec.rows, 2):
        for c, value in enumerate(values, 1):
            _put(sheet, r, c, value)
            if r < 2000:  # sizing by the first rows is enough, and fast
                widths[c - 1] = max(widths[c - 1], _width(value))
        if progress is not None:
            progress(r - 1, len(spec.rows))
    for c, w in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(c)].width = max(8, min(w, 50)) + 2
    sheet.freeze_panes = "A2"
    if spec.headers and spec.filter:
        last = get_column_letter(len(spec.headers))
        sheet.auto_filter.ref = f"A1:{last}{len(spec.rows) + 1}"
    for i, note in enumerate(spec.notes):
        _put(sheet, len(spec.rows) + 3 + i, 1, note)


def workbook(sheets: Sequence[Sheet], progress: Progress | None = None) -> Workbook:
    """A workbook with `sheets` in order; `progress` follows the rows of the first sheet."""
    from openpyxl import Workbook

    wb = Workbook()
    for i, spec in enumerate(sheets):
        sheet = wb.active if i == 0 else wb.create_sheet()
        sheet.title = spec.title[:MAX_SHEET_TITLE]
        _fill(sheet, spec, progress if i == 0 else None)
    return wb


def save(wb: Workbook, path: Path | str) -> None:
    """Write `wb` to `path` atomically."""
    with atomic(Path(path), ".xlsx") as tmp:
        wb.save(tmp)


def to_bytes(wb: Workbook) -> bytes:
    """The .xlsx file's bytes (to send as a document in chat)."""
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def responses_workbook(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    summary: tuple[Sequence[str], Sequence[Sequence[Any]]] | None = None,
    lang: str = "vi",
    texts: Texts | None = None,
    notes: Sequence[str] = (),
    progress: Progress | None = None,
) -> Workbook:
    """The responses on a sheet "Phiếu trả lời"/"Responses" and, when given, the summary on a
    second sheet "Tóm tắt"/"Summary" with `notes` below it."""
    texts = texts or default_texts()
    sheets = [Sheet(report_text(texts, lang, "sheet.responses"), headers, rows)]
    if summary is not None:
        title = report_text(texts, lang, "sheet.summary")
        sheets.append(Sheet(title, summary[0], summary[1], notes, filter=False))
    return workbook(sheets, progress)


def write_xlsx(
    path: Path | str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    **options: Any,
) -> None:
    """`responses_workbook(headers, rows, **options)` written to `path` atomically."""
    save(responses_workbook(headers, rows, **options), path)
