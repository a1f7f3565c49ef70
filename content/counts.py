"""Numbers filled into texts choose their words: `{n:seat/seats}` is "seat" for 1 and "seats"
for any other number, so English texts never say "1 seats left." (new-user tester). Used by
every text filler (content/texts.py, the questionnaire engine's content/forms/wording.py)."""

from __future__ import annotations

from collections.abc import Mapping


class Count(int):
    """A whole number filled into a text. `{n:seat/seats}` writes the word for one, or the word
    for any other number (English "1 seat left.", "2 seats left."); other specs are int's."""

    def __format__(self, spec: str) -> str:
        if "/" in spec:
            one, _, more = spec.partition("/")
            return one if self == 1 else more
        return int.__format__(self, spec)


def counted(fields: Mapping[str, object]) -> dict[str, object]:
    """`fields` with every whole number (not a bool) able to choose its word (Count)."""
    return {k: Count(v) if type(v) is int else v for k, v in fields.items()}
