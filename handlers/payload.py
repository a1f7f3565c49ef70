"""Numbers read from what a person or officer can type or forge (button payloads, `/reply N`):
ASCII digits only ("²", "١٢" and full-width digits are digits to str.isdigit(), not ids), and
never larger than a database id can be, so junk gets the ordinary refusal, never an error."""

from __future__ import annotations

MAX_ID = 2**63 - 1  # the largest id SQLite's INTEGER and PostgreSQL's BIGINT hold


def row_id(text: str) -> int | None:
    """A positive database id, or None (not a number, zero, or too large for any row)."""
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None
