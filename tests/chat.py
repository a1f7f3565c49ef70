"""A tiny driver for tests: talk to a Conversation the way a person on a channel would."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from handlers.messages import Inbound, Reply
from handlers.router import Conversation


def rows(conversation: Conversation, model, *where) -> list:  # noqa: ANN001
    """What the database holds: every row of `model` matching `where`."""
    with Session(conversation.engine) as s:
        return list(s.exec(select(model).where(*where)).all())


@dataclass
class Person:
    conversation: Conversation
    user_id: str = "u1"
    channel: str = "console"
    name: str | None = None
    last: list[Reply] = field(default_factory=list)

    def says(self, text: str) -> list[Reply]:
        self.last = self.conversation.handle(
            Inbound(channel=self.channel, user_id=self.user_id, text=text, display_name=self.name)
        )
        return self.last

    def presses(self, label_or_payload: str) -> list[Reply]:
        """Press a button of the last replies, by its label (or its payload)."""
        for reply in self.last:
            for button in reply.buttons:
                if label_or_payload in (button.label, button.payload):
                    return self.press_payload(button.payload)
        shown = [b.label for r in self.last for b in r.buttons]
        raise AssertionError(f"no button {label_or_payload!r}; shown: {shown}")

    def press_payload(self, payload: str) -> list[Reply]:
        self.last = self.conversation.handle(
            Inbound(channel=self.channel, user_id=self.user_id, payload=payload, kind="button")
        )
        return self.last

    @property
    def text(self) -> str:
        return "\n\n".join(r.text for r in self.last)

    @property
    def buttons(self) -> list[str]:
        return [b.label for r in self.last for b in r.buttons]


class Recorder:
    """A channel as the delivery engine sees it, recording what it sent: one platform message
    per reply, as (platform id, text)."""

    def __init__(self):
        self.sent: list[tuple[str, str]] = []

    async def send(self, platform_id: str, replies: list[Reply]) -> None:
        self.sent.extend((platform_id, r.text) for r in replies)
