"""The python-telegram-bot Application of the product: update handlers, start-up (command
menu, outbox delivery, scheduled jobs), polling or webhook.

Polling by default; webhook mode (with the secret token header checked by PTB's server) when
SXSH_TELEGRAM_WEBHOOK_URL is set. Conversation state is in our database, not in PTB's
persistence.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlparse

from telegram import BotCommand, Update
from telegram.error import Conflict, TelegramError
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
from bot.channels.telegram.inbound import to_inbound
from bot.channels.telegram.limits import CHANNEL
from bot.channels.telegram.render import send_each
from bot.channels.telegram.requests import ReplyLimiter, StartFailed, start_failure
from bot.channels.telegram.sender import TelegramSender
from bot.channels.telegram.updates import ALLOWED_UPDATES, PerPersonProcessor, TolerantBot
from bot.delivery import Delivery
from bot.delivery.shared_budget import SharedBudget
from bot.scheduler import start_scheduler
from bot.settings import Settings
from handlers import held_replies
from handlers.messages import Inbound, Reply
from handlers.router import Conversation

log = logging.getLogger(__name__)


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
            attempts=limits.reply_attempts,
            max_wait=limits.reply_max_wait_seconds,
            retry_seconds=limits.reply_retry_seconds,
            per_second=settings.delivery.rate_per_second,
            per_chat_per_second=settings.delivery.rate_per_chat_per_second,
            shared=SharedBudget(url) if (url := settings.delivery.redis_url) else None,
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
        unsent = await send_each(context.bot, chat_id, replies)
        if unsent:  # the platform is down for longer than a reply's retries: held, not lost
            await asyncio.to_thread(_hold, conversation, inbound, unsent)


def _hold(conversation: Conversation, inbound: Inbound, unsent: list[Reply]) -> None:
    now = conversation.clock.now()
    held_replies.hold_for(conversation.engine, inbound.channel, inbound.user_id, unsent, now)


async def _on_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message or update.callback_query or update.my_chat_member:
        return
    kinds = [k for k, v in update.to_dict().items() if k != "update_id" and v]
    log.info("ignored an update of type %s", ",".join(kinds) or "unknown")


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    # The exception text can hold a user's message; log its type and where, not the content.
    err = context.error
    if update is None and isinstance(err, Conflict):  # getUpdates: a second poller, not an update
        log.error(
            "Telegram: another process polls this bot (409 Conflict), each takes the other's "
            "messages: run one `sxsh-bot run`, or several `sxsh-bot serve` with "
            "SXSH_TELEGRAM_WEBHOOK_URL (README, Deployment)"
        )
        return
    log.warning("error while handling an update: %s: %s", type(err).__name__, err)


async def set_command_menu(app: Application, conversation: Conversation) -> None:
    """The announced commands as Telegram's menu, in Vietnamese and English."""
    texts = conversation.content.texts
    for lang in ("vi", "en"):
        announced = conversation.registry.announced_commands(texts, lang)
        commands = [BotCommand(name, text) for name, text in announced]
        try:
            await app.bot.set_my_commands(commands, language_code=None if lang == "vi" else lang)
        except TelegramError as exc:  # the command menu is cosmetic: never stop the bot
            log.warning("could not set the command menu (%s): %s", lang, type(exc).__name__)


def _post_init(conversation: Conversation, settings: Settings, outbox_interval: float | None):
    async def post_init(app: Application) -> None:
        await set_command_menu(app, conversation)
        # Through app.bot: PTB's limiter counts these sends and the answers to people alike.
        delivery = Delivery.from_settings(
            conversation.engine,
            conversation,
            conversation.clock,
            {CHANNEL: TelegramSender(app.bot)},
            settings.delivery,
        )
        app.bot_data["delivery"] = delivery
        # Answers to people take the first free slot of the budget the lanes share.
        app.bot.rate_limiter.budget = delivery.throttle(CHANNEL).overall
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
    _initialise(app)
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


def _initialise(app: Application) -> None:
    """getMe (retried, requests.STARTUP) on the loop run_polling / run_webhook then use:
    PTB's own start logs three chained tracebacks when it fails; this is one line."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(app.initialize())
    except TelegramError as exc:
        loop.close()
        raise StartFailed(start_failure(exc)) from None
