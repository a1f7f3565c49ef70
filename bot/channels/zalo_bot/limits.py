"""Zalo Bot platform limits (CHANNELS.md: sendMessage text at most 2000 characters; no buttons,
so choices go as numbered text and payloads never reach the platform)."""

from __future__ import annotations

from bot.channels.base import Limits

CHANNEL = "zalo_bot"
TEXT = 2000
LIMITS = Limits(channel=CHANNEL, text=TEXT)
