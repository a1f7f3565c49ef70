"""Delivery lanes: proactive messages (outbox rows) claimed per channel and lane, sent part by
part at the lane's rate, retried with backoff and failed with a reason after a limit.

Modules: `engine` (claim, send, mark), `lanes` (which kinds go first), `throttle` (rate limits
and the 429 pause), `policy` (backoff and the retry limit)."""

from bot.delivery.engine import Claimed, Delivery, Sender
from bot.delivery.lanes import BULK, LANES, REMINDER, REPLY, Kind, KindTable
from bot.delivery.policy import RetryPolicy
from bot.delivery.throttle import ChannelThrottle, Limits

__all__ = [
    "BULK",
    "LANES",
    "REMINDER",
    "REPLY",
    "ChannelThrottle",
    "Claimed",
    "Delivery",
    "Kind",
    "KindTable",
    "Limits",
    "RetryPolicy",
    "Sender",
]
