"""The terminal's rendering: a reply as text with its buttons numbered; a typed line as the
neutral Inbound (a number presses the button shown with it)."""

from __future__ import annotations

from pathlib import Path

from bot.channels.base import Limits
from handlers.messages import Button, Inbound, Reply

CHANNEL = "console"
# A terminal has no platform limit; a line longer than the largest chat platform allows
# (Telegram's 4096) is refused here, so every channel hands the core the same at most.
MAX_INPUT = 4096
LIMITS = Limits(channel=CHANNEL, text=None)


def render(reply: Reply, files_dir: Path, first: int = 1) -> tuple[str, list[Button]]:
    """Text of one reply for a terminal, and its buttons numbered from `first` (not numbered,
    and not returned, when the reply expects a typed number). An attachment
    is written to `files_dir` and its path shown."""
    lines = [reply.text] if reply.text else []
    if reply.expects_number:  # a typed number is the answer: buttons by their label only
        lines += [f"  [{button.label}]" for button in reply.buttons]
        buttons: list[Button] = []
    else:
        buttons = list(reply.buttons)
        lines += [f"  [{i}] {button.label}" for i, button in enumerate(buttons, first)]
    if reply.attachment is not None:
        files_dir.mkdir(parents=True, exist_ok=True)
        path = files_dir / reply.attachment.filename
        path.write_bytes(reply.attachment.data)
        lines.append(f"  (tệp / file: {path})")
    return "\n".join(lines), buttons


def to_inbound(line: str, user: str, buttons: list[Button]) -> Inbound | None:
    """A typed line: the number of a button on screen presses it; None for a line over
    MAX_INPUT characters (the caller says it is too long)."""
    stripped = line.strip()
    if stripped.isdigit() and buttons and 1 <= int(stripped) <= len(buttons):
        return Inbound(
            channel=CHANNEL, user_id=user, payload=buttons[int(stripped) - 1].payload, kind="button"
        )
    text = line.rstrip("\r\n")
    if len(text) > MAX_INPUT:
        return None
    return Inbound(channel=CHANNEL, user_id=user, text=text)
