"""A delivery worker process for the tests: the due outbox rows at a given moment, through
the Telegram channel at SXSH_TELEGRAM_API_URL, until nothing is left; prints how many it sent.

Usage: python worker_proc.py ISO_MOMENT"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime

from telegram import Bot

from bot.app import build_conversation
from bot.channels.telegram import TelegramSender
from bot.delivery import Delivery
from bot.settings import load_settings
from handlers.clock import FrozenClock


async def main(moment: datetime) -> int:
    settings = load_settings()
    conv = build_conversation(settings, clock=FrozenClock(moment))
    base = settings.telegram.api_url.rstrip("/")
    token = settings.telegram.token.get_secret_value()
    bot = Bot(token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot")
    sent = 0
    async with bot:
        delivery = Delivery(conv.engine, conv, conv.clock, {"telegram": TelegramSender(bot)})
        idle = 0
        while idle < 3:
            counts = await delivery.run_once()
            sent += counts.get("sent", 0)
            idle = idle + 1 if not counts else 0
    conv.engine.dispose()
    return sent


if __name__ == "__main__":
    print("sent", asyncio.run(main(datetime.fromisoformat(sys.argv[1]))))
