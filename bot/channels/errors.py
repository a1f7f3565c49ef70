"""Neutral send errors: what a channel's sender raises, whatever the platform said.

Each channel maps its platform's answers onto these (Telegram: 403 -> Blocked, 429 ->
Throttled, 400 "chat not found" -> Unreachable, 5xx and timeouts -> Retryable, other 400s ->
Permanent), so the delivery engine decides what to do without knowing any platform.
"""

from __future__ import annotations


class SendError(Exception):
    """A message could not be sent. `reason` is short, safe to log and to show officers: it
    never holds the message text or a token."""

    # Set by a channel that reports how it sends (Zalo OA: storage.outbox.NOT_REACHABLE);
    # delivery stores it on the outbox row.
    route: str | None = None

    def __init__(self, reason: str = ""):
        super().__init__(reason or type(self).__name__)
        self.reason = reason or type(self).__name__


class Blocked(SendError):
    """The person blocked the bot or deleted their account: stop the contact."""


class Throttled(SendError):
    """The platform asks us to slow down (Telegram 429): pause this channel's lane for
    `retry_after` seconds, then send again."""

    def __init__(self, retry_after: float, reason: str = ""):
        super().__init__(reason or f"throttled, retry after {retry_after:g} s")
        self.retry_after = float(retry_after)


class Unreachable(SendError):
    """This person cannot be reached now (chat not found, outside Zalo's reply window): fail
    this recipient, keep the lane going."""


class Retryable(SendError):
    """A transient fault (5xx, timeout, connection reset): back off and try again."""


class Permanent(SendError):
    """The platform refuses this message and always will (a 400 other than the above, a
    payload over the platform's limit): do not retry."""


class ChannelDown(SendError):
    """The channel itself cannot send (Zalo: out of quota, OA not verified, API not authorised,
    tier package needed, tokens need re-authorising): stop the channel's lane for
    `retry_after` seconds, keep the message, and tell officers."""

    def __init__(self, reason: str = "", retry_after: float = 3600):
        super().__init__(reason)
        self.retry_after = float(retry_after)
