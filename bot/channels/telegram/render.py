"""The neutral Reply -> Bot API calls: keyboard layout, long text split to Telegram's limits,
captions that fit, and a loud refusal of what Telegram cannot carry."""

from __future__ import annotations

import logging
from dataclasses import replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.channels.base import split_text
from bot.channels.telegram.limits import LIMITS
from bot.channels.telegram.uploads import Uploads
from handlers.messages import Button, Reply

log = logging.getLogger(__name__)

# A label this long still reads whole in half a phone's width (the longest menu label is 22).
SHORT_LABEL = 22


def layout(buttons: list[Button]) -> list[list[Button]]:
    """Rows for an inline keyboard: two short labels side by side, a long one on its own row;
    the order is kept."""
    rows: list[list[Button]] = []
    for button in buttons:
        prev = rows[-1] if rows else None
        short = len(button.label) <= SHORT_LABEL
        if short and prev and len(prev) == 1 and len(prev[0].label) <= SHORT_LABEL:
            prev.append(button)
        else:
            rows.append([button])
    return rows


def sendable(buttons: list[Button]) -> list[Button]:
    """The buttons this platform accepts (Limits.sendable)."""
    return LIMITS.sendable(buttons)


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    buttons = sendable(reply.buttons)
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.label, callback_data=b.payload) for b in row]
            for row in layout(buttons)
        ]
    )


def text_parts(text: str) -> list[str]:
    """`text` in messages Telegram accepts (4096 UTF-16 units each), cut on paragraphs."""
    return split_text(text, LIMITS.text, LIMITS.size)


def packed(replies: list[Reply]) -> list[Reply]:
    """Fewer messages for the same words: a plain text reply (no buttons, no file) is put in
    front of the text of the reply after it when both fit one message ("= 45.000.000 đồng/tháng"
    and the next question, an acknowledgement and question 1). Telegram allows a bot about 30
    messages a second and one a second per chat, so each message saved is budget (issue 13)."""
    out: list[Reply] = []
    for reply in replies:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.text
            and not prev.buttons
            and prev.attachment is None
            and reply.text
            and reply.attachment is None
            and LIMITS.size(joined := f"{prev.text}\n\n{reply.text}") <= LIMITS.text
        ):
            out[-1] = replace(reply, text=joined)
        else:
            out.append(reply)
    return out


def messages(replies: list[Reply]) -> list[Reply]:
    """One Reply per Bot API message (replies packed first): long text split on paragraphs with
    the buttons on the last part; a file keeps its text as caption when it fits, otherwise the
    file goes first and the whole text after it. Delivery records each part sent, so a retry
    sends only the rest."""
    out: list[Reply] = []
    for reply in packed(replies):
        parts = text_parts(reply.text) if reply.text else []
        att = reply.attachment
        if att is not None:
            if len(parts) <= 1 and (not parts or LIMITS.size(parts[0]) <= LIMITS.caption):
                out.append(
                    Reply(text=parts[0] if parts else "", buttons=reply.buttons, attachment=att)
                )
                continue
            out.append(Reply(attachment=att))
        elif not parts:
            if reply.buttons:
                log.error("a reply with buttons but no text cannot be sent on Telegram")
            continue
        out += [Reply(text=part) for part in parts[:-1]]
        out.append(Reply(text=parts[-1], buttons=reply.buttons))
    return out


async def send_message(
    bot,  # noqa: ANN001
    chat_id: int | str,
    message: Reply,
    rate_limit_args: int | None = None,
    uploads: Uploads | None = None,
) -> None:
    """One Bot API call for one message of messages(). `rate_limit_args` goes to the bot's
    rate limiter (requests.ReplyLimiter: the outbox asks for one attempt); only for a bot that
    has one (PTB refuses it otherwise). With `uploads` a file's bytes go up once (uploads.py)."""
    markup = keyboard(message)
    att = message.attachment
    extra = {} if rate_limit_args is None else {"rate_limit_args": rate_limit_args}
    if att is None:
        await bot.send_message(chat_id, message.text, reply_markup=markup, **extra)
        return
    method = bot.send_photo if att.is_image else bot.send_document

    async def send(file):  # noqa: ANN001, ANN202 - an InputFile or a file_id
        return await method(chat_id, file, caption=message.text or None, reply_markup=markup,
                            **extra)  # fmt: skip

    if att.file_id is not None and att.file_channel == LIMITS.channel:
        await send(att.file_id)  # a file Telegram holds already (an officer's photo)
    elif uploads is not None:
        await uploads.send(att, send)
    else:
        await send(InputFile(att.data, filename=att.filename))


async def send_replies(
    bot,  # noqa: ANN001
    chat_id: int | str,
    replies: list[Reply],
    rate_limit_args: int | None = None,
    uploads: Uploads | None = None,
) -> None:
    """Send neutral replies as Telegram messages, in order (see messages())."""
    for message in messages(replies):
        await send_message(bot, chat_id, message, rate_limit_args, uploads)


async def send_each(bot, chat_id: int | str, replies: list[Reply]) -> list[Reply]:  # noqa: ANN001
    """Answer a person: a reply that cannot be sent (after the limiter's retries) does not stop
    the next one (a lost confirmation must not hide the next assessment question). A blocked
    chat stops them all. Returns the replies the platform did not take for a transient reason
    (5xx, timeouts, 429s past their wait): the caller holds them for later (a 400 is final)."""
    held: list[Reply] = []
    for reply in packed(replies):
        try:
            await send_replies(bot, chat_id, [reply])
        except Forbidden:
            raise
        except TelegramError as exc:
            transient = isinstance(exc, NetworkError | RetryAfter) and not isinstance(
                exc, BadRequest
            )
            if transient:
                held.append(reply)
            log.warning("a reply could not be sent (%s), %s; going on with the next",
                        type(exc).__name__, "held" if transient else "dropped")  # fmt: skip
    return held
