"""The terminal channel: the whole bot with no token and no network.

Buttons are shown as numbered choices; typing the number presses the button. It reads a pipe
too, so a script can drive it: `printf '/start\n1\n' | sxsh-bot chat --user demo`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from bot.channels.console.render import CHANNEL, MAX_INPUT, render, to_inbound
from bot.channels.errors import Unreachable
from bot.delivery import Delivery
from handlers.messages import Button, Reply
from handlers.router import Conversation

QUIT = {"/quit", "/exit", "/q"}


def run(
    conversation: Conversation,
    user: str,
    stdin: TextIO,
    stdout: TextIO,
    *,
    echo: bool = False,
    files_dir: Path = Path("data/console-files"),
) -> int:
    """Chat until end of input or /quit. Returns the number of messages handled."""
    texts, lang = conversation.content.texts, conversation.settings.default_language
    stdout.write(texts.get(lang, "console.intro") + "\n\n")
    buttons: list[Button] = []
    handled = 0
    sender = ConsoleSender(stdout, files_dir)
    delivery = Delivery(conversation.engine, conversation, conversation.clock, {CHANNEL: sender})
    for line in _lines(stdin):
        # Reminders and nudges that fell due are shown before the next message is handled.
        asyncio.run(delivery.run_once())
        if sender.buttons:
            buttons, sender.buttons = sender.buttons, []
        if line.strip().lower() in QUIT:
            break
        if echo:
            stdout.write(f"> {line.rstrip()}\n")
        inbound = to_inbound(line, user, buttons)
        if inbound is None:
            text = line.rstrip("\r\n")
            stdout.write(texts.get(lang, "too_long", length=len(text), limit=MAX_INPUT) + "\n\n")
            continue
        replies = conversation.handle(inbound)
        handled += 1
        # An old choice must never be pressed by a later typed number.
        buttons = write_replies(stdout, replies, files_dir)
    stdout.write(texts.get(lang, "console.bye") + "\n")
    return handled


def _lines(stdin: TextIO) -> Iterator[str]:
    """Lines from a pipe as they come; at a terminal, a prompt with line editing."""
    if not stdin.isatty():
        yield from stdin
        return
    import readline  # noqa: F401  (arrow keys and history for input())

    while True:
        try:
            yield input("> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return


class ConsoleSender:
    """Proactive messages (reminders, nudges) printed in the terminal."""

    def __init__(self, stdout: TextIO, files_dir: Path):
        self.stdout = stdout
        self.files_dir = files_dir
        self.buttons: list[Button] = []

    async def send(self, platform_id: str, replies: list[Reply]) -> None:
        try:
            shown = write_replies(
                self.stdout, replies, self.files_dir, first=len(self.buttons) + 1, mark="🔔 "
            )
        except (OSError, ValueError):  # the terminal or pipe is closed
            raise Unreachable("the terminal is closed") from None
        self.buttons.extend(shown)


def write_replies(
    stdout: TextIO, replies: list[Reply], files_dir: Path, first: int = 1, mark: str = ""
) -> list[Button]:
    """Print one turn's replies; returns the buttons shown, numbered across all of them from
    `first` so that every number is unique."""
    shown: list[Button] = []
    for reply in replies:
        text, buttons = render(reply, files_dir, first=first + len(shown))
        shown.extend(buttons)
        stdout.write(mark + text + "\n\n")
    stdout.flush()
    return shown
