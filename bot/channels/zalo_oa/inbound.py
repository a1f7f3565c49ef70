"""Zalo OA webhook events -> the neutral Inbound (CHANNELS.md "Events").

* user_send_text: text; a button tap arrives the same way with the payload as text (marked with
  limits.TAP);
* image, file, sticker, gif, audio, video, location, link, business card: "not understood",
  unless the person wrote a caption, which is read as text;
* follow / unfollow: the contact is back / gone (like Telegram's unblock / block);
* user_withdraw: the person exercises their data rights: the same deletion as /deletedata;
* anonymous_send_*: a person chatting without sharing their id, answered in that conversation;
* oa_send_* echoes (an officer typing in Zalo's own OA chat tool) are not messages to the bot:
  see echo_of(); receipts, seen, reactions and unknown events are ignored (None).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from bot.channels.zalo_oa.limits import CHANNEL, TAP
from handlers.messages import Inbound

log = logging.getLogger(__name__)

# The payload of the deletion's confirmation button (handlers/privacy.py): user_withdraw runs it.
DELETE_PAYLOAD = "pv:withdraw"  # erases at once (handlers.privacy.button)
ANONYMOUS = "anon:"  # platform id prefix of an anonymous person: "anon:<anonymous_id>"
MEDIA = {"image", "file", "sticker", "gif", "audio", "video", "location", "link", "business_card"}
IGNORED = {
    "user_received_message",
    "user_seen_message",
    "user_reacted_message",
    "user_click_chatnow",
    "user_submit_info",
    "oa_reacted_message",
}


@dataclass(frozen=True)
class Echo:
    """A message an officer sent from Zalo's own OA chat tool."""

    user_id: str
    admin_id: str | None
    text: str
    msg_id: str


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def event_key(event: dict) -> str:
    """The id to de-duplicate on: the message's msg_id, else a digest of the event's name,
    sender and time (follow, unfollow and withdraw carry no message)."""
    message = event.get("message") if isinstance(event.get("message"), dict) else {}
    if message.get("msg_id"):
        return _str(message["msg_id"])
    follower = event.get("follower") if isinstance(event.get("follower"), dict) else {}
    who = _str(follower.get("id") or (event.get("sender") or {}).get("id"))
    raw = f"{event.get('event_name')}\x00{who}\x00{event.get('timestamp')}"
    return "ev:" + hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


def to_inbound(event: dict) -> Inbound | None:
    """The neutral form of a webhook event, or None for events the bot does not answer."""
    name = _str(event.get("event_name"))
    sender = event.get("sender") if isinstance(event.get("sender"), dict) else {}
    message = event.get("message") if isinstance(event.get("message"), dict) else {}
    key = event_key(event)
    if name in ("follow", "unfollow"):
        follower = event.get("follower") if isinstance(event.get("follower"), dict) else {}
        user = _str(follower.get("id") or sender.get("id"))
        kind = "unblocked" if name == "follow" else "blocked"
        return Inbound(channel=CHANNEL, user_id=user, kind=kind, message_id=key) if user else None
    if name == "user_withdraw":
        user = _str(sender.get("id") or event.get("user_id"))
        if not user:
            return None
        return Inbound(
            channel=CHANNEL, user_id=user, payload=DELETE_PAYLOAD, kind="button", message_id=key
        )
    for prefix, anonymous in (("user_send_", False), ("anonymous_send_", True)):
        if name.startswith(prefix):
            user = _str(sender.get("id"))
            if not user:
                return None
            user = ANONYMOUS + user if anonymous else user
            return _message(name[len(prefix) :], user, message, key)
    if name.startswith("oa_send_") or name in IGNORED:
        return None
    log.info("ignored a Zalo OA event of type %s", name[:40] or "unknown")
    return None


def _message(kind: str, user: str, message: dict, key: str) -> Inbound:
    text = message.get("text")
    common = dict(channel=CHANNEL, user_id=user, message_id=key)
    if kind == "text":
        text = _str(text)
        if text.startswith(TAP):
            return Inbound(payload=text[len(TAP) :], kind="button", **common)
        return Inbound(text=text, **common)
    # A photo or file with a caption: the caption is what the person wrote to the bot.
    if isinstance(text, str) and text.strip() and kind in MEDIA - {"link"}:
        return Inbound(text=text, **common)
    return Inbound(kind="unsupported", **common)


def echo_of(event: dict) -> Echo | None:
    """The officer's message of an oa_send_text echo (other oa_send_* types: their text, if
    any); None for every other event."""
    name = _str(event.get("event_name"))
    if not name.startswith("oa_send_"):
        return None
    sender = event.get("sender") if isinstance(event.get("sender"), dict) else {}
    recipient = event.get("recipient") if isinstance(event.get("recipient"), dict) else {}
    message = event.get("message") if isinstance(event.get("message"), dict) else {}
    user = _str(recipient.get("id"))
    if not user:
        return None
    admin = sender.get("admin_id")
    text = _str(message.get("text")) or f"[{name[len('oa_send_') :]}]"
    return Echo(user, _str(admin) or None, text, event_key(event))


def conversation_id(event: dict) -> str | None:
    """The conversation an anonymous person is answered in."""
    message = event.get("message") if isinstance(event.get("message"), dict) else {}
    value = message.get("conversation_id") or event.get("conversation_id")
    return _str(value) or None
