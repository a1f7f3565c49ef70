"""The terminal channel: the whole bot with no token and no network.

Buttons are shown as numbered choices; typing the number presses the button. It reads a pipe
too, so a script can drive it: `printf '/start\n1\n' | sxsh-bot chat --user demo`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from bot.delivery import Delivery
from handlers.messages import Button, Inbound, Reply
from handlers.router import Conversation

CHANNEL = "console"
QUIT = {"/quit", "/exit", "/q"}


def render(reply: Reply, files_dir: Path, first: int = 1) -> tuple[str, list[Button]]:
    """Text of one reply for a terminal, and its buttons numbered from `first`."""
    lines = [reply.text] if reply.text else []
    buttons = list(reply.buttons)
    for i, button in enumerate(buttons, first):
        lines.append(f"  [{i}] {button.label}")
    if reply.attachment is not None:
        files_dir.mkdir(parents=True, exist_ok=True)
        path = files_dir / reply.attachment.filename
        path.write_bytes(reply.attachment.data)
        lines.append(f"  (tệp / file: {path})")
    return "\n".join(lines), buttons


def to_inbound(line: str, user: str, buttons: list[Button]) -> Inbound:
    stripped = line.strip()
    if stripped.isdigit() and buttons and 1 <= int(stripped) <= len(buttons):
        return Inbound(
            channel=CHANNEL, user_id=user, payload=buttons[int(stripped) - 1].payload, kind="button"
        )
    return Inbound(channel=CHANNEL, user_id=user, text=line.rstrip("\r\n"))


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
        replies = conversation.handle(inbound)
        handled += 1
        shown: list[Button] = []
        for reply in replies:
            # Number buttons across all replies of one turn, so every number is unique.
            text, reply_buttons = render(reply, files_dir, first=len(shown) + 1)
            shown.extend(reply_buttons)
            stdout.write(text + "\n\n")
        buttons = shown  # an old choice must never be pressed by a later typed number
        stdout.flush()
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
        for reply in replies:
            text, shown = render(reply, self.files_dir, first=len(self.buttons) + 1)
            self.buttons.extend(shown)
            self.stdout.write("🔔 " + text + "\n\n")
        self.stdout.flush()
