"""The quick assessment in chat: consent, one question at a time, answers stored the moment
they are given, resume after any interruption, result with tailored next steps.

The pure engine (content.forms) decides what is asked and whether an answer is valid; this
module only keeps the state in the database and turns it into replies.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from content.forms import (
    Accepted,
    Result,
    apply,
    back,
    current_question,
    detect_command,
    progress,
    render_comparison,
    render_intro,
    render_question,
    render_result,
    score,
    skip,
    submit,
)
from handlers.capability import Capability, Command, Flow, Job, MenuItem, OutboxKind, PersonalData
from handlers.context import Context
from handlers.messages import Button, Reply
from handlers.start import menu_button
from storage import assessments, contacts, outbox
from storage.models import Response

FLOW = "assessment"
CONSENT_PURPOSE = "assessment_contact"
CONSENT_VERSION = "assess-consent-1"  # bump when the consent wording changes
NUDGE = "assessment_nudge"
DRAFT = "_draft:"  # prefix of a multi-choice selection not yet confirmed
COMMANDS = {"assess", "skip", "back", "cancel"}  # commands that keep the assessment going


# -- entry points --------------------------------------------------------------------------
def command(ctx: Context, args: str = "") -> list[Reply]:
    """/assess and the menu item: resume an open questionnaire, or start with consent."""
    q = ctx.content.questionnaire
    if q is None:
        return [ctx.reply("assess.not_available")]
    replies: list[Reply] = []
    response = _open(ctx, replies)
    if response is not None:
        answers = _answers(ctx, response)
        n, total = progress(q, answers, personal=response.personal_consent)
        done = len([k for k in answers if not k.startswith(DRAFT)])
        buttons = [
            Button(ctx.t("assess.resume"), "as:resume"),
            Button(ctx.t("assess.restart"), "as:restart"),
        ]
        text = ctx.t(
            "assess.resume_offer",
            done=done,
            progress=ctx.t("assessment.progress", n=n, total=total),
        )
        return [*replies, Reply(text=text, buttons=buttons)]
    return [*replies, *_consent(ctx)]


def on_text(ctx: Context, text: str) -> list[Reply] | None:
    """Free text while the assessment has the floor; None when it does not."""
    if ctx.contact.active_flow != FLOW:
        return None
    response = assessments.open_response(ctx.session, ctx.contact.id)
    if response is None or ctx.content.questionnaire is None:
        contacts.set_flow(ctx.session, ctx.contact, None)
        return None
    word = detect_command(text)
    if word == "skip":
        return _skip(ctx, response)
    if word == "back":
        return _back(ctx, response)
    if word == "cancel":
        return cancel(ctx)
    return _answer(ctx, response, text)


def button(ctx: Context, arg: str) -> list[Reply]:
    """as:consent:yes|no, as:resume, as:restart, as:later, as:c:<qid>:<n> (a choice),
    as:t:<qid>:<n> (toggle in a multi choice), as:done:<qid>, as:skip, as:back, as:result."""
    action, _, rest = arg.partition(":")
    if action == "consent":
        return _start(ctx, consent=rest == "yes")
    if action == "result":
        return result_command(ctx)
    if action == "later":
        contacts.set_flow(ctx.session, ctx.contact, None)
        return [ctx.reply("assess.paused", buttons=[menu_button(ctx)])]
    q = ctx.content.questionnaire
    replies: list[Reply] = []
    response = _open(ctx, replies) if q is not None else None
    if action == "restart":
        if response is not None:
            assessments.finish(ctx.session, response, assessments.CANCELLED, ctx.now)
            outbox.cancel(ctx.session, _nudge_key(response))
        return [*replies, *_consent(ctx)]
    if response is None:
        return [*replies, ctx.reply("assess.nothing_open", buttons=[_start_button(ctx)])]
    contacts.set_flow(ctx.session, ctx.contact, FLOW)
    if action == "resume":
        return [*replies, ctx.reply("assess.resumed"), *_ask(ctx, response)]
    if action == "skip":
        return _skip(ctx, response)
    if action == "back":
        return _back(ctx, response)
    qid, _, index = rest.rpartition(":")
    if action == "c":
        answers = _answers(ctx, response)
        value = _button_value(ctx, response, answers, qid, index)
        if value is None:
            return [_stale(ctx), *_ask(ctx, response, answers)]
        return _answer(ctx, response, value, question_id=qid, answers=answers)
    if action == "t":
        return _toggle(ctx, response, qid, index)
    if action == "done":
        return _multi_done(ctx, response, rest)
    return [_stale(ctx), *_ask(ctx, response)]


def cancel(ctx: Context, args: str = "") -> list[Reply]:
    response = assessments.open_response(ctx.session, ctx.contact.id)
    contacts.set_flow(ctx.session, ctx.contact, None)
    if response is None:
        return [ctx.reply("assess.nothing_open", buttons=[_start_button(ctx)])]
    assessments.finish(ctx.session, response, assessments.CANCELLED, ctx.now)
    outbox.cancel(ctx.session, _nudge_key(response))
    return [ctx.reply("assess.cancelled", buttons=[menu_button(ctx)])]


def skip_command(ctx: Context, args: str = "") -> list[Reply]:
    return _on_open(ctx, _skip)


def back_command(ctx: Context, args: str = "") -> list[Reply]:
    return _on_open(ctx, _back)


def _on_open(ctx: Context, action) -> list[Reply]:  # noqa: ANN001
    """/skip and /back act on the open assessment (and give it the floor again)."""
    response = assessments.open_response(ctx.session, ctx.contact.id)
    if response is None:
        return [ctx.reply("assess.nothing_open", buttons=[_start_button(ctx)])]
    contacts.set_flow(ctx.session, ctx.contact, FLOW)
    return action(ctx, response)


def result_command(ctx: Context, args: str = "") -> list[Reply]:
    """/result: the latest result again, compared with the one before when there is one."""
    q = ctx.content.questionnaire
    done = assessments.completed(ctx.session, ctx.contact.id, limit=2)
    if not done or q is None:
        return [ctx.reply("assess.no_result", buttons=[_start_button(ctx)])]
    latest = Result.model_validate(json.loads(done[0].result or "{}"))
    when = done[0].completed_at.astimezone(ctx.settings.tz).strftime("%d/%m/%Y")
    texts = _texts(ctx)
    text = ctx.t("assess.last_result", date=when) + "\n\n"
    text += render_result(q, latest, _answers(ctx, done[0]), ctx.lang, texts)
    replies = [Reply(text=text, buttons=_result_buttons(ctx, latest))]
    if len(done) > 1:
        earlier = Result.model_validate(json.loads(done[1].result or "{}"))
        replies.insert(1, Reply(text=render_comparison(q, earlier, latest, ctx.lang, texts)))
    return replies


# -- the conversation ------------------------------------------------------------------------
def _consent(ctx: Context) -> list[Reply]:
    q = ctx.content.questionnaire
    contacts.set_flow(ctx.session, ctx.contact, None)
    intro = render_intro(q, ctx.lang, _texts(ctx))
    buttons = [
        Button(ctx.t("assess.consent_yes"), "as:consent:yes"),
        Button(ctx.t("assess.consent_no"), "as:consent:no"),
    ]
    return [Reply(text=intro), Reply(text=ctx.t("assess.consent"), buttons=buttons)]


def _start(ctx: Context, consent: bool) -> list[Reply]:
    q = ctx.content.questionnaire
    if q is None:
        return [ctx.reply("assess.not_available")]
    replies: list[Reply] = []
    old = _open(ctx, replies)
    if old is not None:  # a double tap on the consent button must not open two responses
        contacts.set_flow(ctx.session, ctx.contact, FLOW)
        return [*replies, *_ask(ctx, old)]
    contacts.record_consent(
        ctx.session, ctx.contact, CONSENT_PURPOSE, CONSENT_VERSION, consent, ctx.now
    )
    response = assessments.start(ctx.session, ctx.contact, q.id, str(q.version), ctx.now)
    response.personal_consent = consent
    contacts.set_flow(ctx.session, ctx.contact, FLOW)
    _schedule_nudge(ctx, response)
    key = "assess.consent_recorded_yes" if consent else "assess.consent_recorded_no"
    return [*replies, ctx.reply(key, version=CONSENT_VERSION), *_ask(ctx, response)]


def _answer(
    ctx: Context,
    response: Response,
    raw: str,
    question_id: str | None = None,
    answers: dict | None = None,
) -> list[Reply]:
    q = ctx.content.questionnaire
    answers = _answers(ctx, response) if answers is None else answers
    outcome = submit(
        q,
        answers,
        raw,
        ctx.lang,
        _texts(ctx),
        question_id=question_id,
        personal=response.personal_consent,
    )
    if not isinstance(outcome, Accepted):
        # Nothing is stored; the message says what is expected, then the same question.
        return [Reply(text=outcome.message), *_ask(ctx, response, answers)]
    return _store(ctx, response, answers, outcome)


def _store(ctx: Context, response: Response, answers: dict, accepted: Accepted) -> list[Reply]:
    q = ctx.content.questionnaire
    new = apply(q, answers, accepted)
    assessments.save_answer(ctx.session, response, accepted.question_id, accepted.value, ctx.now)
    # Answers that no longer apply after a changed earlier answer are removed, with any draft.
    dropped = [k for k in answers if k not in new] + [DRAFT + accepted.question_id]
    assessments.delete_answers(ctx.session, response, dropped)
    _update_enterprise(ctx, response, new, accepted.question_id)
    if current_question(q, new, personal=response.personal_consent) is None:
        return _complete(ctx, response, new)
    _schedule_nudge(ctx, response)
    return _ask(ctx, response, new)


def _skip(ctx: Context, response: Response) -> list[Reply]:
    q = ctx.content.questionnaire
    answers = _answers(ctx, response)
    outcome = skip(q, answers, ctx.lang, _texts(ctx), personal=response.personal_consent)
    if not isinstance(outcome, Accepted):
        return [Reply(text=outcome.message), *_ask(ctx, response, answers)]
    return _store(ctx, response, answers, outcome)


def _back(ctx: Context, response: Response) -> list[Reply]:
    q = ctx.content.questionnaire
    answers = _answers(ctx, response)
    question, _ = back(q, answers, personal=response.personal_consent)
    if question is None:
        return [ctx.reply("assess.back_at_start"), *_ask(ctx, response, answers)]
    # The earlier answer is removed so it is asked again; later answers stay and are pruned
    # only if the new answer makes them irrelevant.
    assessments.delete_answers(ctx.session, response, [question.id])
    return _ask(ctx, response)


def _complete(ctx: Context, response: Response, answers: dict) -> list[Reply]:
    q = ctx.content.questionnaire
    texts = _texts(ctx)
    previous = assessments.completed(ctx.session, ctx.contact.id, limit=1)
    result = score(q, answers, ctx.lang, texts)
    assessments.finish(
        ctx.session, response, assessments.COMPLETED, ctx.now, result.model_dump(mode="json")
    )
    outbox.cancel(ctx.session, _nudge_key(response))
    contacts.set_flow(ctx.session, ctx.contact, None)
    replies = [
        ctx.reply("assess.completed"),
        Reply(
            text=render_result(q, result, answers, ctx.lang, texts)
            + "\n\n"
            + ctx.t("assess.saved_note"),
            buttons=_result_buttons(ctx, result),
        ),
    ]
    if previous and previous[0].result:
        earlier = Result.model_validate(json.loads(previous[0].result))
        replies.append(Reply(text=render_comparison(q, earlier, result, ctx.lang, texts)))
    return replies


def _ask(ctx: Context, response: Response, answers: dict | None = None) -> list[Reply]:
    """The current question with its buttons (choices, then back/skip)."""
    q = ctx.content.questionnaire
    answers = _answers(ctx, response) if answers is None else answers
    question = current_question(q, answers, personal=response.personal_consent)
    if question is None:
        return _complete(ctx, response, answers)
    rendered = render_question(
        q, question, answers, ctx.lang, _texts(ctx), personal=response.personal_consent
    )
    selected = set(answers.get(DRAFT + question.id) or [])
    buttons: list[Button] = []
    for i, (label, value) in enumerate(rendered.buttons):
        if rendered.multi:
            mark = "✅ " if value in selected else "◻️ "
            buttons.append(Button(mark + label, f"as:t:{question.id}:{i}"))
        else:
            buttons.append(Button(label, f"as:c:{question.id}:{i}"))
    if rendered.multi:
        buttons.append(Button(ctx.t("assess.multi_done"), f"as:done:{question.id}"))
    buttons.append(Button(ctx.t("assess.back"), "as:back"))
    if rendered.optional:
        buttons.append(Button(ctx.t("assess.skip"), "as:skip"))
    return [Reply(text=rendered.text, buttons=buttons)]


def _toggle(ctx: Context, response: Response, qid: str, index: str) -> list[Reply]:
    """A press on a multi-choice button adds or removes it from the draft selection."""
    q = ctx.content.questionnaire
    answers = _answers(ctx, response)
    question = current_question(q, answers, personal=response.personal_consent)
    value = _button_value(ctx, response, answers, qid, index)
    if question is None or question.id != qid or value is None:
        return [_stale(ctx), *_ask(ctx, response, answers)]
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
    asked = _ask(ctx, response, answers)
    asked[-1].text = note
    return asked


def _multi_done(ctx: Context, response: Response, qid: str) -> list[Reply]:
    answers = _answers(ctx, response)
    selected = answers.get(DRAFT + qid) or []
    if not selected:
        return [
            ctx.reply("assess.multi_none", done=ctx.t("assess.multi_done")),
            *_ask(ctx, response, answers),
        ]
    return _answer(ctx, response, ",".join(selected), question_id=qid, answers=answers)


# -- helpers ---------------------------------------------------------------------------------
def _answers(ctx: Context, response: Response) -> dict[str, Any]:
    """Stored answers; unconfirmed multi-choice drafts stay under their DRAFT key."""
    return assessments.answers_of(ctx.session, response.id)


def _texts(ctx: Context) -> dict[str, str]:
    return ctx.content.texts.by_lang[ctx.lang]


def _open(ctx: Context, replies: list[Reply]) -> Response | None:
    """The open response, unless it is older than the expiry (then it is closed, and said)."""
    response = assessments.open_response(ctx.session, ctx.contact.id)
    if response is None:
        return None
    days = ctx.settings.assessment_expiry_days
    if response.updated_at < ctx.now - timedelta(days=days):
        assessments.finish(ctx.session, response, assessments.EXPIRED, ctx.now)
        outbox.cancel(ctx.session, _nudge_key(response))
        when = response.started_at.astimezone(ctx.settings.tz).strftime("%d/%m/%Y")
        replies.append(ctx.reply("assess.expired", date=when, days=days))
        return None
    return response


def _button_value(
    ctx: Context, response: Response, answers: dict, qid: str, index: str
) -> str | None:
    """The value behind button number `index` of question `qid` as it is rendered now."""
    q = ctx.content.questionnaire
    question = q.question(qid) if qid in q.order else None
    if question is None or not index.isdigit():
        return None
    rendered = render_question(
        q, question, answers, ctx.lang, _texts(ctx), personal=response.personal_consent
    )
    i = int(index)
    return rendered.buttons[i][1] if i < len(rendered.buttons) else None


def _stale(ctx: Context) -> Reply:
    return Reply(text=ctx.t("assessment.error.stale"))


def _result_buttons(ctx: Context, result: Result) -> list[Button]:
    kb = ctx.content.knowledge
    rows = []
    for step in result.steps:
        entry = kb.get(step.topic) if step.topic else None
        if entry is None:
            continue
        label = ctx.t("assess.step_button", title=entry.text(ctx.lang).title)
        if step.topic == "support.consulting":
            label = ctx.t("assess.officer_button")
        rows.append(Button(label, f"qa:t:{step.topic}"))
    rows.append(menu_button(ctx))
    return rows


def _start_button(ctx: Context) -> Button:
    return Button(ctx.t("assess.start_button"), "m:assess")


COMPANY_FIELDS = {"company_name": "name", "sector": "sector", "industrial_park": "industrial_park"}


def _update_enterprise(ctx: Context, response: Response, answers: dict, qid: str) -> None:
    """Company-level answers also describe the enterprise; the tax code joins contacts of one
    company to one enterprise record."""
    if qid not in (*COMPANY_FIELDS, "ward", "tax_code"):
        return
    fields = {field: answers.get(key) for key, field in COMPANY_FIELDS.items()}
    ward = answers.get("ward")
    if isinstance(ward, dict):
        fields["ward"] = ward.get("ward") or ward.get("free_text")
    tax_code = answers.get("tax_code")
    assessments.link_enterprise(
        ctx.session,
        ctx.contact,
        response,
        ctx.now,
        tax_code=tax_code if isinstance(tax_code, str) else None,
        **fields,
    )


# -- the nudge -------------------------------------------------------------------------------
def _nudge_key(response: Response) -> str:
    return f"{NUDGE}:{response.id}"


def _schedule_nudge(ctx: Context, response: Response) -> None:
    """One gentle nudge, 24 h after the last answer; each answer moves it, finishing cancels."""
    due = ctx.now + timedelta(hours=ctx.settings.assessment_nudge_hours)
    outbox.enqueue(
        ctx.session,
        _nudge_key(response),
        ctx.contact.id,
        NUDGE,
        due,
        {"response_id": response.id},
        reschedule=True,
    )


def render_nudge(session, content, contact, payload: dict, now) -> list[Reply] | None:  # noqa: ANN001
    response = session.get(Response, payload.get("response_id"))
    q = content.questionnaire
    if response is None or response.status != assessments.IN_PROGRESS or q is None:
        return None  # finished, cancelled or expired meanwhile: nothing to say
    lang = contact.language if contact.language in ("vi", "en") else "vi"
    texts = content.texts
    answers = assessments.answers_of(session, response.id)
    n, total = progress(q, answers, personal=response.personal_consent)
    text = texts.get(
        lang, "assess.nudge", progress=texts.get(lang, "assessment.progress", n=n, total=total)
    )
    buttons = [
        Button(texts.get(lang, "assess.resume"), "as:resume"),
        Button(texts.get(lang, "assess.later"), "as:later"),
    ]
    return [Reply(text=text, buttons=buttons)]


def expire_stale(session, now, days: int) -> int:  # noqa: ANN001
    """Housekeeping: close responses untouched for `days` and drop their pending nudges."""
    stale = assessments.stale(session, now - timedelta(days=days))
    for response in stale:
        assessments.finish(session, response, assessments.EXPIRED, now)
        outbox.cancel(session, _nudge_key(response))
    return len(stale)


# -- personal data (/mydata, /deletedata) ----------------------------------------------------
def _personal_question_ids(content) -> set[str]:  # noqa: ANN001
    q = content.questionnaire
    return {x.id for x in q.questions if x.personal} if q is not None else set()


def describe_personal(ctx: Context) -> list[str]:
    """/mydata: the personal answers (name, phone...) the person gave in the questionnaire."""
    ids = _personal_question_ids(ctx.content)
    if not ids:
        return []
    values = [
        json.loads(a.value)
        for a in assessments.answers_for_contact(ctx.session, ctx.contact.id, ids)
    ]
    values = [v for v in values if v]
    return [ctx.t("privacy.personal_answers"), *(f"• {v}" for v in values)] if values else []


def erase_personal(session, contact, content) -> None:  # noqa: ANN001
    """/deletedata: personal answers go; company answers stay, no longer linked to the person."""
    assessments.unlink_contact(session, contact.id, _personal_question_ids(content))


CAPABILITY = Capability(
    name="assessment",
    commands=(
        Command("assess", command, announce=True),
        Command("result", result_command, announce=True),
        Command("cancel", cancel),
        Command("skip", skip_command),
        Command("back", back_command),
    ),
    buttons={"as": button},
    flow=Flow(
        FLOW, on_text, namespace="as", keeps_open=frozenset(COMMANDS), pause_notice="assess.paused"
    ),
    menu=(MenuItem("assess", "menu.assess", command, 20),),
    outbox=(OutboxKind(NUDGE, render_nudge),),
    jobs=(
        Job(
            "expire_assessments",
            lambda session, now, settings: expire_stale(
                session, now, settings.assessment_expiry_days
            ),
        ),
    ),
    personal=PersonalData(tables=("responses",), erase=erase_personal, describe=describe_personal),
)
