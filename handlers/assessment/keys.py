"""Button payloads of the assessment: short keys that say what a button means and when it was
issued, independent of content ids and of the order of choices.

    as:c:<step>:<value key>   choose (single choice, yes/no, a suggested ward)
    as:t:<step>:<value key>   toggle in a multi choice
    as:d:<step>:<value key>   done with a multi choice (value key of the question itself)
    as:s:<step> / as:b:<step> skip / back
    as:y:<ticket> / as:n:<ticket>   consent yes / no
    as:r:<ticket> / as:x:<ticket> / as:l:<ticket>   resume / restart / later
    as:result

A value key is a digest of (questionnaire id, version, question id, value): a button pressed
after officers reordered choices still means the value it shows; one whose value, question or
questionnaire version is gone matches nothing and is refused. A step is a digest of (response
id, every stored answer including drafts): any change (an answer, a skip, a toggle, a back)
moves the step, so the second tap of a double tap is refused instead of acting on the next
question. Consent tickets are bound to the contact's latest response, resume/restart/later
tickets to the response they were offered for.

Every payload is at most 22 bytes (Telegram allows 64, Zalo 1,000). Digests are not secrets: a
forged key can only do what pressing a shown button does.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

# The name of the assessment's free-text flow (contacts.active_flow).
FLOW = "assessment"

PREFIX = "as:"
KEY_CHARS = 8  # 40 bits: collisions among the choices of one question are negligible
MAX_PAYLOAD_BYTES = 64  # Telegram's callback_data limit, the tightest of the channels
STEP_ACTIONS = {"c", "t", "d", "s", "b"}
TICKET_ACTIONS = {"y", "n", "r", "x", "l"}


def _digest(*parts: Any) -> str:
    data = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str).encode()
    raw = hashlib.blake2s(data, digest_size=5).digest()
    return base64.b32encode(raw).decode().lower()[:KEY_CHARS]


def value_key(questionnaire_id: str, version: int | str, question_id: str, value: str) -> str:
    return _digest("v", questionnaire_id, str(version), question_id, value)


def step_key(response_id: int | None, answers: dict[str, Any]) -> str:
    return _digest("s", response_id, answers)


def ticket(*parts: Any) -> str:
    return _digest("t", *parts)


def payload(action: str, token: str, key: str = "") -> str:
    return f"{PREFIX}{action}:{token}" + (f":{key}" if key else "")


@dataclass(frozen=True)
class Press:
    """A parsed assessment button: `action` letter, the step or ticket, the value key."""

    action: str
    token: str = ""
    key: str = ""


def parse(arg: str) -> Press | None:
    """The part after "as:"; None for anything not issued in this format (old or forged)."""
    if arg == "result":
        return Press("result")
    parts = arg.split(":")
    if not parts or not all(_well_formed(p) for p in parts[1:]):
        return None
    action = parts[0]
    if action in STEP_ACTIONS and len(parts) == (2 if action in ("s", "b") else 3):
        return Press(action, parts[1], parts[2] if len(parts) == 3 else "")
    if action in TICKET_ACTIONS and len(parts) == 2:
        return Press(action, parts[1])
    return None


def _well_formed(part: str) -> bool:
    return len(part) == KEY_CHARS and part.isascii() and part.isalnum()
