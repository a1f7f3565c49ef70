"""A typed answer to a yes/no prompt shown with buttons: its button's label (with or without
diacritics, emoji or a polite ending: "co, xoa het", "Đồng ý ạ") or a yes/no word of
content/questionnaires/answer_words.yaml ("có", "ok", "đồng ý"; "không", "ko") presses that
button (README: typing a button's label presses it)."""

from __future__ import annotations

from content.forms.answers import parse_yes_no
from content.textnorm import fold_words
from handlers.context import Context


def without_polite_ending(ctx: Context, text: str) -> str:
    """`text` folded (no case, diacritics, emoji or punctuation), a last polite word ("ạ",
    "nhé") dropped."""
    q = ctx.content.questionnaire
    words = q.answer_words if q is not None else None
    typed = fold_words(text)
    endings = {fold_words(w) for w in (words.polite_endings if words else [])}
    head, _, last = typed.rpartition(" ")
    return head if head and last in endings else typed


def nothing_typed(text: str) -> bool:
    """A sticker or photo without a caption (the channel's "unsupported", read as ""), blank
    spaces, or emoji and punctuation alone: no word at all. At an open question it answers
    nothing, so the question stays open and is shown again (new-user tester: after a sticker
    the next "đồng ý" or an officer's answer was read as a question to the bot)."""
    return not fold_words(text)


def yes_or_no(ctx: Context, text: str, yes_label: str, no_label: str) -> str | None:
    """ "yes" | "no" for the typed label of the yes or the no button (text keys) or a yes/no
    word; None for anything else (then the text is not an answer to the prompt)."""
    typed = without_polite_ending(ctx, text)
    if not typed:
        return None
    if typed == fold_words(ctx.t(yes_label)):
        return "yes"
    if typed == fold_words(ctx.t(no_label)):
        return "no"
    q = ctx.content.questionnaire
    return parse_yes_no(typed, q.answer_words if q is not None else None)
