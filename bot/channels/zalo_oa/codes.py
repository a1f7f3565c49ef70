"""Zalo OA error codes -> the neutral send errors (CHANNELS.md "Error codes"). Zalo answers
HTTP 200 with `{"error": -NNN, "message": ...}`; the reason kept is the code and Zalo's short
message, never the text we tried to send."""

from __future__ import annotations

from bot.channels.errors import (
    Blocked,
    ChannelDown,
    Permanent,
    Retryable,
    SendError,
    Throttled,
    Unreachable,
)

TOKEN_INVALID = -216
TOKEN_EXPIRED = -220
TOKEN_CODES = frozenset({TOKEN_INVALID, TOKEN_EXPIRED})  # refresh once, retry once
UPLOAD_EXPIRED = -100  # upload again
OUTSIDE_WINDOW = frozenset({-230, -232, -213})
BANNED = -227  # banned or inactive over 45 days: stop the contact
TYPE_REFUSED = -244  # the person restricted this message type
RATE_LIMITED = -32  # per minute
CHANNEL_LEVEL = frozenset({-211, -218, -221, -223, -224})

RATE_LIMIT_WAIT = 60.0  # seconds: Zalo counts per minute
CHANNEL_WAIT = 3600.0  # a channel-level problem needs a person; look again in an hour


class ZaloError(Exception):
    """Zalo refused a call: `code` is Zalo's error number, `message` its short text."""

    def __init__(self, code: int, message: str = ""):
        super().__init__(f"zalo error {code}: {message[:120]}")
        self.code = code
        self.message = message[:120]


def classify(exc: ZaloError) -> SendError:
    reason = f"zalo {exc.code}: {exc.message}".strip()
    code = exc.code
    if code in OUTSIDE_WINDOW:
        return Unreachable(reason)
    if code == BANNED:
        return Blocked(reason)
    if code == TYPE_REFUSED:
        return Unreachable(reason)
    if code == RATE_LIMITED:
        return Throttled(RATE_LIMIT_WAIT, reason)
    if code in CHANNEL_LEVEL or code in TOKEN_CODES:  # a token still refused after a refresh
        return ChannelDown(reason, CHANNEL_WAIT)
    if code >= 500:  # an HTTP status (5xx) passed as a code by the client
        return Retryable(reason)
    return Permanent(reason)
