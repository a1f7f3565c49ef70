"""Officer data in answers: the department's contacts and the support programmes, as filled
in by officers in content/contacts.yaml and content/programmes.yaml. What is not filled in yet
is left out, with one line pointing to an officer (never a line of "chưa cập nhật")."""

from __future__ import annotations

from datetime import date
from typing import Any

from content.faq_schema import ContactInfo, Programme, local
from content.locale import date_text


# ---------------------------------------------------------------------------------------
# Rendering officer data
# ---------------------------------------------------------------------------------------
def render_contacts(contacts: Any, lang: str, w: dict[str, str]) -> str:
    """Each contact with what officers have filled in; what is not known yet is left out, and
    one line at the end says officers will complete it (never a line of "chưa cập nhật")."""
    blocks: list[str] = []
    missing = False
    for c in contacts:
        lines = [f"• {c.name.vi if lang == 'vi' else c.name.en}"]
        if c.role is not None:
            lines[0] += f" – {local(c.role, lang)}"
        for key in ("phone", "email", "address", "hours"):
            value = local(getattr(c, key), lang)
            if value:
                lines.append(f"  {w[key]}: {value}")
            else:
                missing = True
        blocks.append("\n".join(lines))
    if not blocks:
        return f"{w['no_contacts']} {w['ask_officer']}"
    if missing:
        blocks.append(w["ask_officer"])
    return "\n\n".join(blocks)


def _programme_block(p: Programme, lang: str, w: dict[str, str]) -> tuple[str, bool]:
    lines = [f"• {getattr(p.name, lang)}"]
    if p.summary is not None:
        lines.append(f"  {getattr(p.summary, lang)}")
    if p.who_can_apply is not None:
        lines.append(f"  {w['who']}: {getattr(p.who_can_apply, lang)}")
    amount = local(p.amount, lang)
    if amount:
        lines.append(f"  {w['amount']}: {amount}")
    if p.deadline:
        lines.append(f"  {w['deadline']}: {date_text(p.deadline, lang)}")
    return "\n".join(lines), amount is None or p.deadline is None


def render_programmes(
    programmes: list[Programme], lang: str, w: dict[str, str], today: date | None = None
) -> str:
    blocks: list[str] = []
    missing = False
    open_ = [p for p in programmes if p.is_open(today)]
    upcoming = [p for p in programmes if p.status == "upcoming"]
    if open_:
        blocks.append(f"{w['open']}:")
        for p in open_:
            text, miss = _programme_block(p, lang, w)
            blocks.append(text)
            missing |= miss
    else:
        blocks.append(w["none_open"])
    if upcoming:
        blocks.append(f"{w['upcoming']}:")
        for p in upcoming:
            text, miss = _programme_block(p, lang, w)
            blocks.append(text)
            missing |= miss
    if missing or not open_:
        blocks.append(w["ask_officer"])
    return "\n\n".join(blocks)


def render_programmes_apply(
    programmes: list[Programme],
    contacts: dict[str, ContactInfo],
    lang: str,
    w: dict[str, str],
    today: date | None = None,
) -> str:
    blocks: list[str] = []
    missing = False
    for p in programmes:
        if not (p.is_open(today) or p.status == "upcoming"):
            continue
        state = w["open"] if p.is_open(today) else w["upcoming"]
        lines = [f"• {getattr(p.name, lang)} ({state.lower()})"]
        steps = getattr(p.how_to_apply, lang)
        if steps:
            lines.append(f"  {w['how']}:")
            lines += [f"  {i}. {s}" for i, s in enumerate(steps, 1)]
        docs = getattr(p.documents, lang)
        if docs:
            lines.append(f"  {w['documents']}: " + "; ".join(docs))
        if p.deadline:
            lines.append(f"  {w['deadline']}: {date_text(p.deadline, lang)}")
        c = contacts.get(p.contact) if p.contact else None
        reach = ", ".join(x for x in (c.phone, c.email) if x) if c is not None else ""
        if c is not None:
            lines.append(
                f"  {w['contact']}: {getattr(c.name, lang)}" + (f" – {reach}" if reach else "")
            )
        missing |= not steps or not docs or p.deadline is None or not reach
        blocks.append("\n".join(lines))
    if not blocks:
        blocks.append(w["none_apply"])
        missing = True
    if missing:
        blocks.append(w["ask_officer"])
    return "\n\n".join(blocks)
