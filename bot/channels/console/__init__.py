"""The terminal channel, in one folder: render (Reply -> text with numbered buttons, typed
line -> Inbound) and chat (the loop, and proactive messages shown in the terminal)."""

from bot.channels.console.chat import ConsoleSender, run, write_replies
from bot.channels.console.render import CHANNEL, LIMITS, MAX_INPUT, render, to_inbound

__all__ = [
    "CHANNEL",
    "LIMITS",
    "MAX_INPUT",
    "ConsoleSender",
    "render",
    "run",
    "to_inbound",
    "write_replies",
]
