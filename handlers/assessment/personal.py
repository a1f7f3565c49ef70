"""The assessment's personal data: described for /mydata, erased for /deletedata (the hooks of
its capability declaration).

Personal here: the contact's name and phone (questions marked `personal`), and, because a
household business (hộ kinh doanh) is registered under its owner's own name and personal tax
code, the business name and tax code a person gave. The bot cannot tell a household business
from a company, so it treats both as the person's (storage/enterprises.py erases them from the
answers and from an enterprise record only this person stated). Sector, size, park, ward and
practice answers stay, unlinked: they describe the business, feed the city's aggregate
figures, and identify nobody once name and tax code are gone.
"""

from __future__ import annotations

import json

from handlers.context import Context
from storage import assessments, enterprises


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


def erase_personal(session, contact, content, settings) -> None:  # noqa: ANN001
    """/deletedata: personal answers, the business name and tax code go; company answers
    stay, no longer linked to the person."""
    enterprises.erase_identifying(session, contact.id)
    assessments.unlink_contact(session, contact.id, _personal_question_ids(content))
