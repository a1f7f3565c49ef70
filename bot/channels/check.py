"""What every channel can carry, checked before anything is sent. `sxsh-bot content check`
runs these, so content a channel would refuse or cut is reported with file, entry and problem;
handlers and content never hold a platform's numbers themselves."""

from __future__ import annotations

from collections.abc import Iterable

from bot.channels import console, telegram, zalo_oa
from bot.channels.base import Limits
from content import knowledge
from handlers.messages import Reply

CHANNELS: tuple[Limits, ...] = (telegram.LIMITS, zalo_oa.LIMITS, console.LIMITS)


def payload_problems(payload: str) -> list[str]:
    """Why a button payload cannot be sent, one line per channel that refuses it."""
    return [p for limits in CHANNELS if (p := limits.payload_problem(payload)) is not None]


def reply_problems(reply: Reply) -> list[str]:
    """What in a reply some channel cannot send: over-long payloads, buttons with no text."""
    problems = [p for b in reply.buttons for p in payload_problems(b.payload)]
    if reply.buttons and not reply.text and reply.attachment is None:
        problems.append("buttons with no text: Telegram cannot send them")
    return problems


def paragraph_problems(paragraphs: Iterable[tuple[str, str]]) -> list[str]:
    """Paragraphs longer than the smallest text limit of the channels: a channel would have to
    cut them mid-paragraph (nothing is lost, but it reads badly)."""
    limited = [c for c in CHANNELS if c.text is not None]
    problems = []
    for where, para in paragraphs:
        for limits in limited:
            size = limits.size(para)
            if size > limits.text:
                problems.append(
                    f"{where}: a paragraph is {size} characters, longer than {limits.text} "
                    f"({limits.channel}'s limit); split it with a blank line"
                )
                break
    return problems


def content_problems(kb: knowledge.KnowledgeBase) -> list[str]:
    """Every problem the channels have with the curated answers."""
    return paragraph_problems(knowledge.paragraphs(kb))


def folder_problems(directory) -> list[str]:  # noqa: ANN001 - a pathlib.Path
    """The channels' problems with a content folder (content/store.check finds the rest)."""
    return content_problems(knowledge.load(directory, []))
