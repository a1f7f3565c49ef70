"""Officers' content tools: `/reload` loads edited content in every process, `/unanswered`
lists the questions the bot most often could not answer (to improve the content). Tickets
(the questions officers answer) are handlers/tickets.

Every command here is officer-only: the router checks the rights at the time of each message
and answers anyone else as if the command did not exist. Both are written to the audit log."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from datetime import timedelta

from content.store import ContentStore
from content.textnorm import clip, fold_words
from content.texts import ContentError
from handlers import roles
from handlers.capability import Capability, Command
from handlers.context import Context
from handlers.messages import Reply
from storage import app_state, questions

LINE_CHARS = 200  # of a question's text in a list
UNANSWERED_DAYS = 90  # /unanswered looks this far back
UNANSWERED_ROWS = 5000  # and reads at most this many questions (bounded)
UNANSWERED_TOP = 15
_BREAKS = re.compile(r"\s+")


def flatten(text: str, limit: int = LINE_CHARS) -> str:
    """One line: every line break, tab and invisible format character (zero-width, bidi
    overrides) becomes a space, so a question cannot forge a second list entry; cut at `limit`
    characters with an ellipsis."""
    visible = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text
    )
    line = _BREAKS.sub(" ", visible).strip()
    return clip(line, limit)


def reload_command(ctx: Context, args: str = "") -> Reply:
    """Officers reload content for every process: validate here, then bump the generation."""
    try:
        ContentStore.load(ctx.content.directory)
    except ContentError as exc:
        return ctx.reply("content_invalid", errors="\n".join(exc.errors[:10]))
    generation = app_state.bump(ctx.session, app_state.CONTENT_GENERATION)
    roles.record(ctx, "content.reload", "content", generation)
    return ctx.reply("content_reloaded", generation=generation)


def most_unanswered(texts: list[str], top: int = UNANSWERED_TOP) -> list[tuple[str, int]]:
    """The most frequent questions among `texts`, grouped by their folded words (case,
    diacritics, punctuation and spacing do not split a group): (an example as typed, count),
    most frequent first, ties by first appearance."""
    groups: Counter[str] = Counter()
    example: dict[str, str] = {}
    for text in texts:
        key = fold_words(text)
        if not key:
            continue
        groups[key] += 1
        example.setdefault(key, text)
    return [(example[k], n) for k, n in groups.most_common(top)]


def unanswered_command(ctx: Context, args: str = "") -> list[Reply]:
    """/unanswered: what the bot could not answer confidently in the last 90 days, grouped."""
    since = ctx.now - timedelta(days=UNANSWERED_DAYS)
    texts = questions.unconfident_texts(ctx.session, since, UNANSWERED_ROWS)
    top = most_unanswered(texts[::-1])  # oldest first: a group shows its first wording
    if not top:
        return [ctx.reply("officer.unanswered_none", days=UNANSWERED_DAYS)]
    lines = [ctx.t("officer.unanswered_title", days=UNANSWERED_DAYS, count=len(texts))]
    lines += [f"{n}× {flatten(text, 150)}" for text, n in top]
    lines.append(ctx.t("officer.unanswered_hint"))
    return [Reply(text="\n".join(lines))]


CAPABILITY = Capability(
    name="officer",
    commands=(
        Command("reload", reload_command, officer_only=True),
        Command("unanswered", unanswered_command, officer_only=True),
    ),
)
