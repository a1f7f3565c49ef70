"""`sxsh-bot run`, `chat` and `worker`: the bot's processes."""

from __future__ import annotations

import getpass
import logging
import os
import sys
from typing import Annotated

import typer

from bot.cli.common import fail, friendly_errors, settings


def run() -> None:
    """Run the bot: Telegram when SXSH_TELEGRAM_TOKEN is set, otherwise the terminal chat."""
    s = settings()
    if s.telegram.token is None:
        typer.echo("SXSH_TELEGRAM_TOKEN is not set: starting the terminal chat.", err=True)
        chat(user=None)
        return
    from bot.app import answering_threads, build_conversation, setup_logging
    from bot.channels import telegram
    from bot.channels.telegram.requests import StartFailed

    # The process opts in to PTB's future behaviour (retry_after as a timedelta) here, at its
    # entry point, not as a side effect of an import; TelegramSender handles both forms.
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    setup_logging(s)
    answering_threads()
    with friendly_errors():
        conversation = build_conversation(s)
    try:
        telegram.run(conversation, s)
    except StartFailed as exc:  # token refused, or the Bot API not reachable at start
        fail(str(exc), code=1)
    except Exception as exc:  # noqa: BLE001 - logged (redacted) with its traceback, one line here
        logging.getLogger("bot.cli").exception("the bot stopped")
        fail(f"the bot stopped: {type(exc).__name__} (details in the log above)", code=1)


def chat(
    user: Annotated[
        str | None, typer.Option(help="Your id in the terminal; the same id keeps your data.")
    ] = None,
) -> None:
    """Talk to the bot in this terminal (type a number to press a button, /quit to leave)."""
    from bot.app import build_conversation
    from bot.channels import console

    s = settings()
    with friendly_errors():
        conversation = build_conversation(s)
    console.run(
        conversation,
        user or getpass.getuser(),
        sys.stdin,
        sys.stdout,
        echo=not sys.stdin.isatty(),
    )


def worker(
    once: Annotated[bool, typer.Option("--once", help="Deliver what is due, then exit.")] = False,
) -> None:
    """Delivery lanes and scheduled jobs, no inbound messages (several may share PostgreSQL)."""
    import asyncio

    from bot import worker as lanes
    from bot.app import setup_logging

    s = settings()
    setup_logging(s)
    with friendly_errors():
        try:
            counts = asyncio.run(lanes.run(s, once=once))
        except Exception as exc:
            if type(exc).__name__ != "StartFailed":  # telegram's, imported only with a token
                raise
            fail(str(exc), code=3)  # as `serve`: systemd's Restart=always tries again
    if once:
        typer.echo(" ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "nothing due")
