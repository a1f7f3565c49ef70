"""Reading events from the files officers keep (YAML, CSV, XLSX) into checked event fields.

Every row is checked before anything is written; each problem names its line (the file's own
line or row number) and field, so an officer can fix the sheet and import it again. The same
file imported twice changes nothing: events are matched by their stable `code`."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from content.events import EventsConfig
from storage.broadcast_audience import fold
from storage.events_models import EventKind

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
COLUMNS = [
    "code",
    "kind",
    "status",
    "title_vi",
    "title_en",
    "description_vi",
    "description_en",
    "start",
    "end",
    "place",
    "online_url",
    "organiser",
    "capacity",
    "registration_deadline",
    "topics",
    "sectors",
    "parks",
    "wards",
    "levels",
]
AUDIENCE = ("sectors", "parks", "wards", "levels")
STATUSES = ("draft", "published")


@dataclass
class Row:
    line: int  # the line (CSV, YAML) or row (XLSX) an officer sees in their editor
    values: dict
    lines: dict | None = None  # YAML: the line of each field, for a more precise message


@dataclass
class Checked:
    line: int
    fields: dict  # columns of storage.events_models.Event
    status: str  # draft | published


class ImportError_(Exception):  # noqa: N801 (the builtin ImportError means something else)
    """The file cannot be imported; `errors` has one line per problem, each naming its line."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


def read_rows(path: Path) -> list[Row]:
    """Rows of a .yaml/.yml (a list of mappings), .csv (UTF-8, header row) or .xlsx file (the
    first sheet, header row). Raises ImportError_ for an unreadable file."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".yaml", ".yml"):
            return _yaml_rows(path.read_text(encoding="utf-8"))
        if suffix == ".csv":
            return _csv_rows(path.read_text(encoding="utf-8-sig"))
        if suffix == ".xlsx":
            return _xlsx_rows(path)
    except UnicodeDecodeError:
        raise ImportError_([f"{path.name}: not UTF-8 text – save it as CSV UTF-8"]) from None
    except (OSError, yaml.YAMLError, ValueError, csv.Error) as exc:
        raise ImportError_([f"{path.name}: cannot read: {exc}".splitlines()[0]]) from None
    raise ImportError_([f"{path.name}: use a .yaml, .csv or .xlsx file"])


def _yaml_rows(text: str) -> list[Row]:
    root = yaml.compose(text)
    if root is None:
        return []
    nodes = root.value if isinstance(root, yaml.SequenceNode) else None
    if isinstance(root, yaml.MappingNode):  # {events: [...]}
        for key, value in root.value:
            if key.value == "events" and isinstance(value, yaml.SequenceNode):
                nodes = value.value
    if nodes is None:
        raise ValueError("expected a list of events (or `events:` with a list)")
    rows = []
    for node in nodes:
        data = yaml.safe_load(yaml.serialize(node))
        lines = {}
        if isinstance(node, yaml.MappingNode):
            lines = {k.value: k.start_mark.line + 1 for k, _ in node.value}
        rows.append(Row(node.start_mark.line + 1, data if isinstance(data, dict) else {}, lines))
    return rows


def _csv_rows(text: str) -> list[Row]:
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    for record in reader:
        values = {(k or "").strip(): v for k, v in record.items() if k}
        if any((v or "").strip() for v in values.values()):
            rows.append(Row(reader.line_num, values))
    return rows


def _xlsx_rows(path: Path) -> list[Row]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
    except (BadZipFile, InvalidFileException, KeyError):  # e.g. a text file named .xlsx
        message = "not an Excel workbook (.xlsx) – save it from Excel as .xlsx"
        raise ImportError_([f"{path.name}: {message}"]) from None
    lines = sheet.iter_rows(values_only=True)
    header = [str(c or "").strip() for c in next(lines, ())]
    rows = []
    for number, cells in enumerate(lines, start=2):
        values = {h: c for h, c in zip(header, cells, strict=False) if h}
        if any(c not in (None, "") for c in values.values()):
            rows.append(Row(number, values))
    return rows


def check_rows(
    rows: list[Row],
    config: EventsConfig,
    tz: ZoneInfo,
    audience: Mapping[str, list[str]] | None = None,
) -> list[Checked]:
    """Check every row; raises ImportError_ listing all problems (line, field, what is wrong).
    `audience` gives the values each of sectors, parks, wards, levels may take (the
    questionnaire's choices, the known wards, the result levels): a value matching none is a
    problem, since the event would reach nobody; None skips that check."""
    errors: list[str] = []
    checked: list[Checked] = []
    seen: dict[str, int] = {}
    for row in rows:
        problems: list[str] = []
        result = _check(row.values, config, tz, problems)
        if audience is not None:
            result["audience"] = _check_audience(row.values, audience, problems)
        code = result.get("code")
        if code in seen:
            problems.append(f"code: {code!r} is already used on line {seen[code]}")
        elif code:
            seen[code] = row.line
        for p in problems:
            line = (row.lines or {}).get(p.split(":", 1)[0], row.line)
            errors.append(f"line {line}: {p}")
        if not problems:
            checked.append(Checked(row.line, result, result.pop("_status")))
    if not rows:
        errors.append("the file has no events")
    if errors:
        raise ImportError_(errors)
    return checked


def seat_problems(session, checked: list[Checked]) -> list[str]:  # noqa: ANN001
    """Rows that would give an event fewer seats than people already registered ("4/2"):
    one line each, naming the line, the seats and the registrations."""
    from storage import events as store

    problems = []
    for row in checked:
        seats = row.fields.get("capacity")
        event = store.by_code(session, row.fields["code"])
        if event is not None and seats is not None and seats < event.seats_taken:
            problems.append(
                f"line {row.line}: capacity: {seats} is fewer than the {event.seats_taken} "
                f"people registered for {event.code} (cancel registrations first)"
            )
    return problems


def _text(values: dict, key: str) -> str:
    value = values.get(key)
    return "" if value is None else str(value).strip()


def _list(values: dict, key: str) -> list[str]:
    value = values.get(key)
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in re.split(r"[,;\n]", _text(values, key)) if v.strip()]


def _moment(value: object, tz: ZoneInfo) -> tuple[datetime, bool] | None:
    """(aware UTC datetime, date_only) from a local "YYYY-MM-DD HH:MM", a date, or a cell."""
    if isinstance(value, datetime):
        if value.time() == time(0) and value.tzinfo is None:
            value = value.date()  # an Excel date cell reads as midnight: it is a date alone
        else:
            local = value if value.tzinfo else value.replace(tzinfo=tz)
            return local.astimezone(ZoneInfo("UTC")), False
    if isinstance(value, date):
        return datetime.combine(value, time(0), tz).astimezone(ZoneInfo("UTC")), True
    text = str(value or "").strip()
    for fmt, date_only in (
        ("%Y-%m-%d %H:%M", False),
        ("%Y-%m-%dT%H:%M", False),
        ("%Y-%m-%d", True),
    ):
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return parsed.replace(tzinfo=tz).astimezone(ZoneInfo("UTC")), date_only
    return None


def _check(values: dict, config: EventsConfig, tz: ZoneInfo, problems: list[str]) -> dict:
    unknown = sorted(set(values) - set(COLUMNS))
    if unknown:
        problems.append(f"unknown column(s) {', '.join(unknown)}; known: {', '.join(COLUMNS)}")
    out: dict = {}
    code = _text(values, "code")
    if not CODE.match(code):
        problems.append("code: required, letters, digits, '.', '-' or '_' (at most 64)")
    out["code"] = code
    kind = _text(values, "kind")
    if kind not in config.kinds or kind not in set(EventKind):
        problems.append(f"kind: {kind!r} is not one of {', '.join(config.kinds)}")
    out["kind"] = kind
    status = _text(values, "status") or "draft"
    if status not in STATUSES:
        problems.append(f"status: {status!r} must be draft or published")
    out["_status"] = status
    for key in ("title_vi", "title_en", "description_vi", "description_en", "place"):
        out[key] = _text(values, key)
    out["online_url"] = _text(values, "online_url")
    out["organiser"] = _text(values, "organiser")
    if not out["title_vi"]:
        problems.append("title_vi: required (the Vietnamese title)")
    if len(out["title_vi"]) > 256 or len(out["title_en"]) > 256:
        problems.append("title: at most 256 characters")
    if out["online_url"] and not out["online_url"].startswith(("https://", "http://")):
        problems.append("online_url: must start with https://")
    out["capacity"] = None
    if _text(values, "capacity"):
        try:
            out["capacity"] = int(float(_text(values, "capacity")))
            if out["capacity"] < 1 or out["capacity"] != float(_text(values, "capacity")):
                raise ValueError
        except ValueError:
            problems.append("capacity: a whole number of seats, 1 or more (empty: no limit)")
    start = _moment(values.get("start"), tz)
    if start is None:
        problems.append(
            f"start: {_text(values, 'start')!r} is not YYYY-MM-DD HH:MM (or YYYY-MM-DD)"
        )
    else:
        _check_times(values, out, start, kind, tz, problems)
    topics = _list(values, "topics") or ([config.kind(kind).topic] if kind in config.kinds else [])
    bad = [t for t in topics if t not in config.topics]
    if bad:
        problems.append(f"topics: {', '.join(bad)} not in {', '.join(config.topics)}")
    out["topics"] = _json(topics)
    out["audience"] = _json({k: _list(values, k) for k in AUDIENCE if _list(values, k)})
    return out


def _check_times(
    values: dict, out: dict, start: tuple[datetime, bool], kind: str, tz: ZoneInfo, problems: list
) -> None:
    out["starts_at"], out["date_only"] = start
    out["deadline_on"] = None
    if out["date_only"]:
        if kind != EventKind.programme_deadline:
            problems.append("start: only a programme_deadline may be a date without a time")
        out["deadline_on"] = out["starts_at"].astimezone(tz).date()
    elif kind != EventKind.programme_deadline and not (out["place"] or out["online_url"]):
        problems.append("place: give a place or an online_url")
    out["ends_at"] = None
    if _text(values, "end"):
        end = _moment(values.get("end"), tz)
        if end is None or end[1] or end[0] <= out["starts_at"]:
            problems.append("end: must be a date and time after the start")
        else:
            out["ends_at"] = end[0]
    out["registration_deadline"] = None
    if _text(values, "registration_deadline"):
        moment = _moment(values.get("registration_deadline"), tz)
        if moment is None:
            problems.append("registration_deadline: not YYYY-MM-DD HH:MM")
            return
        # A date alone closes registration at the end of that local day.
        at = moment[0] + (timedelta(days=1) if moment[1] else timedelta(0))
        if at > out["starts_at"] + timedelta(days=1 if out["date_only"] else 0):
            problems.append("registration_deadline: must not be after the start")
        out["registration_deadline"] = at


def _check_audience(values: dict, valid: Mapping[str, list[str]], problems: list[str]) -> str:
    """The audience as JSON, each value spelled as the enterprises' records spell it (compared
    as broadcast audiences compare them: `fold`); a value that names nothing is a problem
    listing the valid ones."""
    audience: dict[str, list[str]] = {}
    for key in AUDIENCE:
        given = _list(values, key)
        if not given:
            continue
        known = {fold(v): v for v in valid.get(key, [])}
        bad = [v for v in given if fold(v) not in known]
        if bad:
            shown = ", ".join(valid.get(key, [])[:40]) or "-"
            problems.append(f"{key}: {', '.join(bad)} not in {shown}")
        audience[key] = [known.get(fold(v), v) for v in given]
    return _json(audience)


def _json(value: object) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, sort_keys=True)
