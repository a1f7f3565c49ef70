"""One question at a time: consent, answers stored the moment they are given, skip, back,
multi-choice selection and completion. The pure engine (content.forms) decides what is asked
and whether an answer is valid; this module keeps the state in the database and turns it into
replies with bound buttons (handlers/assessment/keys.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from content.forms import (
    Accepted,
    apply,
    back,
    current_question,
    label_for,
    render_intro,
    render_question,
    skip,
    submit,
)
from content.forms.schema import NUMBER_TYPES
from handlers import qa, qa_prepared
from handlers.assessment import keys, nudge
from handlers.assessment.enterprise import update_enterprise
from handlers.assessment.result import completed_replies
from handlers.context import Context
from handlers.messages import Button, Reply
from handlers.qa_replies import kind_of
from storage import assessments, contacts
from storage.models import Response

FLOW = keys.FLOW
CONSENT_FLOW = "assessment_consent"  # the consent prompt is open: a typed "đồng ý" answers it
CONSENT_PURPOSE = "assessment_contact"
CONSENT_VERSION = "assess-consent-1"  # bump when the consent wording changes
DRAFT = "_draft:"  # prefix of a multi-choice selection not yet confirmed
# answered in the person's own words: a question typed there may be the answer itself
FREE_TYPES = ("text", "location", "phone", "tax_code")


def answers_of(ctx: Context, response: Response) -> dict[str, Any]:
    """Stored answers; unconfirmed multi-choice drafts stay under their DRAFT key."""
    return assessments.answers_of(ctx.session, response.id)


def texts(ctx: Context) -> dict[str, str]:
    return ctx.content.texts.by_lang[ctx.lang]


def open_response(ctx: Context, replies: list[Reply]) -> Response | None:
    """The open response, unless it is older than the expiry (then it is closed, and said)."""
    response = assessments.open_response(ctx.session, ctx.contact.id)
    if response is None:
        return None
    days = ctx.settings.assessment_expiry_days
    if response.updated_at < ctx.now - timedelta(days=days):
        assessments.finish(ctx.session, response, assessments.EXPIRED, ctx.now)
        nudge.cancel(ctx.session, response)
        when = ctx.locale.date(response.started_at)
        replies.append(ctx.reply("assess.expired", date=when, days=days))
        return None
    return response


def step_of(response: Response, answers: dict[str, Any]) -> str:
    return keys.step_key(response.id, answers)


def response_ticket(response: Response) -> str:
    return keys.ticket("response", response.id)


def consent_ticket(ctx: Context) -> str:
    """Bound to the contact's latest response: once a run starts, old consent buttons are
    stale (a double tap, or an old message pressed after finishing)."""
    latest = assessments.latest_id(ctx.session, ctx.contact.id)
    return keys.ticket("consent", ctx.contact.id, latest)


def stale(ctx: Context) -> Reply:
    return Reply(text=ctx.t("assess.stale_button"))


# -- the conversation ------------------------------------------------------------------------
def consent(ctx: Context) -> list[Reply]:
    q = ctx.content.questionnaire
    contacts.set_flow(ctx.session, ctx.contact, CONSENT_FLOW)
    intro = render_intro(q, ctx.lang, texts(ctx))
    t = consent_ticket(ctx)
    buttons = [
        Button(ctx.t("assess.consent_yes"), keys.payload("y", t)),
        Button(ctx.t("assess.consent_no"), keys.payload("n", t)),
    ]
    return [Reply(text=intro), Reply(text=ctx.t("assess.consent"), buttons=buttons)]


def start(ctx: Context, consented: bool) -> list[Reply]:
    q = ctx.content.questionnaire
    if q is None:
        return [ctx.reply("assess.not_available")]
    replies: list[Reply] = []
    old = open_response(ctx, replies)
    if old is not None:  # a consent pressed while a run is open must not open a second one
        contacts.set_flow(ctx.session, ctx.contact, FLOW)
        return [*replies, *ask(ctx, old)]
    contacts.record_consent(
        ctx.session, ctx.contact, CONSENT_PURPOSE, CONSENT_VERSION, consented, ctx.now
    )
    response = assessments.start(ctx.session, ctx.contact, q.id, str(q.version), ctx.now)
    response.personal_consent = consented
    contacts.set_flow(ctx.session, ctx.contact, FLOW)
    nudge.schedule(ctx, response)
    key = "assess.consent_recorded_yes" if consented else "assess.consent_recorded_no"
    return [*replies, ctx.reply(key, version=CONSENT_VERSION), *ask(ctx, response)]


def answer(
    ctx: Context,
    response: Response,
    raw: str,
    question_id: str | None = None,
    answers: dict | None = None,
) -> list[Reply]:
    q = ctx.content.questionnaire
    answers = answers_of(ctx, response) if answers is None else answers
    outcome = submit(
        q,
        answers,
        raw,
        ctx.lang,
        texts(ctx),
        question_id=question_id,
        personal=response.personal_consent,
    )
    if not isinstance(outcome, Accepted):
        if question_id is None:  # typed, not pressed: maybe a question asked meanwhile
            meanwhile = _asked_meanwhile(ctx, response, answers, raw)
            if meanwhile is not None:
                return meanwhile
        # Nothing is stored; the message says what is expected, then the same question.
        return [Reply(text=outcome.message), *ask(ctx, response, answers)]
    return store(ctx, response, answers, outcome)


def _asked_meanwhile(
    ctx: Context, response: Response, answers: dict, raw: str
) -> list[Reply] | None:
    """A question the bot is sure of, typed at a question with choices or a number (where it
    cannot be the answer): its answer, then the assessment's question again. None otherwise
    (free text may be a name or a place; the answer's error message is shown)."""
    q = ctx.content.questionnaire
    question = current_question(q, answers, personal=response.personal_consent)
    if question is None or question.type in FREE_TYPES or not qa.a_question(raw):
        return None
    # Searched once for the turn: qa.on_text takes the same match (qa_prepared.search).
    match = qa_prepared.search(ctx.memo, raw, ctx.content.knowledge.index)
    if kind_of(ctx.content, match) != "answer":
        return None
    return [*qa.on_text(ctx, raw), *ask(ctx, response, answers)]


def store(ctx: Context, response: Response, answers: dict, accepted: Accepted) -> list[Reply]:
    q = ctx.content.questionnaire
    new = apply(q, answers, accepted)
    assessments.save_answer(
        ctx.session,
        response,
        accepted.question_id,
        accepted.value,
        ctx.now,
        exists=accepted.question_id in answers,  # `answers` is what the database holds
    )
    # Answers that no longer apply after a changed earlier answer are removed, with any draft
    # (`answers` is what the database holds: no DELETE when there is nothing to drop).
    dropped = [k for k in answers if k not in new or k == DRAFT + accepted.question_id]
    assessments.delete_answers(ctx.session, response, dropped)
    update_enterprise(ctx, response, new, accepted.question_id)
    echo = [Reply(text=accepted.echo)] if accepted.echo else []
    if current_question(q, new, personal=response.personal_consent) is None:
        return [*echo, *complete(ctx, response, new)]
    nudge.schedule(ctx, response)
    return [*echo, *ask(ctx, response, new)]


def skip_current(ctx: Context, response: Response, answers: dict | None = None) -> list[Reply]:
    q = ctx.content.questionnaire
    answers = answers_of(ctx, response) if answers is None else answers
    outcome = skip(q, answers, ctx.lang, texts(ctx), personal=response.personal_consent)
    if not isinstance(outcome, Accepted):
        return [Reply(text=outcome.message), *ask(ctx, response, answers)]
    return store(ctx, response, answers, outcome)


def go_back(ctx: Context, response: Response, answers: dict | None = None) -> list[Reply]:
    q = ctx.content.questionnaire
    answers = answers_of(ctx, response) if answers is None else answers
    question, _ = back(q, answers, personal=response.personal_consent)
    if question is None:
        return [ctx.reply("assess.back_at_start"), *ask(ctx, response, answers)]
    # The earlier answer is removed so it is asked again (later answers stay and are pruned
    # only if the new answer makes them irrelevant); it is kept as the draft, so the question
    # shows it (ticked boxes, or "Đã trả lời: ...") and "Xong"/"Giữ" keeps it.
    assessments.delete_answers(ctx.session, response, [question.id])
    previous = answers.get(question.id)
    if previous is not None:
        kept = list(previous) if isinstance(previous, list) else previous
        assessments.save_answer(ctx.session, response, DRAFT + question.id, kept, ctx.now)
    return ask(ctx, response)


def complete(ctx: Context, response: Response, answers: dict) -> list[Reply]:
    replies = completed_replies(ctx, response, answers)
    nudge.cancel(ctx.session, response)
    contacts.set_flow(ctx.session, ctx.contact, None)
    return replies


def ask(ctx: Context, response: Response, answers: dict | None = None) -> list[Reply]:
    """The current question with its buttons (choices, then back/skip), bound to this step."""
    q = ctx.content.questionnaire
    answers = answers_of(ctx, response) if answers is None else answers
    question = current_question(q, answers, personal=response.personal_consent)
    if question is None:
        return complete(ctx, response, answers)
    rendered = render_question(
        q, question, answers, ctx.lang, texts(ctx), personal=response.personal_consent
    )
    step = step_of(response, answers)
    draft = answers.get(DRAFT + question.id)
    selected = set(draft or []) if rendered.multi else set()
    text = rendered.text
    if draft is not None and not rendered.multi:  # back to an answered question
        shown = label_for(question, draft, ctx.lang, texts(ctx))
        text += "\n\n" + ctx.t("assess.previous_answer", answer=shown, keep=ctx.t("assess.keep"))
    buttons: list[Button] = []
    for label, value in rendered.buttons:
        key = keys.value_key(q.id, q.version, question.id, value)
        if rendered.multi:
            mark = "✅ " if value in selected else "◻️ "
            buttons.append(Button(mark + label, keys.payload("t", step, key)))
        else:
            buttons.append(Button(label, keys.payload("c", step, key)))
    done_key = keys.value_key(q.id, q.version, question.id, "")
    if rendered.multi:
        buttons.append(Button(ctx.t("assess.multi_done"), keys.payload("d", step, done_key)))
    elif draft is not None:
        buttons.append(Button(ctx.t("assess.keep"), keys.payload("d", step, done_key)))
    buttons.append(Button(ctx.t("assess.back"), keys.payload("b", step)))
    if rendered.optional:
        buttons.append(Button(ctx.t("assess.skip"), keys.payload("s", step)))
    expects_number = question.type in NUMBER_TYPES
    return [Reply(text=text, buttons=buttons, expects_number=expects_number)]


def pressed_value(ctx: Context, response: Response, answers: dict, key: str) -> tuple[str, str]:
    """(question id, value) of the current question's button with value key `key`; ("", "")
    when no button of the current question (under this questionnaire version) has it."""
    q = ctx.content.questionnaire
    question = current_question(q, answers, personal=response.personal_consent)
    if question is None:
        return "", ""
    rendered = render_question(
        q, question, answers, ctx.lang, texts(ctx), personal=response.personal_consent
    )
    for _, value in rendered.buttons:
        if keys.value_key(q.id, q.version, question.id, value) == key:
            return question.id, value
    if key == keys.value_key(q.id, q.version, question.id, ""):
        return question.id, ""
    return "", ""


def toggle(ctx: Context, response: Response, answers: dict, key: str) -> list[Reply]:
    """A press on a multi-choice button adds or removes it from the draft selection."""
    q = ctx.content.questionnaire
    qid, value = pressed_value(ctx, response, answers, key)
    question = q.question(qid) if qid else None
    if question is None or question.type != "multi_choice" or not value:
        return [stale(ctx), *ask(ctx, response, answers)]
    selected = list(answers.get(DRAFT + qid) or [])
    selected = [v for v in selected if v != value] if value in selected else [*selected, value]
    assessments.save_answer(ctx.session, response, DRAFT + qid, selected, ctx.now)
    answers[DRAFT + qid] = selected
    labels = ", ".join(c.label.get(ctx.lang) for c in question.choices if c.value in selected)
    done = ctx.t("assess.multi_done")
    note = (
        ctx.t("assess.multi_selected", selected=labels, done=done)
        if selected
        else ctx.t("assess.multi_none", done=done)
    )
    asked = ask(ctx, response, answers)
    asked[-1].text = note
    return asked


def multi_done(ctx: Context, response: Response, answers: dict, key: str) -> list[Reply]:
    qid, value = pressed_value(ctx, response, answers, key)
    if not qid or value:
        return [stale(ctx), *ask(ctx, response, answers)]
    question = ctx.content.questionnaire.question(qid)
    if question.type != "multi_choice":  # "Giữ câu trả lời cũ" after going back
        if DRAFT + qid not in answers:
            return [stale(ctx), *ask(ctx, response, answers)]
        return store(ctx, response, answers, Accepted(qid, answers[DRAFT + qid]))
    selected = answers.get(DRAFT + qid) or []
    if not selected:
        return [
            ctx.reply("assess.multi_none", done=ctx.t("assess.multi_done")),
            *ask(ctx, response, answers),
        ]
    return answer(ctx, response, ",".join(selected), question_id=qid, answers=answers)


def typed_done(ctx: Context, response: Response) -> list[Reply] | None:
    """A typed "xong" at a multi-choice question confirms the selection made with the
    buttons; None at any other question (there the word is an ordinary answer)."""
    q = ctx.content.questionnaire
    answers = answers_of(ctx, response)
    question = current_question(q, answers, personal=response.personal_consent)
    if question is None or question.type != "multi_choice" and DRAFT + question.id not in answers:
        return None
    key = keys.value_key(q.id, q.version, question.id, "")
    return multi_done(ctx, response, answers, key)
