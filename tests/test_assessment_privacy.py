"""/deletedata of a household business owner (issue 8 item 16): their name and personal tax
code do not stay word for word in the enterprise record or the answers."""

from __future__ import annotations

from sqlmodel import Session, text

from storage.models import Answer, Enterprise, Response
from tests.chat import Person, rows
from tests.test_assessment import FULL_RUN, answer_all, begin

OWNER = "Hộ kinh doanh Nguyễn Thị Hoa"
PERSONAL_TAX_CODE = "8012345678"


def household_run() -> list[str]:
    run = list(FULL_RUN)
    run[0], run[5] = OWNER, PERSONAL_TAX_CODE
    run[-2] = "Nguyễn Thị Hoa"
    return run


def everything_stored(conversation) -> str:
    """Every text column of every table, as one string (what a database dump would show)."""
    out = []
    with Session(conversation.engine) as s:
        tables = s.exec(text("select name from sqlite_master where type = 'table'")).all()
        for (table,) in tables:
            for row in s.exec(text(f'select * from "{table}"')).all():  # noqa: S608
                out.append(" | ".join(str(v) for v in row))
    return "\n".join(out)


def test_deletedata_removes_a_household_owners_name_and_tax_code(conversation):
    p = Person(conversation)
    begin(p)
    answer_all(p, household_run())
    assert OWNER in everything_stored(conversation)
    p.says("/deletedata")
    p.presses("Có, xóa hết")
    dump = everything_stored(conversation)
    for personal in (OWNER, PERSONAL_TAX_CODE, "Nguyễn Thị Hoa", "0912345678"):
        assert personal not in dump, personal
    [record] = rows(conversation, Enterprise)
    assert (record.name, record.tax_code, record.sector) == (None, None, "seafood")
    [response] = rows(conversation, Response)
    kept = {a.question_id for a in rows(conversation, Answer)}
    assert response.contact_id is None and {"sector", "employees", "ward"} <= kept
    assert not kept & {"company_name", "tax_code", "contact_name", "contact_phone"}


def test_an_enterprise_another_person_also_speaks_for_keeps_its_record(conversation):
    owner = Person(conversation, user_id="owner")
    begin(owner)
    answer_all(owner, FULL_RUN)
    colleague = Person(conversation, user_id="colleague")
    begin(colleague)
    run = list(FULL_RUN)
    run[0] = "Công ty Cổ phần Khác"  # the colleague names the firm their own way
    answer_all(colleague, run)
    from storage import enterprises

    with Session(conversation.engine) as s:
        [claim] = enterprises.pending(s)
        enterprises.decide(s, claim.response_id, "cli:lan", confirm=True)
        s.commit()
    owner.says("/deletedata")
    owner.presses("Có, xóa hết")
    [record] = rows(conversation, Enterprise)
    assert record.tax_code == "1800123456"  # the colleague stated it too
    assert record.source_response_id == claim.response_id
    # The name the owner gave goes with them: the record keeps what the colleague said, and
    # no export or broadcast sample shows the owner's wording (tester's fault 1).
    assert record.name == "Công ty Cổ phần Khác"
    assert FULL_RUN[0] not in everything_stored(conversation)
