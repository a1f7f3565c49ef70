"""`sxsh-bot serve`: every production webhook on one port, as one ASGI app (starlette on
uvicorn, the way python-telegram-bot's custom-webhook example runs PTB inside another server).

* POST the Telegram webhook path (that of SXSH_TELEGRAM_WEBHOOK_URL, default /telegram): the
  secret header checked in constant time, the update handed to PTB's queue;
* POST SXSH_ZALO_OA_WEBHOOK_PATH (/zalo/oa): bot/channels/zalo_oa/webhook.py;
* GET /healthz: 200 with the database reachable and content loaded, else 503; channels' states;
* GET /metrics: Prometheus's text format (bot/metrics.py).

The process also delivers the outbox (every configured channel's sender) and runs the scheduled
jobs, as `sxsh-bot run` does.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.channels.webbody import Refusals, read_capped
from bot.delivery import Delivery
from bot.scheduler import start_scheduler
from bot.settings import Settings
from handlers.router import Conversation

log = logging.getLogger(__name__)

TELEGRAM_PATH = "/telegram"
TELEGRAM_SECRET_HEADER = "x-telegram-bot-api-secret-token"


def telegram_path(settings: Settings) -> str:
    url = settings.telegram.webhook_url
    return (urlparse(url).path or TELEGRAM_PATH) if url else TELEGRAM_PATH


def build(conversation: Conversation, settings: Settings) -> Any:
    """The ASGI app; channels start in its lifespan (uvicorn runs it)."""
    live: dict[str, Any] = {}
    refusals = Refusals(conversation.clock)  # Telegram's: at most a line a minute

    @asynccontextmanager
    async def lifespan(app: Starlette):  # noqa: ANN202
        async with AsyncExitStack() as stack:
            senders: dict[str, Any] = {}
            if settings.telegram.token is not None:
                try:
                    senders["telegram"] = await _start_telegram(conversation, settings, stack, live)
                except Exception as exc:
                    live["startup_error"] = _telegram_start_error(exc)
                    raise
            if settings.zalo_oa.enabled:
                from bot.channels.zalo_oa.app import ZaloOA

                zalo = await ZaloOA.open(conversation, settings, stack)
                zalo.pump.start()
                stack.push_async_callback(zalo.pump.stop)
                fresh = asyncio.create_task(zalo.keep_fresh())
                stack.callback(fresh.cancel)
                live["zalo_oa"] = zalo
                senders["zalo_oa"] = zalo.sender
            if settings.zalo_bot.enabled:
                senders["zalo_bot"] = await _start_zalo_bot(conversation, settings, stack, live)
            delivery = Delivery.from_settings(
                conversation.engine, conversation, conversation.clock, senders, settings.delivery
            )
            if "telegram" in live:  # the answers take the budget before the lanes, as in `run`
                live["telegram"].bot.rate_limiter.budget = delivery.throttle("telegram").overall
            scheduler = start_scheduler(
                delivery,
                interval_seconds=settings.delivery.interval_seconds,
                maintenance=conversation.maintenance_jobs(),
                timezone=settings.timezone,
            )
            stack.callback(scheduler.shutdown, wait=False)
            if settings.zalo_oa.left_off():
                log.warning("%s", settings.zalo_oa.left_off())
            if not senders:  # it looked like a healthy start: /healthz answers 200
                log.warning(
                    "no channel configured: set SXSH_TELEGRAM_TOKEN and "
                    "SXSH_TELEGRAM_WEBHOOK_URL, the SXSH_ZALO_OA_ keys or SXSH_ZALO_BOT_TOKEN"
                )
            log.info("serving %s on %s:%s", ", ".join(senders) or "no channel",
                     settings.web.listen, settings.web.port)  # fmt: skip
            yield

    async def healthz(request: Request) -> Response:
        return await _health(conversation, settings, live)

    async def metrics_page(request: Request) -> Response:
        return await _metrics(conversation, settings)

    async def telegram_webhook(request: Request) -> Response:
        return await _telegram_update(request, settings, live, refusals)

    async def zalo_oa_webhook(request: Request) -> Response:
        zalo = live.get("zalo_oa")
        if zalo is None:
            return PlainTextResponse("starting", status_code=503)
        return await zalo.webhook(request)

    async def zalo_bot_webhook(request: Request) -> Response:
        bot = live.get("zalo_bot")
        if bot is None:
            return PlainTextResponse("starting", status_code=503)
        return await bot.webhook(request)

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics_page, methods=["GET"]),
    ]
    if settings.zalo_bot.enabled and settings.zalo_bot.webhook_url:
        routes.append(Route(settings.zalo_bot.webhook_path, zalo_bot_webhook, methods=["POST"]))
    if settings.telegram.token is not None:
        routes.append(Route(telegram_path(settings), telegram_webhook, methods=["POST"]))
    if settings.zalo_oa.enabled:
        routes.append(Route(settings.zalo_oa.webhook_path, zalo_oa_webhook, methods=["POST"]))
    return _OneLineStartupError(Starlette(routes=routes, lifespan=lifespan), live)


def _telegram_start_error(exc: Exception) -> str:
    from telegram.error import InvalidToken

    from bot.channels.telegram.requests import start_failure

    return start_failure(exc) + ("" if isinstance(exc, InvalidToken) else "; not serving")


class _OneLineStartupError:
    """uvicorn logs the whole traceback of a failed start (110 lines for Telegram unreachable):
    a known cause is logged as its one line instead."""

    def __init__(self, app: Starlette, live: dict[str, Any]):
        self.app, self.live = app, live

    def __getattr__(self, name: str) -> Any:  # routes, state... of the Starlette app
        return getattr(self.app, name)

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        async def send_one_line(message: dict) -> None:
            if message["type"] == "lifespan.startup.failed" and "startup_error" in self.live:
                message = {**message, "message": self.live["startup_error"]}
            await send(message)

        await self.app(scope, receive, send_one_line if scope["type"] == "lifespan" else send)


async def _start_telegram(conversation, settings, stack, live) -> object:  # noqa: ANN001
    """PTB's Application without its own server: started here, fed from the webhook route."""
    from bot.channels.telegram import TelegramSender, build_application
    from bot.channels.telegram.app import set_command_menu
    from bot.channels.telegram.updates import ALLOWED_UPDATES

    ptb = build_application(conversation, settings)
    await ptb.initialize()
    await ptb.start()
    await set_command_menu(ptb, conversation)  # PTB's post_init is not run: delivery is ours
    stack.push_async_callback(ptb.shutdown)
    stack.push_async_callback(ptb.stop)
    if settings.telegram.webhook_url:
        await ptb.bot.set_webhook(
            settings.telegram.webhook_url,
            secret_token=settings.telegram.webhook_secret.get_secret_value(),
            allowed_updates=ALLOWED_UPDATES,
        )
    else:  # it started "serving telegram" and no message ever came
        log.warning(
            "SXSH_TELEGRAM_WEBHOOK_URL is not set: Telegram sends this process nothing (it "
            "only delivers the outbox); set it, or run `sxsh-bot run` to poll"
        )
    live["telegram"] = ptb
    return TelegramSender(ptb.bot)


async def _start_zalo_bot(conversation, settings, stack, live) -> object:  # noqa: ANN001
    """The Zalo Bot platform: its webhook registered, or polling in a task (never both)."""
    import asyncio

    from bot.channels.zalo_bot.app import ZaloBot

    bot = await ZaloBot.open(conversation, settings, stack)
    bot.pump.start()
    stack.push_async_callback(bot.pump.stop)
    if settings.zalo_bot.webhook_url:
        await bot.register_webhook()
    else:
        stop = asyncio.Event()
        task = asyncio.create_task(bot.run_polling(stop))

        async def stop_polling() -> None:
            stop.set()
            task.cancel()

        stack.push_async_callback(stop_polling)
    live["zalo_bot"] = bot
    return bot.pump.handler.sender


async def _telegram_update(
    request: Request, settings: Settings, live: dict, refusals: Refusals
) -> Response:
    from telegram import Update

    ptb = live.get("telegram")
    secret = settings.telegram.webhook_secret
    given = request.headers.get(TELEGRAM_SECRET_HEADER, "")
    if secret is None or not hmac.compare_digest(
        given.encode(), secret.get_secret_value().encode()
    ):
        refusals.refused(
            request, "refused a Telegram webhook request without the right secret header"
        )
        return PlainTextResponse("forbidden", status_code=403)
    body = await read_capped(request, settings.web.max_body_bytes)
    if body is None:
        return PlainTextResponse("too large", status_code=413)
    if ptb is None:
        return PlainTextResponse("starting", status_code=503)
    try:
        update = Update.de_json(json.loads(body), ptb.bot)
    except Exception:  # noqa: BLE001 - a body PTB cannot read: Telegram must not resend it
        log.warning("ignored a Telegram webhook body python-telegram-bot cannot read")
        return PlainTextResponse("ok")
    await ptb.update_queue.put(update)
    return PlainTextResponse("ok")


async def _health(conversation: Conversation, settings: Settings, live: dict) -> Response:
    import asyncio

    report: dict[str, Any] = {"database": "ok", "content": "ok", "channels": {}}
    healthy = True

    def ping() -> None:
        with conversation.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    try:
        await asyncio.wait_for(asyncio.to_thread(ping), 5)
    except Exception as exc:  # noqa: BLE001
        report["database"], healthy = f"unreachable: {type(exc).__name__}", False
    topics = len(conversation.content.knowledge.entries)
    report["content"] = f"ok, {topics} topics" if topics else "not loaded"
    healthy = healthy and bool(topics)
    channels = report["channels"]
    channels["telegram"] = (
        "off" if settings.telegram.token is None
        else ("webhook" if settings.telegram.webhook_url else "webhook not registered")
        if "telegram" in live else "starting"
    )  # fmt: skip
    if settings.zalo_oa.enabled and report["database"] == "ok":
        from bot.channels.zalo_oa.app import state

        channels["zalo_oa"] = await asyncio.to_thread(state, conversation.engine)
    else:
        channels["zalo_oa"] = "off" if not settings.zalo_oa.enabled else "unknown"
    zb = settings.zalo_bot
    channels["zalo_bot"] = ("webhook" if zb.webhook_url else "polling") if zb.enabled else "off"
    return JSONResponse(report, status_code=200 if healthy else 503)


async def _metrics(conversation: Conversation, settings: Settings) -> Response:
    import asyncio

    from bot import metrics
    from bot.delivery.lanes import registered_kinds

    kinds = registered_kinds()

    def lane_of(kind: str) -> str:
        return kinds[kind].lane if kind in kinds else "reminder"

    def scrape() -> bytes:
        zalo = None
        if settings.zalo_oa.enabled:
            from bot.channels.zalo_oa.app import state

            zalo = str(state(conversation.engine)["state"])
        return metrics.scrape(conversation.engine, lane_of, zalo)

    try:
        body = await asyncio.wait_for(asyncio.to_thread(scrape), 5)
    except Exception as exc:  # noqa: BLE001 - the database may be down: say so, do not crash
        return PlainTextResponse(f"# database unreachable: {type(exc).__name__}\n", 503)
    return Response(body, media_type=metrics.CONTENT_TYPE)


def run(conversation: Conversation, settings: Settings) -> None:
    """Blocking: uvicorn on SXSH_WEB_LISTEN:SXSH_WEB_PORT until SIGTERM / Ctrl-C, then a
    graceful stop (events being handled finish) and exit status 0."""
    import uvicorn

    class Server(uvicorn.Server):
        # uvicorn re-raises SIGTERM after its graceful stop, so a clean stop would look like
        # a crash (status -15) to systemd and tests: stop, without re-raising.
        def handle_exit(self, sig: int, frame: object) -> None:
            if self.should_exit and sig == signal.SIGINT:
                self.force_exit = True
            self.should_exit = True

    config = uvicorn.Config(
        build(conversation, settings),
        host=settings.web.listen,
        port=settings.web.port,
        log_config=None,  # our logging (redacted)
        access_log=False,  # paths and client addresses only, but noise
        proxy_headers=True,
        timeout_graceful_shutdown=10,
    )
    Server(config).run()
