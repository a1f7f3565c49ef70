"""Where a plant is: a phường/xã of the city (since 01/07/2025 there are no districts),
typed with or without diacritics or "phường"/"xã", or an old address naming its ward."""

from __future__ import annotations

import re
from typing import Any

from rapidfuzz import fuzz

from content.forms.choices import FUZZY_MARGIN
from content.forms.schema import Locations
from content.textnorm import fold_words

_WARD_PREFIX = re.compile(r"^(?:(phuong|p|ward)|(xa|x|commune|thi tran|tt))\s+(.+)$")
_DISTRICT_PREFIX = re.compile(r"^(?:quan|q|huyen|h|thi xa|tx|district|town)\s+\S")
_CITY_PREFIX = re.compile(r"^(?:thanh pho|tp|city)\s+(.+)$")
_ORIGINAL_PREFIX = re.compile(
    r"^\s*(?:(?:phường|phuong|ward|xã|xa|commune|thị trấn|thi tran)\s+|(?:p|x|tt)(?:\.\s*|\s+))",
    re.IGNORECASE,
)
_PROVINCE = {"can tho", "hau giang", "soc trang", "viet nam", "vietnam", "vn"}


def _ward_index(locations: Locations) -> list[tuple[str, str, str]]:
    """(folded name, kind, full name) for every phường/xã."""
    return [(fold_words(n), "phuong", f"Phường {n}") for n in locations.phuong] + [
        (fold_words(n), "xa", f"Xã {n}") for n in locations.xa
    ]


def match_ward(locations: Locations, name: str, kind: str | None = None) -> tuple[str, Any]:
    """("ok", full name) | ("ambiguous", [full names]) | ("unknown", None)."""
    f = fold_words(name)
    index = [w for w in _ward_index(locations) if kind is None or w[1] == kind]
    exact = [full for n, _, full in index if n == f]
    if len(exact) == 1:
        return "ok", exact[0]
    if exact:
        return "ambiguous", exact
    if len(f) < 4:
        return "unknown", None
    ranked = sorted(((fuzz.ratio(f, n), full) for n, _, full in index), reverse=True)
    if ranked and ranked[0][0] >= 88:
        if len(ranked) == 1 or ranked[0][0] - ranked[1][0] >= FUZZY_MARGIN:
            return "ok", ranked[0][1]
        return "ambiguous", [full for s, full in ranked[:3] if ranked[0][0] - s < FUZZY_MARGIN]
    return "unknown", None


def _titled(name: str) -> str:
    return " ".join(w[:1].upper() + w[1:] for w in name.split())


def parse_location(
    locations: Locations, raw: str, park: str | None
) -> tuple[dict[str, Any] | None, str | None, Any]:
    """({"park", "ward", "free_text"}, None, None) or (None, error key, detail).

    Accepts a listed phường/xã typed with or without diacritics or "phường"/"xã", a
    "phường X"/"xã Y" not in the list (kept as free text), and an old address that still names
    its ward ("phường An Hòa, quận Ninh Kiều"); rejects input naming only a quận/huyện."""
    park_id = park if locations.park(park) else None
    parts = [p.strip() for p in re.split(r"[,;\n]|\s-\s", raw) if p.strip()]
    district = False
    plain: list[str] = []
    for part in parts:
        f = fold_words(part)
        if not f or f in _PROVINCE:
            continue
        m = _WARD_PREFIX.match(f)
        if m:
            kind = "phuong" if m.group(1) else "xa"
            status, found = match_ward(locations, m.group(3), kind)
            if status == "ok":
                return (
                    {
                        "park": park_id,
                        "ward": found,
                        "free_text": None if len(parts) == 1 else raw.strip(),
                    },
                    None,
                    None,
                )
            if status == "ambiguous":
                return None, "location_ambiguous", found
            # not in the list: keep what they typed, as they typed it
            original = _ORIGINAL_PREFIX.sub("", part).strip() or m.group(3)
            prefix = "Phường" if kind == "phuong" else "Xã"
            return (
                {
                    "park": park_id,
                    "ward": f"{prefix} {_titled(original)}",
                    "free_text": raw.strip(),
                },
                None,
                None,
            )
        if _DISTRICT_PREFIX.match(f):
            district = True
            continue
        c = _CITY_PREFIX.match(f)
        if c:
            if c.group(1) not in _PROVINCE:
                district = True  # "thành phố Vị Thanh" was a district-level city
            continue
        plain.append(part)
    for part in plain:
        status, found = match_ward(locations, part)
        if status == "ok":
            free = None if len(parts) == 1 else raw.strip()
            return {"park": park_id, "ward": found, "free_text": free}, None, None
        if status == "ambiguous":
            return None, "location_ambiguous", found
    if district:
        return None, "location_district", None
    return None, "location_unknown", None
