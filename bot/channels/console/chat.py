"""The terminal channel: the whole bot with no token and no network.

Buttons are shown as numbered choices; typing the number presses the button. It reads a pipe
too, so a script can drive it: `printf '/start\n1\n' | sxsh-bot chat --user demo`.

A terminal session is one person's chat: messages due for that person (reminders, an officer's
answer) are shown while the prompt waits, and only theirs; another person's stay in the outbox
until that person opens their own chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from pathlib import Path
from typing import TextIO

from bot.channels.console.render import CHANNEL, MAX_INPUT, render, to_inbound
from bot.channels.errors import Unreachable
from bot.delivery import Delivery
from handlers.messages import Button, Reply
from handlers.router import Conversation

QUIT = {"/quit", "/exit", "/q"}
POLL_SECONDS = 5.0  # how often due messages are looked for while the prompt waits


def run(
    conversation: Conversation,
    user: str,
    stdin: TextIO,
    stdout: TextIO,
    *,
    echo: bool = False,
    files_dir: Path = Path("data/console-files"),
    poll_seconds: float = POLL_SECONDS,
) -> int:
    """Chat until end of input or /quit. Returns the number of messages handled."""
    chat = _Chat(conversation, user, stdout, Path(files_dir), echo)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(chat.run(stdin, poll_seconds))
    return chat.handled


class _Chat:
    def __init__(
        self, conversation: Conversation, user: str, stdout: TextIO, files_dir: Path, echo: bool
    ):
        self.conversation, self.user, self.stdout, self.echo = conversation, user, stdout, echo
        self.texts = conversation.content.texts
        self.sender = ConsoleSender(stdout, files_dir, recipient=user)
        self.delivery = Delivery(
            conversation.engine, conversation, conversation.clock, {CHANNEL: self.sender}
        )
        self.files_dir = files_dir
        self.handled = 0

    @property
    def lang(self) -> str:
        """The person's language as it is now (a /lang in this chat changes the goodbye)."""
        return self.conversation.language_of(CHANNEL, self.user)

    async def run(self, stdin: TextIO, poll_seconds: float) -> None:
        self.stdout.write(self.texts.get(self.lang, "console.intro") + "\n\n")
        await self.delivery.run_once()  # what fell due while the chat was closed, at once
        done = asyncio.Event()
        deliveries = asyncio.create_task(self._deliver_while_waiting(done, poll_seconds))
        reader = _Reader(stdin)
        try:
            while (line := await reader.next()) is not None:
                if line.strip().lower() in QUIT:
                    break
                await self._handle(line)
        finally:
            done.set()
            await deliveries
        self.stdout.write(self.texts.get(self.lang, "console.bye") + "\n")
        self.stdout.flush()

    async def _deliver_while_waiting(self, done: asyncio.Event, poll_seconds: float) -> None:
        while not done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), poll_seconds)
            if not done.is_set():
                await self.delivery.run_once()

    async def _handle(self, line: str) -> None:
        if self.echo:
            self.stdout.write(f"> {line.rstrip()}\n")
        # The numbers on screen are resolved now, before anything else can be printed.
        inbound = to_inbound(line, self.user, self.sender.screen)
        if inbound is None:
            text = line.rstrip("\r\n")
            too_long = self.texts.get(self.lang, "too_long", length=len(text), limit=MAX_INPUT)
            self.stdout.write(too_long + "\n\n")
            return
        replies = await asyncio.to_thread(self.conversation.handle, inbound)
        self.handled += 1
        # An old choice must never be pressed by a later typed number.
        self.sender.screen = write_replies(self.stdout, replies, self.files_dir)


class _Reader:
    """Reads one line when asked, in a daemon thread: the event loop keeps showing due messages
    meanwhile, and a pending read never keeps the process alive after /quit or Ctrl-C."""

    def __init__(self, stdin: TextIO):
        self.stdin = stdin
        self.loop = asyncio.get_running_loop()
        self.lines: asyncio.Queue[str | None] = asyncio.Queue()
        self.wanted = threading.Semaphore(0)
        threading.Thread(target=self._pump, name="console-input", daemon=True).start()

    async def next(self) -> str | None:
        self.wanted.release()
        return await self.lines.get()

    def _pump(self) -> None:
        line: str | None = ""
        while line is not None:
            self.wanted.acquire()
            line = _read_line(self.stdin)
            try:
                self.loop.call_soon_threadsafe(self.lines.put_nowait, line)
            except RuntimeError:  # the chat has ended meanwhile
                return


def _read_line(stdin: TextIO) -> str | None:
    """The next line; None at the end of input. At a terminal, a prompt with line editing."""
    if not stdin.isatty():
        return stdin.readline() or None
    import readline  # noqa: F401  (arrow keys and history for input())

    try:
        return input("> ")
    except EOFError:
        print()
        return None


class ConsoleSender:
    """Proactive messages (reminders, nudges, officer answers) printed in the terminal, for the
    one person whose chat it is: delivery claims only `recipients`' rows."""

    def __init__(self, stdout: TextIO, files_dir: Path, recipient: str | None = None):
        self.stdout = stdout
        self.files_dir = files_dir
        self.recipients = None if recipient is None else frozenset({recipient})
        self.screen: list[Button] = []  # the buttons a typed number presses, in order

    async def send(self, platform_id: str, replies: list[Reply]) -> None:
        if self.recipients is not None and platform_id not in self.recipients:
            raise Unreachable("not this terminal's person")  # never shown to someone else
        try:
            shown = write_replies(
                self.stdout, replies, self.files_dir, first=len(self.screen) + 1, mark="🔔 "
            )
        except (OSError, ValueError):  # the terminal or pipe is closed
            raise Unreachable("the terminal is closed") from None
        self.screen = [*self.screen, *shown]  # the numbers already on screen keep their meaning


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
