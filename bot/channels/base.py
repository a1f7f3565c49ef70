"""What every channel shares: its limits, splitting long text to fit them, and the check that a
reply can be sent at all. Platform numbers live in each platform's folder, never here."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from handlers.messages import Button, Reply

log = logging.getLogger(__name__)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the way Telegram counts message length (an emoji is 2)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Limits:
    """One channel's hard limits; None means the channel has none."""

    channel: str
    text: int | None  # characters per message, counted by `size`
    caption: int | None = None  # characters of a photo's or document's caption
    payload_bytes: int | None = None  # UTF-8 bytes of one button's payload
    size: Callable[[str], int] = len  # how the platform counts characters

    def payload_problem(self, payload: str) -> str | None:
        """Why this button payload cannot be sent on this channel, or None when it can."""
        n = len(payload.encode())
        if self.payload_bytes is not None and not 1 <= n <= self.payload_bytes:
            return f"{self.channel}: a button payload is {n} bytes (allowed 1-{self.payload_bytes})"
        return None

    def sendable(self, buttons: list[Button]) -> list[Button]:
        """The buttons this channel accepts. One payload over the limit makes a platform refuse
        the whole message (Telegram), so the person would see nothing: that button is left out
        and an error names its namespace (content check refuses such payloads earlier)."""
        ok = []
        for button in buttons:
            problem = self.payload_problem(button.payload)
            if problem is None:
                ok.append(button)
            else:
                ns = button.payload.partition(":")[0]
                log.error("button left out, its payload cannot be sent (%s; namespace %s)",
                          problem, ns)  # fmt: skip
        return ok


class Sender(Protocol):
    """Sends replies to one person on one channel; raises bot.channels.errors.SendError. May
    return how the platform took it (storage.outbox.FREE / QUOTA), None when it does not say."""

    async def send(self, platform_id: str, replies: list[Reply]) -> str | None: ...


def split_text(text: str, limit: int, size: Callable[[str], int] = len) -> list[str]:
    """Split a long text on paragraph boundaries (then lines, then words, then anywhere) so every
    part has `size(part) <= limit`; nothing but the whitespace at the cuts is lost."""
    text = text.strip()
    if size(text) <= limit:
        return [text] if text else []
    chunks: list[str] = []
    current = ""
    for part in text.split("\n\n"):
        candidate = f"{current}\n\n{part}" if current else part
        if size(candidate) <= limit:
            current = candidate
            continue
        if current:
            chunks.append(current)
        while size(part) > limit:  # one paragraph over the limit: cut at a line, else a word
            fit = _fitting_prefix(part, limit, size)
            cut = part.rfind("\n", 0, fit)
            if cut <= 0:
                cut = part.rfind(" ", 0, fit)
            if cut <= 0:
                cut = fit
            chunks.append(part[:cut].rstrip())
            part = part[cut:].lstrip()
        current = part
    if current:
        chunks.append(current)
    return chunks


def _fitting_prefix(text: str, limit: int, size: Callable[[str], int]) -> int:
    """The largest n with size(text[:n]) <= limit (at least 1, so splitting always advances)."""
    lo, hi = 1, min(len(text), limit)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if size(text[:mid]) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return lo
