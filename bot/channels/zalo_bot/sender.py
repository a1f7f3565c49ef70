"""Sends to one Zalo Bot chat: text cut at 2000 characters on paragraphs, every reply's
choices as numbered text (the platform has no buttons; typing the number presses the choice,
remembered per contact as on Zalo OA). Attachments: their text only, with the file's name."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot import metrics
from bot.channels.base import split_text
from bot.channels.errors import Throttled
from bot.channels.zalo_bot.client import ZaloBotClient, ZaloBotError, classify
from bot.channels.zalo_bot.limits import CHANNEL, TEXT
from handlers.clock import Clock
from handlers.messages import Button, Reply
from storage import zalo_oa as store
from storage.db import session_scope


@dataclass
class Numbered(Reply):
    """A message whose text already ends with its choices numbered 1..n."""


def messages(replies: list[Reply], limit: int = TEXT) -> list[Reply]:
    """One Reply per message. The choices of one answer are numbered on across its replies
    (two event cards: 1, then 2, 3…) and each Numbered part carries every choice numbered so
    far, so the number typed under an earlier card presses that card's button."""
    out: list[Reply] = []
    shown: list[Button] = []  # the answer's choices numbered so far, in order
    for reply in replies:
        if isinstance(reply, Numbered):  # made here before: it carries the numbers shown so far
            shown = list(reply.buttons)
        if isinstance(reply, Numbered) or (not reply.buttons and len(reply.text) <= limit
                                           and reply.attachment is None):  # fmt: skip
            if reply.text:
                out.append(reply)
            continue
        text = reply.text
        if reply.attachment is not None:  # no upload on this platform: say what it was
            text = (
                f"{text}\n\n📎 {reply.attachment.filename}"
                if text
                else f"📎 {reply.attachment.filename}"
            )
        numbered = bool(reply.buttons) and not reply.expects_number
        if reply.buttons:  # under a number question a typed "2" is the answer, not a choice
            first = len(shown) + 1
            listed = "\n".join(
                f"{i}. {b.label}" if numbered else f"• {b.label}"
                for i, b in enumerate(reply.buttons, first)
            )
            shown = [*shown, *reply.buttons] if numbered else []
            text = f"{text}\n\n{listed}" if text else listed
        parts = split_text(text, limit)
        out += [Reply(text=p) for p in parts[:-1]]
        if parts:
            # a number question's part is Numbered with no choices: it clears the old ones
            out.append(Numbered(text=parts[-1], buttons=list(shown))
                       if reply.buttons else Reply(text=parts[-1]))  # fmt: skip
    return out


@dataclass
class ZaloBotSender:
    client: ZaloBotClient
    engine: Engine
    clock: Clock
    text_limit: int = TEXT

    def parts(self, replies: list[Reply]) -> list[Reply]:
        return messages(replies, self.text_limit)

    async def send(self, platform_id: str, replies: list[Reply]) -> None:
        for part in self.parts(replies):
            try:
                await self.client.call("sendMessage", {"chat_id": platform_id, "text": part.text})
            except ZaloBotError as exc:
                error = classify(exc)
                if isinstance(error, Throttled):
                    metrics.rate_limited(CHANNEL)
                raise error from None
            metrics.message_out(CHANNEL)  # /metrics: each message the platform accepted
            if isinstance(part, Numbered):
                await asyncio.to_thread(
                    self._remember, platform_id, [b.payload for b in part.buttons]
                )

    def _remember(self, platform_id: str, payloads: list[str]) -> None:
        with session_scope(self.engine) as session:
            contact_id, _ = store.window(session, CHANNEL, platform_id)
            if contact_id:
                store.set_choices(session, contact_id, payloads)
