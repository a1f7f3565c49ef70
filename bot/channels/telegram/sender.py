"""Proactive sends (reminders, nudges, broadcasts, officer answers) with the Bot API's answers
classified into the neutral send errors of bot/channels/errors.py."""

from __future__ import annotations

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.channels.errors import Blocked, Permanent, Retryable, SendError, Throttled, Unreachable
from bot.channels.telegram.render import messages, send_replies
from bot.channels.telegram.requests import ONE_ATTEMPT
from bot.channels.telegram.uploads import Uploads
from handlers.messages import Reply


class TelegramSender:
    """Sends to one chat; raises a SendError subclass on any refusal of the Bot API."""

    def __init__(self, bot):  # noqa: ANN001
        self.bot = bot
        # The delivery throttle gave each send its slot and retries it itself: with PTB's
        # rate limiter (the Telegram app's bot) ask it for one attempt and no slot of its own.
        self._one_attempt = ONE_ATTEMPT if getattr(bot, "rate_limiter", None) else None
        self.uploads = Uploads()  # a broadcast's file goes up once, then by its file_id

    @staticmethod
    def parts(replies: list[Reply]) -> list[Reply]:
        """One Reply per Bot API message (see render.messages)."""
        return messages(replies)

    async def send(self, platform_id: str, replies: list[Reply]) -> None:
        try:
            await send_replies(self.bot, int(platform_id), replies, self._one_attempt, self.uploads)
        except TelegramError as exc:
            raise classify(exc) from None


def classify(exc: TelegramError) -> SendError:
    """The neutral send error for what the Bot API answered. The reason is the API's own short
    description ("Forbidden: bot was blocked by the user"), never the message text."""
    if isinstance(exc, Forbidden):  # 403: blocked by the user, user deactivated, kicked
        return Blocked(exc.message)
    if isinstance(exc, RetryAfter):  # 429
        wait = exc.retry_after
        return Throttled(getattr(wait, "total_seconds", lambda: wait)())
    if isinstance(exc, BadRequest):  # 400: the chat is gone, or the request can never work
        message = exc.message.lower()
        if "chat not found" in message or "user not found" in message:
            return Unreachable(exc.message)
        return Permanent(exc.message)
    if isinstance(exc, NetworkError):  # timeouts, 5xx, connection errors
        return Retryable(type(exc).__name__)
    return Permanent(type(exc).__name__)
