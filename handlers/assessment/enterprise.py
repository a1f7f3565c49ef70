"""Company-level answers also describe an enterprise record (see storage/assessments.py)."""

from __future__ import annotations

from handlers.context import Context
from storage import enterprises
from storage.models import Response

COMPANY_FIELDS = {"company_name": "name", "sector": "sector", "industrial_park": "industrial_park"}


def update_enterprise(ctx: Context, response: Response, answers: dict, qid: str) -> None:
    """Company-level answers also describe the enterprise record; a tax code names an existing
    record, which a stranger's response only claims (storage/enterprises.py)."""
    if qid not in (*COMPANY_FIELDS, "ward", "tax_code"):
        return
    fields = {field: answers.get(key) for key, field in COMPANY_FIELDS.items()}
    ward = answers.get("ward")
    if isinstance(ward, dict):
        fields["ward"] = ward.get("ward") or ward.get("free_text")
    tax_code = answers.get("tax_code")
    enterprises.link(
        ctx.session,
        ctx.contact,
        response,
        ctx.now,
        tax_code=tax_code if isinstance(tax_code, str) else None,
        **fields,
    )
