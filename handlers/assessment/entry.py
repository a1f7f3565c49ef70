"""Entry points of the assessment: commands, free text while it has the floor, and buttons."""

from __future__ import annotations

from content.forms import detect_command, progress
from content.textnorm import fold_words
from handlers.assessment import flow, keys, nudge
from handlers.assessment.flow import CONSENT_FLOW, DRAFT, FLOW
from handlers.assessment.result import result_command, start_button
from handlers.context import Context
from handlers.messages import Button, Reply
from handlers.qa import small_talk
from handlers.start import menu_button
from handlers.typed_choice import nothing_typed, without_polite_ending, yes_or_no
from storage import assessments, contacts
from storage.models import Response


def command(ctx: Context, args: str = "") -> list[Reply]:
    """/assess and the menu item: resume an open questionnaire, or start with consent."""
    q = ctx.content.questionnaire
    if q is None:
        return [ctx.reply("assess.not_available")]
    replies: list[Reply] = []
    response = flow.open_response(ctx, replies)
    if response is not None:
        answers = flow.answers_of(ctx, response)
        n, total = progress(q, answers, personal=response.personal_consent)
        done = len([k for k in answers if not k.startswith(DRAFT)])
        t = flow.response_ticket(response)
        buttons = [
            Button(ctx.t("assess.resume"), keys.payload("r", t)),
            Button(ctx.t("assess.restart"), keys.payload("x", t)),
        ]
        text = ctx.t(
            "assess.resume_offer",
            done=done,
            progress=ctx.t("assessment.progress", n=n, total=total),
        )
        # the flow has the floor, so a typed "làm tiếp" answers the offer (not the FAQ)
        contacts.set_flow(ctx.session, ctx.contact, FLOW)
        return [*replies, Reply(text=text, buttons=buttons)]
    return [*replies, *flow.consent(ctx)]


def on_text(ctx: Context, text: str) -> list[Reply] | None:
    """Free text while the assessment has the floor; None when it does not."""
    if ctx.contact.active_flow != FLOW:
        return None
    response = assessments.open_response(ctx.session, ctx.contact.id)
    if response is None or ctx.content.questionnaire is None:
        contacts.set_flow(ctx.session, ctx.contact, None)
        return None
    word = typed_word(ctx, text)
    if word == "resume":
        return [ctx.reply("assess.resumed"), *flow.ask(ctx, response)]
    if word == "restart":
        return restart(ctx, response)
    if word == "done":
        done = flow.typed_done(ctx, response)
        if done is not None:
            return done
    if word is None and small_talk(text, ctx.content.lexicon) == "greeting":
        # "hello" after the nudge is a hello, not the company name: nothing is stored
        return [ctx.reply("assess.greeting"), *flow.ask(ctx, response)]
    if word == "skip":
        return flow.skip_current(ctx, response)
    if word == "back":
        return flow.go_back(ctx, response)
    if word == "cancel":
        return cancel(ctx)
    return flow.answer(ctx, response, text)


# typed text equal to one of these labels (folded: no case, diacritics or emoji) presses it
LABELS = {
    "assess.resume": "resume",
    "assess.restart": "restart",
    "assess.multi_done": "done",
    "assess.keep": "done",
    "assess.skip": "skip",
    "assess.back": "back",
}


def typed_word(ctx: Context, text: str) -> str | None:
    """The command word ("resume", "back"...) or button label typed alone, a polite ending
    ("làm tiếp ạ") aside; None for anything else."""
    q = ctx.content.questionnaire
    words = q.answer_words if q else None
    typed = without_polite_ending(ctx, text)
    if not typed:
        return None
    return detect_command(typed, words) or next(
        (word for key, word in LABELS.items() if fold_words(ctx.t(key)) == typed), None
    )


def on_free_text(ctx: Context, text: str) -> list[Reply] | None:
    """Text that no open flow took: "làm tiếp" (or a resume word) resumes the assessment that
    another command paused; None for anything else (then it is a question)."""
    if ctx.content.questionnaire is None or typed_word(ctx, text) != "resume":
        return None
    if not assessments.latest_id(ctx.session, ctx.contact.id):
        return None  # never started one: "tiếp" means something else (a question)
    replies: list[Reply] = []
    response = flow.open_response(ctx, replies)
    if response is None:  # finished, cancelled or expired: say so, and how to start
        return [*replies, ctx.reply("assess.nothing_open", buttons=[start_button(ctx)])]
    contacts.set_flow(ctx.session, ctx.contact, FLOW)
    return [*replies, ctx.reply("assess.resumed"), *flow.ask(ctx, response)]


def on_consent_text(ctx: Context, text: str) -> list[Reply] | None:
    """Typed text at the consent prompt: its button's label (with or without diacritics) or a
    yes/no word ("đồng ý", "có", "ok"; "không") presses that button. Anything else closes the
    prompt and is read as a question (None)."""
    if ctx.contact.active_flow != CONSENT_FLOW:
        return None
    q = ctx.content.questionnaire
    if q is not None and nothing_typed(text):
        return flow.consent(ctx)[-1:]  # the question again, with its buttons (still open)
    contacts.set_flow(ctx.session, ctx.contact, None)
    if q is None:
        return None
    choice = yes_or_no(ctx, text, "assess.consent_yes", "assess.consent_no")
    if choice is None:
        return None
    return flow.start(ctx, consented=choice == "yes")


def restart(ctx: Context, response: Response) -> list[Reply]:
    """ "Làm lại từ đầu": the open run is cancelled (its answers kept as cancelled), consent
    is asked again."""
    assessments.finish(ctx.session, response, assessments.CANCELLED, ctx.now)
    nudge.cancel(ctx.session, response)
    return flow.consent(ctx)


def button(ctx: Context, arg: str) -> list[Reply]:
    """Every "as:" payload (see handlers/assessment/keys.py). A payload that was not issued for
    the current state (old, repeated or forged) changes nothing: a short message, then the
    current question (or the way to start)."""
    press = keys.parse(arg)
    if press is not None and press.action == "result":
        return result_command(ctx)
    q = ctx.content.questionnaire
    if q is None:
        return [ctx.reply("assess.not_available")]
    replies: list[Reply] = []
    response = flow.open_response(ctx, replies)
    if press is None:
        return [*replies, *_refuse(ctx, response)]
    if press.action in ("y", "n"):
        if press.token != flow.consent_ticket(ctx):
            return [*replies, *_refuse(ctx, response)]
        return [*replies, *flow.start(ctx, consented=press.action == "y")]
    if press.action in ("r", "x", "l"):
        if response is None or press.token != flow.response_ticket(response):
            return [*replies, *_refuse(ctx, response)]
        if press.action == "l":
            contacts.set_flow(ctx.session, ctx.contact, None)
            return [*replies, ctx.reply("assess.paused", buttons=[menu_button(ctx)])]
        if press.action == "x":
            return [*replies, *restart(ctx, response)]
        contacts.set_flow(ctx.session, ctx.contact, FLOW)
        return [*replies, ctx.reply("assess.resumed"), *flow.ask(ctx, response)]
    if response is None:
        return [*replies, *_refuse(ctx, None)]
    answers = flow.answers_of(ctx, response)
    if press.token != flow.step_of(response, answers):
        return [*replies, *_refuse(ctx, response, answers)]
    contacts.set_flow(ctx.session, ctx.contact, FLOW)
    if press.action == "s":
        return flow.skip_current(ctx, response, answers)
    if press.action == "b":
        return flow.go_back(ctx, response, answers)
    if press.action == "t":
        return flow.toggle(ctx, response, answers, press.key)
    if press.action == "d":
        return flow.multi_done(ctx, response, answers, press.key)
    qid, value = flow.pressed_value(ctx, response, answers, press.key)
    if not qid or not value:
        return [flow.stale(ctx), *flow.ask(ctx, response, answers)]
    return flow.answer(ctx, response, value, question_id=qid, answers=answers)


def _refuse(ctx: Context, response: Response | None, answers: dict | None = None) -> list[Reply]:
    if response is None:
        return [
            flow.stale(ctx),
            ctx.reply("assess.nothing_open", buttons=[start_button(ctx)]),
        ]
    contacts.set_flow(ctx.session, ctx.contact, FLOW)
    return [flow.stale(ctx), *flow.ask(ctx, response, answers)]


def cancel(ctx: Context, args: str = "") -> list[Reply]:
    response = assessments.open_response(ctx.session, ctx.contact.id)
    contacts.set_flow(ctx.session, ctx.contact, None)
    if response is None:
        return [ctx.reply("assess.nothing_open", buttons=[start_button(ctx)])]
    assessments.finish(ctx.session, response, assessments.CANCELLED, ctx.now)
    nudge.cancel(ctx.session, response)
    return [ctx.reply("assess.cancelled", buttons=[menu_button(ctx)])]


def skip_command(ctx: Context, args: str = "") -> list[Reply]:
    return _on_open(ctx, flow.skip_current)


def back_command(ctx: Context, args: str = "") -> list[Reply]:
    return _on_open(ctx, flow.go_back)


def _on_open(ctx: Context, action) -> list[Reply]:  # noqa: ANN001
    """/skip and /back act on the open assessment (and give it the floor again)."""
    response = assessments.open_response(ctx.session, ctx.contact.id)
    if response is None:
        return [ctx.reply("assess.nothing_open", buttons=[start_button(ctx)])]
    contacts.set_flow(ctx.session, ctx.contact, FLOW)
    return action(ctx, response)
