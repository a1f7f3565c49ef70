"""What parsing one answer gives: the value to store, or the message to show."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Ok:
    """Store `value`; `note` (e.g. "= 800.000.000 đồng/tháng") shows how it was read."""

    value: Any
    note: str | None = None


@dataclass(frozen=True)
class Err:
    message: str


Parsed = Ok | Err
