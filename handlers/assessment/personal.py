"""The assessment's personal data: described for /mydata, erased for /deletedata (the hooks of
its capability declaration)."""

from __future__ import annotations

import json

from handlers.context import Context
from storage import assessments


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
