"""Telegram through python-telegram-bot, in one folder: inbound (updates -> Inbound), render
(Reply -> Bot API calls, layout, splitting), limits, sender (errors classified), app (the
Application: handlers, start-up, polling or webhook)."""

from bot.channels.telegram.app import build_application, run
from bot.channels.telegram.inbound import to_inbound
from bot.channels.telegram.limits import CHANNEL, LIMITS
from bot.channels.telegram.render import keyboard, layout, send_replies
from bot.channels.telegram.sender import TelegramSender, classify

__all__ = [
    "CHANNEL",
    "LIMITS",
    "TelegramSender",
    "build_application",
    "classify",
    "keyboard",
    "layout",
    "run",
    "send_replies",
    "to_inbound",
]
