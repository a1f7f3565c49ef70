"""The neutral conversation types. Channels turn platform updates into `Inbound` and render
`Reply`; handlers never see a platform object."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# What people and officers read for a channel key (brand names, the same in every language).
CHANNEL_NAMES = {
    "telegram": "Telegram",
    "zalo_oa": "Zalo OA",
    "zalo_bot": "Zalo",
    "console": "Terminal",
}


def channel_name(channel: object) -> str:
    """The name of a channel key ("zalo_oa" -> "Zalo OA"); an unknown key as it is."""
    return CHANNEL_NAMES.get(str(channel), str(channel))


@dataclass(frozen=True)
class InboundFile:
    """A photo or document a person sent, as the platform keeps it: `file_id` is the
    platform's own reference (Telegram's file_id), valid on that channel only."""

    channel: str
    kind: str  # "photo" | "document"
    file_id: str
    filename: str | None = None
    mime_type: str | None = None


@dataclass(frozen=True)
class Inbound:
    channel: str  # "telegram" | "zalo_oa" | "zalo_bot" | "console"
    user_id: str  # the platform's id for the person
    text: str | None = None  # what they typed
    payload: str | None = None  # the payload of a pressed button
    display_name: str | None = None
    language: str | None = None  # the platform's hint, e.g. Telegram's language_code
    kind: str = "message"  # message | button | blocked | unblocked | unsupported
    message_id: str | None = None  # for de-duplication where platforms redeliver
    # The text of the bot's own message this one replies to (Telegram's "reply"): an officer
    # replying to a ticket card answers that ticket.
    reply_to: str | None = None
    file: InboundFile | None = None  # a photo or document sent with (or instead of) the text

    @property
    def command(self) -> tuple[str, str] | None:
        """("start", "args") for "/start args"; Telegram's "/start@BotName" counts too, and so
        does a command after a space or before a new line (phone keyboards add them)."""
        text = (self.text or "").lstrip()
        if not text.startswith("/"):
            return None
        parts = text[1:].split(None, 1)
        name = parts[0].split("@", 1)[0].lower() if parts else ""
        return (name, parts[1].strip() if len(parts) > 1 else "") if name else None


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
    # A file the platform already holds (an InboundFile): sent by reference, not uploaded, and
    # only on its own channel.
    file_id: str | None = None
    file_channel: str | None = None


@dataclass
class Reply:
    text: str = ""
    # What the person can press, in order. Intent, not layout: each channel lays them out
    # (Telegram rows, Zalo at most 5 then numbered text, the console numbered).
    buttons: list[Button] = field(default_factory=list)
    attachment: Attachment | None = None
    # The reply asks for a number: channels that let a typed number press a button (the
    # console, Zalo's numbered choices) do not number these buttons, so "2" is the answer.
    expects_number: bool = False


@dataclass(frozen=True)
class Outbound:
    """A proactive message (reminder, broadcast) for one contact, produced outside a reply."""

    contact_id: int
    reply: Reply
    created_at: datetime | None = None
