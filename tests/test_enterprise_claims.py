"""A public tax code does not take over an enterprise (issue 8 item 8): each response keeps
what its person answered, the record says who it comes from, and a stranger's claim changes no
report figure until an officer confirms it. Checked where officers see it: export and summary."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlmodel import Session

from content.forms import default_questionnaire
from handlers.reports.responses import response_rows
from handlers.reports.summary import summary
from storage import enterprises
from storage.models import Contact, Enterprise, Response
from tests.chat import Person, rows
from tests.test_assessment import FULL_RUN, answer_all, begin

Q = default_questionnaire()
VN = ZoneInfo("Asia/Ho_Chi_Minh")
TAX = "1800123456"  # FULL_RUN's tax code: printed on every invoice, public


def stranger_run() -> list[str]:
    run = list(FULL_RUN)
    run[0] = "Công ty Mạo Danh"  # company_name
    run[1] = "2"  # sector: rice_food
    run[6] = "không"  # know_sxsh: the stranger says no
    return run


def two_people(conversation) -> tuple[int, int]:
    owner = Person(conversation, user_id="owner")
    begin(owner)
    answer_all(owner, FULL_RUN)
    stranger = Person(conversation, user_id="stranger")
    begin(stranger)
    answer_all(stranger, stranger_run())
    first, second = sorted(r.id for r in rows(conversation, Response))
    return first, second


def export(conversation) -> dict[int, dict[str, object]]:
    with Session(conversation.engine) as s:
        headers, body = response_rows(s, Q, tz=VN, codes=True)
    return {row[0]: dict(zip(headers, row, strict=True)) for row in body}


def test_a_strangers_tax_code_changes_nothing_another_person_said(conversation):
    first, second = two_people(conversation)
    table = export(conversation)
    assert table[first]["enterprise.name"] == "Công ty TNHH Thủy sản Demo"
    assert table[first]["enterprise.sector"] == "seafood"
    assert table[second]["enterprise.name"] == "Công ty Mạo Danh"  # as they answered
    [record] = rows(conversation, Enterprise)
    assert (record.name, record.sector, record.tax_code) == (
        "Công ty TNHH Thủy sản Demo",
        "seafood",
        TAX,
    )
    assert record.source_response_id == first  # who said it
    claims = {r.id: r.enterprise_claim for r in rows(conversation, Response)}
    assert claims == {first: "verified", second: "pending"}
    stranger = rows(conversation, Contact, Contact.platform_id == "stranger")[0]
    assert stranger.enterprise_id is None


def test_an_unconfirmed_claim_does_not_replace_the_enterprises_figures(conversation):
    two_people(conversation)
    with Session(conversation.engine) as s:
        figures = summary(s, Q, tz=VN)
    total = figures[-1]
    assert total.count == 1
    assert total.yes["know_sxsh"] == 1  # the owner's "có", not the stranger's "không"
    assert [r.sector for r in figures[:-1]] == ["seafood"]


def test_an_officer_confirms_a_claim_then_the_latest_answers_count(conversation):
    first, second = two_people(conversation)
    with Session(conversation.engine) as s:
        [claim] = enterprises.pending(s)
        assert (claim.response_id, claim.tax_code) == (second, TAX)
        assert claim.claimed_name == "Công ty Mạo Danh"
        assert claim.record_name == "Công ty TNHH Thủy sản Demo"
        enterprises.decide(s, second, "cli:lan", confirm=True)
        s.commit()
        total = summary(s, Q, tz=VN)[-1]
    assert total.count == 1 and total.yes["know_sxsh"] == 0  # the latest now counts
    response = rows(conversation, Response, Response.id == second)[0]
    assert (response.enterprise_claim, response.claim_decided_by) == ("verified", "cli:lan")
    assert export(conversation)[first]["enterprise.name"] == "Công ty TNHH Thủy sản Demo"


def test_a_rejected_claim_stands_alone(conversation):
    first, second = two_people(conversation)
    with Session(conversation.engine) as s:
        enterprises.decide(s, second, "cli:lan", confirm=False)
        s.commit()
        figures = summary(s, Q, tz=VN)
    assert figures[-1].count == 2  # counted as its own respondent now
    assert rows(conversation, Response, Response.id == second)[0].enterprise_id is None


def test_officers_merge_two_records_of_one_enterprise(conversation):
    owner = Person(conversation, user_id="owner")
    begin(owner)
    answer_all(owner, FULL_RUN)
    colleague = Person(conversation, user_id="colleague")
    begin(colleague)
    run = list(FULL_RUN)
    run[5] = "bỏ qua"  # no tax code: a second record from the name alone
    answer_all(colleague, run)
    records = sorted(e.id for e in rows(conversation, Enterprise))
    assert len(records) == 2
    with Session(conversation.engine) as s:
        assert enterprises.merge(s, records[1], records[0]) == 1
        s.commit()
    assert [e.id for e in rows(conversation, Enterprise)] == [records[0]]
    assert {r.enterprise_id for r in rows(conversation, Response)} == {records[0]}


def test_the_same_person_again_still_speaks_for_their_enterprise(conversation):
    owner = Person(conversation, user_id="owner")
    begin(owner)
    answer_all(owner, FULL_RUN)
    begin(owner)
    again = list(FULL_RUN)
    again[0] = "Công ty TNHH Thủy sản Demo (mới)"
    answer_all(owner, again)
    [record] = rows(conversation, Enterprise)
    assert record.name == "Công ty TNHH Thủy sản Demo (mới)"
    assert {r.enterprise_claim for r in rows(conversation, Response)} == {"verified"}


def test_officers_list_and_confirm_claims_on_the_command_line(conversation, settings):
    from typer.testing import CliRunner

    from bot.cli import app

    first, second = two_people(conversation)
    conversation.engine.dispose()
    runner = CliRunner()
    env = {"SXSH_DATABASE_URL": settings.database_url}
    listed = runner.invoke(app, ["enterprise", "pending"], env=env)
    assert listed.exit_code == 0, listed.output
    assert f"response {second} -> enterprise" in listed.output
    assert "claimed as “Công ty Mạo Danh”" in listed.output
    done = runner.invoke(app, ["enterprise", "confirm", str(second), "--as", "lan"], env=env)
    assert done.exit_code == 0 and f"response {second}: confirmed" in done.output
    again = runner.invoke(app, ["enterprise", "confirm", str(second)], env=env)
    assert again.exit_code == 1 and "no pending claim" in again.output
    response = rows(conversation, Response, Response.id == second)[0]
    assert (response.enterprise_claim, response.claim_decided_by) == ("verified", "cli:lan")
