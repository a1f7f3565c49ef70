"""The Zalo Bot platform (Telegram-like, ../shared/CHANNELS.md) in one folder: limits, inbound
(update -> Inbound), client (the Bot API over httpx, errors -> neutral errors), sender (text out,
choices as numbered text), app (polling or webhook, updates stored before they are handled)."""

from bot.channels.zalo_bot.inbound import to_inbound, unwrap
from bot.channels.zalo_bot.limits import CHANNEL, LIMITS

__all__ = ["CHANNEL", "LIMITS", "to_inbound", "unwrap"]
