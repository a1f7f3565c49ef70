"""The neutral Reply -> Zalo OA messages (CHANNELS.md): text at most 2000 characters cut on
paragraphs; up to 5 buttons as a button template (oa.query.hide: a tap comes back as text);
more choices as numbered text, where typing the number presses the choice; an image or a file
first, its text after it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.channels.base import split_text
from bot.channels.zalo_oa.limits import LIMITS, MAX_BUTTONS, TAP, TEXT, TITLE
from handlers.messages import Button, Reply

log = logging.getLogger(__name__)


@dataclass
class Numbered(Reply):
    """A message whose text already ends with its choices numbered 1..n."""


def sendable(buttons: list[Button]) -> list[Button]:
    """The buttons this platform accepts (Limits.sendable)."""
    return LIMITS.sendable(buttons)


def numbered_list(buttons: list[Button]) -> str:
    return "\n".join(f"{i}. {b.label}" for i, b in enumerate(buttons, 1))


def messages(
    replies: list[Reply], text_limit: int = TEXT, max_buttons: int = MAX_BUTTONS
) -> list[Reply]:
    """One Reply per Zalo message, in order. Parts already made by this function pass through
    unchanged, so the delivery engine may split first and send the parts later."""
    out: list[Reply] = []
    for reply in replies:
        if isinstance(reply, Numbered):
            out.append(reply)
            continue
        if reply.attachment is not None:
            out.append(Reply(attachment=reply.attachment))
        buttons = sendable(reply.buttons)
        text = reply.text
        numbered = len(buttons) > max_buttons
        if numbered and reply.expects_number:  # a typed "2" is the answer: labels, no numbers
            listed = "\n".join(f"• {b.label}" for b in buttons)
            text = f"{text}\n\n{listed}" if text else listed
            buttons = []  # Numbered without choices: the stored ones are forgotten
        elif numbered:
            text = f"{text}\n\n{numbered_list(buttons)}" if text else numbered_list(buttons)
        parts = split_text(text, text_limit) if text else []
        if not parts:
            if buttons:
                log.error("a reply with buttons but no text cannot be sent on Zalo")
            continue
        out += [Reply(text=part) for part in parts[:-1]]
        last = Numbered(text=parts[-1], buttons=buttons) if numbered else None
        out.append(last or Reply(text=parts[-1], buttons=buttons))
    return out


def title(label: str) -> str:
    """A button title within Zalo's 100 characters: a longer one is cut after its last whole
    word that fits (mid-word only when that would drop more than half), with "…"."""
    if len(label) <= TITLE:
        return label
    cut = label[: TITLE - 1]
    head = cut.rpartition(" ")[0].rstrip(" ,;:-")
    return (head if len(head) >= TITLE // 2 else cut) + "…"


def message_body(part: Reply) -> tuple[dict, list[str] | None]:
    """The `message` of a text part, and the payloads typing a number presses (None: leave the
    stored choices as they are; [] forget them). Attachments are built by the sender (upload)."""
    if isinstance(part, Numbered):
        return {"text": part.text}, [b.payload for b in part.buttons]
    if not part.buttons:
        return {"text": part.text}, None
    buttons = [
        {"type": "oa.query.hide", "title": title(b.label), "payload": TAP + b.payload}
        for b in part.buttons
    ]
    template = {"template_type": "button", "text": part.text, "buttons": buttons}
    return {"attachment": {"type": "template", "payload": template}}, []


def image_body(attachment_id: str) -> dict:
    element = {"media_type": "image", "attachment_id": attachment_id}
    return {"attachment": {"type": "template", "payload": {"template_type": "media",
                                                            "elements": [element]}}}  # fmt: skip


def file_body(token: str) -> dict:
    return {"attachment": {"type": "file", "payload": {"token": token}}}
