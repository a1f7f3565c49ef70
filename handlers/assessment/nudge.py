"""One gentle nudge 24 h after the last answer of an unfinished assessment, and the
housekeeping that closes runs nobody touched for weeks."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from content.forms import progress
from handlers import quiet_hours
from handlers.assessment import keys
from handlers.context import Context
from handlers.messages import Button, Reply
from storage import assessments, contacts, outbox
from storage.models import Response

NUDGE = "assessment_nudge"


def key(response: Response) -> str:
    return f"{NUDGE}:{response.id}"


def schedule(ctx: Context, response: Response) -> None:
    """Due `assessment_nudge_hours` after the last answer (each answer moves it), but never in
    quiet hours 21:00-07:00 local time: then at the next 07:00."""
    due = ctx.now + timedelta(hours=ctx.settings.assessment_nudge_hours)
    due = quiet_hours.next_allowed(due, ctx.settings.tz)
    outbox.enqueue(
        ctx.session,
        key(response),
        ctx.contact.id,
        NUDGE,
        due,
        {"response_id": response.id, "tz": ctx.settings.tz.key},
        reschedule=True,
    )


def cancel(session, response: Response) -> None:  # noqa: ANN001
    outbox.cancel(session, key(response))


def render_nudge(session, content, contact, payload: dict, now) -> list[Reply] | None:  # noqa: ANN001
    """The nudge, or None when the run is no longer open. Raises quiet_hours.NotNow at night
    (the row waits for 07:00); rows queued before the zone was stored are not re-checked."""
    if payload.get("tz"):
        quiet_hours.hold_at_night(now, ZoneInfo(payload["tz"]))
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
    # The assessment gets the floor again (unless another flow has it), so a typed "làm tiếp"
    # answers the nudge instead of going to the FAQ.
    if contact.active_flow is None:
        contacts.set_flow(session, contact, keys.FLOW)
    t = keys.ticket("response", response.id)
    buttons = [
        Button(texts.get(lang, "assess.resume"), keys.payload("r", t)),
        Button(texts.get(lang, "assess.later"), keys.payload("l", t)),
    ]
    return [Reply(text=text, buttons=buttons)]


def expire_stale(session, now, days: int) -> int:  # noqa: ANN001
    """Housekeeping: close responses untouched for `days` and drop their pending nudges."""
    stale = assessments.stale(session, now - timedelta(days=days))
    for response in stale:
        assessments.finish(session, response, assessments.EXPIRED, now)
        cancel(session, response)
    return len(stale)
