"""`sxsh-bot ask`: the bot's answer from the content alone (no database)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from bot.cli.common import fail, friendly_errors, settings


def ask(
    question: Annotated[
        str | None, typer.Argument(help="The question; without it, one question per line on stdin.")
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(help="The asker's language (vi|en), used when the question's is unclear."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help='One JSON object per question: {"topic", "score", ...}')
    ] = False,
) -> None:
    """Print the bot's answer to a question (content and search only, no database)."""
    import json

    from bot.settings import configure_search
    from content.store import ContentStore
    from handlers.qa import compose

    s = settings()
    language = lang or s.default_language
    if language not in ("vi", "en"):
        fail("--lang must be vi or en")
    with friendly_errors():
        configure_search(s)
        content = ContentStore.load(s.content_dir)

    def one(q: str) -> None:
        answer = compose(content, q, language)
        m = answer.match
        if as_json:
            obj = {
                "topic": m.topic,
                "score": m.score,
                "answer": answer.text,
                "alternatives": m.alternatives,
            }
            typer.echo(json.dumps(obj, ensure_ascii=False))
            return
        topic = m.topic or f"none (closest: {', '.join(m.alternatives) or '-'})"
        typer.echo(f"[topic: {topic}; confidence {m.score:.2f}; language {answer.lang}]")
        for reply in answer.replies:
            typer.echo(reply.text)
            for button in reply.buttons:
                typer.echo(f"  [{button.label}]")

    if question is not None:
        one(question)
        return
    first = True
    for line in sys.stdin:
        if not line.strip():
            continue
        if not as_json and not first:
            typer.echo("-" * 40)
        one(line.strip())
        first = False
