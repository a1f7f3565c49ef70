"""The neutral conversation types. Channels turn platform updates into `Inbound` and render
`Reply`; handlers never see a platform object."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Inbound:
    channel: str  # "telegram" | "zalo" | "console"
    user_id: str  # the platform's id for the person
    text: str | None = None  # what they typed
    payload: str | None = None  # the payload of a pressed button
    display_name: str | None = None
    language: str | None = None  # the platform's hint, e.g. Telegram's language_code
    kind: str = "message"  # message | button | blocked | unblocked | unsupported
    message_id: str | None = None  # for de-duplication where platforms redeliver

    @property
    def command(self) -> tuple[str, str] | None:
        """("start", "args") for "/start args"; Telegram's "/start@BotName" counts too."""
        if not self.text or not self.text.startswith("/"):
            return None
        head, _, rest = self.text[1:].partition(" ")
        name = head.split("@", 1)[0].lower()
        return (name, rest.strip()) if name else None


@dataclass(frozen=True)
class Button:
    label: str
    payload: str  # a short key "ns:arg"; each channel checks its own limit (Telegram: 64 bytes)


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes
    mime_type: str = "application/octet-stream"
    is_image: bool = False


@dataclass
class Reply:
    text: str = ""
    # What the person can press, in order. Intent, not layout: each channel lays them out
    # (Telegram rows, Zalo at most 5 then numbered text, the console numbered).
    buttons: list[Button] = field(default_factory=list)
    attachment: Attachment | None = None


@dataclass(frozen=True)
class Outbound:
    """A proactive message (reminder, broadcast) for one contact, produced outside a reply."""

    contact_id: int
    reply: Reply
    created_at: datetime | None = None


def split_text(text: str, limit: int = 2000) -> list[str]:
    """Split a long answer on paragraph boundaries (then lines, then words) to fit a channel;
    nothing is lost. 2000 characters is the smallest channel limit (Zalo)."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    chunks: list[str] = []
    current = ""
    for part in text.split("\n\n"):
        candidate = f"{current}\n\n{part}" if current else part
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            chunks.append(current)
        while len(part) > limit:  # one paragraph over the limit: cut at a line, else a word
            cut = part.rfind("\n", 0, limit)
            if cut <= 0:
                cut = part.rfind(" ", 0, limit)
            if cut <= 0:
                cut = limit
            chunks.append(part[:cut].rstrip())
            part = part[cut:].lstrip()
        current = part
    if current:
        chunks.append(current)
    return chunks
