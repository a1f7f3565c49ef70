"""The result of a finished assessment: shown at completion and again with /result, compared
with the one before."""

from __future__ import annotations

import json

from content.forms import Result, render_comparison, render_result, score
from handlers.context import Context
from handlers.messages import Button, Reply
from handlers.start import menu_button
from storage import assessments
from storage.models import Response

CONSULTING_TOPIC = "support.consulting"  # the step that offers an officer's consultation


def _texts(ctx: Context) -> dict[str, str]:
    return ctx.content.texts.by_lang[ctx.lang]


def completed_replies(ctx: Context, response: Response, answers: dict) -> list[Reply]:
    """Score, store the result (ids and numbers) and show it with the comparison."""
    q = ctx.content.questionnaire
    texts = _texts(ctx)
    previous = assessments.completed(ctx.session, ctx.contact.id, limit=1)
    result = score(q, answers)
    assessments.finish(ctx.session, response, assessments.COMPLETED, ctx.now, result.stored())
    replies = [
        ctx.reply("assess.completed"),
        Reply(
            text=render_result(q, result, answers, ctx.lang, texts)
            + "\n\n"
            + ctx.t("assess.saved_note"),
            buttons=result_buttons(ctx, result),
        ),
    ]
    if previous and previous[0].result:
        earlier = Result.model_validate(json.loads(previous[0].result))
        replies.append(Reply(text=render_comparison(q, earlier, result, ctx.lang, texts)))
    return replies


def result_command(ctx: Context, args: str = "") -> list[Reply]:
    """/result: the latest result again, compared with the one before when there is one."""
    q = ctx.content.questionnaire
    done = assessments.completed(ctx.session, ctx.contact.id, limit=2)
    if not done or q is None:
        return [ctx.reply("assess.no_result", buttons=[start_button(ctx)])]
    latest = Result.model_validate(json.loads(done[0].result or "{}"))
    when = ctx.locale.date(done[0].completed_at)
    texts = _texts(ctx)
    text = ctx.t("assess.last_result", date=when) + "\n\n"
    answers = assessments.answers_of(ctx.session, done[0].id)
    text += render_result(q, latest, answers, ctx.lang, texts)
    replies = [Reply(text=text, buttons=result_buttons(ctx, latest))]
    if len(done) > 1:
        earlier = Result.model_validate(json.loads(done[1].result or "{}"))
        replies.insert(1, Reply(text=render_comparison(q, earlier, latest, ctx.lang, texts)))
    return replies


def result_buttons(ctx: Context, result: Result) -> list[Button]:
    kb = ctx.content.knowledge
    rows = []
    for step in result.steps:
        entry = kb.get(step.topic) if step.topic else None
        if entry is None:
            continue
        label = ctx.t("assess.step_button", title=entry.text(ctx.lang).title)
        if step.topic == CONSULTING_TOPIC:
            label = ctx.t("assess.officer_button")
        rows.append(Button(label, f"qa:t:{step.topic}"))
    rows.append(menu_button(ctx))
    return rows


def start_button(ctx: Context) -> Button:
    return Button(ctx.t("assess.start_button"), "m:assess")
