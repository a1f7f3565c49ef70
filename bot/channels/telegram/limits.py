"""Telegram's hard limits (Bot API, https://core.telegram.org/bots/api: sendMessage text
1-4096 characters, captions 0-1024 characters, both counted in UTF-16 code units after entity
parsing; InlineKeyboardButton callback_data 1-64 bytes)."""

from __future__ import annotations

from telegram.constants import InlineKeyboardButtonLimit, MessageLimit

from bot.channels.base import Limits, utf16_len

CHANNEL = "telegram"
LIMITS = Limits(
    channel=CHANNEL,
    text=MessageLimit.MAX_TEXT_LENGTH,  # 4096
    caption=MessageLimit.CAPTION_LENGTH,  # 1024
    payload_bytes=InlineKeyboardButtonLimit.MAX_CALLBACK_DATA,  # 64
    size=utf16_len,
)
