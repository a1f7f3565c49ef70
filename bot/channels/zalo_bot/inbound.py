"""Zalo Bot platform updates -> the neutral Inbound. Updates arrive bare or wrapped in
`{"ok": true, "result": ...}`; only private chats with people are for the bot. The id the core
de-duplicates on is the event name with the message id (CHANNELS.md)."""

from __future__ import annotations

import logging
from typing import Any

from bot.channels.zalo_bot.limits import CHANNEL
from handlers.messages import Inbound

log = logging.getLogger(__name__)

TEXT = "message.text.received"
IMAGE = "message.image.received"
UNSUPPORTED = {"message.sticker.received", "message.unsupported.received"}


def unwrap(body: Any) -> dict | None:
    """The update itself, whether bare or in an ok/result envelope; None for anything else."""
    if isinstance(body, dict) and "result" in body and "event_name" not in body:
        body = body["result"]
    return body if isinstance(body, dict) else None


def event_key(update: dict) -> str:
    message = update.get("message") if isinstance(update.get("message"), dict) else {}
    return f"{update.get('event_name')}:{message.get('message_id')}"


def to_inbound(update: dict) -> Inbound | None:
    name = str(update.get("event_name") or "")
    message = update.get("message") if isinstance(update.get("message"), dict) else {}
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    sender = message.get("from") if isinstance(message.get("from"), dict) else {}
    if not chat.get("id") or not message.get("message_id"):
        return None
    if str(chat.get("chat_type", "PRIVATE")).upper() != "PRIVATE" or sender.get("is_bot"):
        return None  # groups and bots: not for this bot
    common = dict(
        channel=CHANNEL,
        user_id=str(chat["id"]),
        display_name=sender.get("display_name"),
        message_id=event_key(update),
    )
    if name == TEXT:
        return Inbound(text=str(message.get("text") or ""), **common)
    if name == IMAGE:
        caption = message.get("caption")
        if isinstance(caption, str) and caption.strip():
            return Inbound(text=caption, **common)
        return Inbound(kind="unsupported", **common)
    if name in UNSUPPORTED:
        return Inbound(kind="unsupported", **common)
    log.info("ignored a Zalo Bot event of type %s", name[:40] or "unknown")
    return None
