"""Telegram through python-telegram-bot: updates -> Inbound, Reply -> Bot API calls.

Polling by default; webhook mode (with the secret token header checked by PTB's server) when
SXSH_TELEGRAM_WEBHOOK_URL is set. Conversation state is in our database, not in PTB's persistence.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from urllib.parse import urlparse

from telegram import (
    BotCommand,
    ChatMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Update,
)
from telegram.constants import MessageLimit
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot import flood
from bot.channels.errors import Blocked, Permanent, Retryable, Throttled, Unreachable
from bot.channels.telegram_requests import ReplyLimiter
from bot.channels.telegram_updates import ALLOWED_UPDATES, PerPersonProcessor, TolerantBot
from bot.delivery import Delivery
from bot.scheduler import start_scheduler
from bot.settings import Settings
from handlers.messages import Button, Inbound, Reply, split_text
from handlers.router import Conversation

log = logging.getLogger(__name__)
CHANNEL = "telegram"


def event_id(update: Update, local_id: str) -> str:
    """The id the core de-duplicates on: message ids restart in a new bot's chat, so the bot's own
    id (the token's public first part) is part of it."""
    try:
        bot_id = update.get_bot().token.split(":", 1)[0]
    except RuntimeError:  # an Update built without a bot (tests)
        bot_id = "?"
    return f"{bot_id}:{local_id}"


def to_inbound(update: Update) -> Inbound | None:
    """The neutral form of an update, or None for updates the bot ignores."""
    if update.my_chat_member is not None:
        cm = update.my_chat_member
        if cm.chat.type != "private":
            return None
        status = cm.new_chat_member.status
        kind = "blocked" if status in (ChatMember.BANNED, ChatMember.LEFT) else "unblocked"
        return Inbound(channel=CHANNEL, user_id=str(cm.from_user.id), kind=kind)
    if update.callback_query is not None:
        q = update.callback_query
        return Inbound(
            channel=CHANNEL,
            user_id=str(q.from_user.id),
            payload=q.data or "",
            display_name=q.from_user.first_name,
            language=q.from_user.language_code,
            kind="button",
            # A redelivered press carries the same query id.
            message_id=event_id(update, f"cq{q.id}"),
        )
    msg = update.message
    if msg is None or msg.from_user is None or msg.chat.type != "private":
        return None  # edited messages, channel posts, groups: not for this bot
    user = msg.from_user
    common = dict(
        channel=CHANNEL,
        user_id=str(user.id),
        display_name=user.first_name,
        language=user.language_code,
        message_id=event_id(update, f"m{msg.message_id}"),
    )
    if msg.text is not None:
        return Inbound(text=msg.text, **common)
    return Inbound(kind="unsupported", **common)


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


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.label, callback_data=b.payload) for b in row]
            for row in layout(reply.buttons)
        ]
    )


async def send_replies(bot, chat_id: int | str, replies: list[Reply]) -> None:  # noqa: ANN001
    """Render neutral replies: long text split on paragraphs, keyboard on the last part."""
    for reply in replies:
        markup = keyboard(reply)
        if reply.attachment is not None:
            att = reply.attachment
            file = InputFile(att.data, filename=att.filename)
            caption = reply.text[: MessageLimit.CAPTION_LENGTH] or None
            if att.is_image:
                await bot.send_photo(chat_id, file, caption=caption, reply_markup=markup)
            else:
                await bot.send_document(chat_id, file, caption=caption, reply_markup=markup)
            continue
        if not reply.text:
            continue
        parts = split_text(reply.text, MessageLimit.MAX_TEXT_LENGTH)
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            await bot.send_message(chat_id, part, reply_markup=markup if last else None)


async def send_each(bot, chat_id: int | str, replies: list[Reply]) -> None:  # noqa: ANN001
    """Answer a person: a reply that cannot be sent (after the limiter's retries) does not stop
    the next one (a lost confirmation must not hide the next assessment question). A blocked
    chat stops them all."""
    for reply in replies:
        try:
            await send_replies(bot, chat_id, [reply])
        except Forbidden:
            raise
        except TelegramError as exc:
            log.warning("a reply could not be sent, going on with the next: %s", type(exc).__name__)


class TelegramSender:
    """Proactive sends (reminders, nudges, broadcasts) with Telegram's errors classified."""

    def __init__(self, bot):  # noqa: ANN001
        self.bot = bot

    @staticmethod
    def parts(replies: list[Reply]) -> list[Reply]:
        """One Reply per Bot API message (long text split, keyboard on the last part), so
        delivery records each part sent and a retry sends only the rest (issue 7 item 13)."""
        out: list[Reply] = []
        for reply in replies:
            if reply.attachment is not None:
                out.append(reply)
            elif reply.text:
                chunks = split_text(reply.text, MessageLimit.MAX_TEXT_LENGTH)
                out += [Reply(text=chunk) for chunk in chunks[:-1]]
                out.append(replace(reply, text=chunks[-1]))
        return out

    async def send(self, platform_id: str, replies: list[Reply]) -> None:
        try:
            await send_replies(self.bot, int(platform_id), replies)
        except TelegramError as exc:
            raise classify(exc) from None


def classify(exc: TelegramError) -> Exception:
    """The neutral send error for what the Bot API answered (see bot/channels/errors.py).
    The reason is the API's own short description, which never holds the message text."""
    if isinstance(exc, Forbidden):  # 403: blocked by the user, user deactivated
        return Blocked(exc.message)
    if isinstance(exc, RetryAfter):  # 429
        wait = exc.retry_after
        return Throttled(getattr(wait, "total_seconds", lambda: wait)())
    if isinstance(exc, BadRequest):  # 400: the chat is gone, or the request can never work
        if "chat not found" in exc.message.lower() or "user not found" in exc.message.lower():
            return Unreachable(exc.message)
        return Permanent(exc.message)
    if isinstance(exc, NetworkError):  # timeouts, 5xx, connection errors
        return Retryable(type(exc).__name__)
    return Permanent(type(exc).__name__)


def build_application(
    conversation: Conversation, settings: Settings, *, outbox_interval: float | None = None
) -> Application:
    assert settings.telegram.token is not None
    root = settings.telegram.api_url.rstrip("/")
    limits = settings.limits
    bot = TolerantBot(
        settings.telegram.token.get_secret_value(),
        base_url=f"{root}/bot",
        base_file_url=f"{root}/file/bot",
        request=HTTPXRequest(connection_pool_size=limits.concurrent_people + 8),
        get_updates_request=HTTPXRequest(connection_pool_size=1),
        rate_limiter=ReplyLimiter(
            attempts=limits.reply_attempts, max_wait=limits.reply_max_wait_seconds
        ),
    )
    app = (
        ApplicationBuilder()
        .bot(bot)
        .concurrent_updates(PerPersonProcessor(limits.concurrent_people))
        .post_init(_post_init(conversation, settings, outbox_interval))
        .post_shutdown(_post_shutdown)
        .build()
    )
    app.bot_data["conversation"] = conversation
    app.bot_data["flood"] = flood.FloodGuard(limits.flood_burst, limits.flood_per_minute)

    app.add_handler(CallbackQueryHandler(_on_update))
    app.add_handler(ChatMemberHandler(_on_update, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(MessageHandler(filters.UpdateType.MESSAGE, _on_update))
    # Anything else (edited messages, channel posts, reactions...) is logged and ignored.
    app.add_handler(TypeHandler(Update, _on_other), group=1)
    app.add_error_handler(_on_error)
    return app


async def _on_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    inbound = to_inbound(update)
    if inbound is None:
        return
    if update.callback_query is not None:
        # Stop the button's spinner first; a stale query must not stop the reply.
        try:
            await update.callback_query.answer()
        except Exception:  # noqa: BLE001
            log.info("could not answer a callback query (probably too old)")
    conversation: Conversation = context.bot_data["conversation"]
    guard: flood.FloodGuard = context.bot_data["flood"]
    replies = await asyncio.to_thread(flood.handle, conversation, guard, inbound)
    if replies:
        chat_id = update.effective_chat.id if update.effective_chat else int(inbound.user_id)
        await send_each(context.bot, chat_id, replies)


async def _on_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message or update.callback_query or update.my_chat_member:
        return
    kinds = [k for k, v in update.to_dict().items() if k != "update_id" and v]
    log.info("ignored an update of type %s", ",".join(kinds) or "unknown")


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    # The exception text can hold a user's message; log its type and where, not the content.
    err = context.error
    log.warning("error while handling an update: %s: %s", type(err).__name__, err)


def _post_init(conversation: Conversation, settings: Settings, outbox_interval: float | None):
    async def post_init(app: Application) -> None:
        texts = conversation.content.texts
        for lang in ("vi", "en"):
            announced = conversation.registry.announced_commands(texts, lang)
            commands = [BotCommand(name, text) for name, text in announced]
            try:
                await app.bot.set_my_commands(
                    commands, language_code=None if lang == "vi" else lang
                )
            except TelegramError as exc:  # the command menu is cosmetic: never stop the bot
                log.warning("could not set the command menu (%s): %s", lang, type(exc).__name__)
        # Through app.bot: PTB's limiter counts these sends and the answers to people alike.
        delivery = Delivery.from_settings(
            conversation.engine,
            conversation,
            conversation.clock,
            {CHANNEL: TelegramSender(app.bot)},
            settings.delivery,
        )
        app.bot_data["delivery"] = delivery
        app.bot_data["scheduler"] = start_scheduler(
            delivery,
            interval_seconds=outbox_interval or settings.delivery.interval_seconds,
            maintenance=conversation.maintenance_jobs(),
            timezone=settings.timezone,
        )

    return post_init


async def _post_shutdown(app: Application) -> None:
    scheduler = app.bot_data.get("scheduler")
    if scheduler is not None:
        scheduler.shutdown(wait=False)


def run(conversation: Conversation, settings: Settings) -> None:
    """Blocking: polling, or a webhook server when SXSH_TELEGRAM_WEBHOOK_URL is set."""
    app = build_application(conversation, settings)
    if settings.telegram.webhook_url:
        path = urlparse(settings.telegram.webhook_url).path.lstrip("/")
        log.info("Telegram webhook on %s:%s/%s", settings.web.listen, settings.web.port, path)
        app.run_webhook(
            listen=settings.web.listen,
            port=settings.web.port,
            url_path=path,
            webhook_url=settings.telegram.webhook_url,
            secret_token=settings.telegram.webhook_secret.get_secret_value(),
            allowed_updates=ALLOWED_UPDATES,
        )
    else:
        log.info("Telegram polling")
        app.run_polling(allowed_updates=ALLOWED_UPDATES)
