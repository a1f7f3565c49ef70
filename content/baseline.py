"""The baseline officers compare today's shares with (content/baseline.yaml): the shares of
enterprises that knew SXSH, had applied it and had a dedicated unit in the latest survey, with
its year and source. Cần Thơ's is the 2019 survey (Báo Cần Thơ, "Vì mục tiêu sản xuất sạch
hơn", 08/11/2019; ../shared/DOMAIN.md): about 70 %, 45 % and 30 %. Officers edit the file when
a newer survey exists; `load` names every problem with its file and entry."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from content.files import UnreadableFile, read_text

FILE = "baseline.yaml"
SHARES = ("know_sxsh", "applied_sxsh", "dedicated_unit")  # the indicators of the figures


@dataclass(frozen=True)
class Baseline:
    """The survey's year, a short name for chat, the full reference, and its shares in %."""

    year: int = 0
    short: str = ""
    source: str = ""
    shares: dict[str, float] = field(default_factory=dict)


def load(directory: Path, errors: list[str]) -> Baseline:
    """Read content/baseline.yaml; every problem goes to `errors` as "baseline.yaml: entry:
    problem" (a share must be a number from 0 to 100, each of SHARES given once)."""
    try:
        data = yaml.safe_load(read_text(directory / FILE)) or {}
    except (OSError, UnreadableFile, yaml.YAMLError) as exc:
        errors.append(f"{FILE}: cannot read: {exc}".splitlines()[0])
        return Baseline()
    raw = data.get("baseline") if isinstance(data, dict) else None
    if not isinstance(raw, dict):
        errors.append(f"{FILE}: baseline: missing (year, short, source, shares)")
        return Baseline()
    year = raw.get("year")
    if not isinstance(year, int) or not 1990 <= year <= 2100:
        errors.append(f"{FILE}: baseline.year: {year!r} is not a year")
    for key in ("short", "source"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            errors.append(f"{FILE}: baseline.{key}: the survey's source is required")
    given = raw.get("shares") if isinstance(raw.get("shares"), dict) else {}
    shares: dict[str, float] = {}
    for key in SHARES:
        value = given.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
            errors.append(f"{FILE}: baseline.shares.{key}: {value!r} is not a percentage 0-100")
        else:
            shares[key] = float(value)
    for key in given.keys() - set(SHARES):
        errors.append(f"{FILE}: baseline.shares.{key}: unknown (known: {', '.join(SHARES)})")
    return Baseline(year if isinstance(year, int) else 0, str(raw.get("short") or ""),
                    str(raw.get("source") or ""), shares)  # fmt: skip


def load_baseline(directory: Path) -> Baseline:
    """The baseline alone (the report command); raises ContentError listing every problem."""
    from content.texts import ContentError

    errors: list[str] = []
    found = load(directory, errors)
    if errors:
        raise ContentError(errors)
    return found
