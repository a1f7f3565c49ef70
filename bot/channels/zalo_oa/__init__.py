"""Zalo Official Account (Open API v3, ../shared/CHANNELS.md) in one folder: limits, signature
(webhook check), inbound (events -> Inbound), render (Reply -> messages), codes (error codes ->
neutral errors), tokens (refresh under a database lock), client (HTTP), sender (reply vs
proactive form), events (one webhook event handled), webhook (the ASGI endpoint)."""

from bot.channels.zalo_oa.codes import ZaloError, classify
from bot.channels.zalo_oa.inbound import echo_of, event_key, to_inbound
from bot.channels.zalo_oa.limits import CHANNEL, LIMITS
from bot.channels.zalo_oa.signature import verify

__all__ = [
    "CHANNEL",
    "LIMITS",
    "ZaloError",
    "classify",
    "echo_of",
    "event_key",
    "to_inbound",
    "verify",
]
