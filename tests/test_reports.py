"""Officers' export and summary, on real databases: what the Excel/CSV file and the summary
table show for a handful of enterprises whose answers we know by heart.

The data (times in UTC; Cần Thơ is UTC+7):
  R5  Cty A (seafood)     2026-01-10  an earlier assessment of A: knew nothing yet
  R1  Cty A (seafood)     2026-03-02 01:30  consented, gave name and phone, 2 fuels, no water use
  R6  Cty E (beverages)   2026-03-03 02:00  questionnaire version 0: no dedicated_unit question,
                                            a question "iso14001" that no longer exists
  R3  Cty C (rice_food)   2026-03-04 20:00  = 05/03/2026 03:00 local; no tax code, bill skipped
  R2  Cty B (seafood)     2026-03-05 10:00  no consent (a name stored anyway must not leak)
  R4  Cty D (seafood)     in progress: never exported
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlmodel import Session

from bot.exports.csvfile import write_csv
from bot.exports.xlsx import write_xlsx
from content.forms import default_questionnaire, score
from content.forms.scoring import level_label
from handlers.reports.responses import response_rows
from handlers.reports.summary import SummaryRow, _share, summary, summary_table
from storage import assessments, contacts, enterprises, migrate
from storage.db import make_engine, session_scope
from tests.forms_support import TEXTS

BIN = Path(sys.executable).parent / "sxsh-bot"
Q = default_questionnaire()
VN = ZoneInfo("Asia/Ho_Chi_Minh")

BASE = {
    "company_name": "Cty",
    "sector": "seafood",
    "employees": 50,
    "industrial_park": "tra_noc_1",
    "ward": {"park": "tra_noc_1", "ward": "Phường Thới An Đông", "free_text": None},
    "tax_code": None,
    "know_sxsh": "yes",
    "applied_sxsh": "no",
    "dedicated_unit": "no",
    "electricity_bill": 10,
    "energy_monitoring": "none",
    "fuels": ["none"],
    "equipment": ["none"],
    "water_source": ["mains"],
    "water_use": 300,
    "water_metering": "main_only",
    "material_losses": "sometimes",
    "waste_practices": ["sorted"],
    "housekeeping_practices": ["idle_off"],
    "interest": ["training"],
}

R1 = {
    **BASE,
    "company_name": "Công ty Thủy sản A",
    "employees": 120,
    "tax_code": "1800000001",
    "applied_sxsh": "yes",
    "electricity_bill": 45.5,
    "energy_monitoring": "bill_only",
    "fuels": ["coal", "biomass"],
    "equipment": ["boiler"],
    "boiler_condensate": "partly",
    "water_use": None,  # skipped optional question
    "contact_name": "Nguyễn Văn An",
    "contact_phone": "0912345678",
}
R5 = {**BASE, "company_name": "Công ty Thủy sản A", "tax_code": "1800000001", "know_sxsh": "no"}
R2 = {
    **BASE,
    "company_name": "Công ty B",
    "tax_code": "1800000002",
    "contact_name": "Should never be exported",
}
R3 = {
    **BASE,
    "company_name": "Cơ sở xay xát C",
    "sector": "rice_food",
    "industrial_park": "none",
    "ward": {"park": None, "ward": "Xã Phong Điền", "free_text": None},
    "know_sxsh": "no",
    "dedicated_unit": "yes",
    "electricity_bill": None,
    "interest": ["site_visit", "training"],
}
R6 = {  # version 0 of the questionnaire had no dedicated_unit but an ISO 14001 question
    key: value for key, value in BASE.items() if key != "dedicated_unit"
} | {
    "company_name": "=Cty E (test)",  # must stay text, never become a formula
    "sector": "beverages",
    "applied_sxsh": "yes",
    "iso14001": "yes",
}
R4 = {**BASE, "company_name": "Công ty D"}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def add(
    session: Session,
    user: str,
    answers: dict,
    at: datetime,
    *,
    enterprise: dict,
    consent: bool = False,
    version: str = "1",
    done: bool = True,
) -> int:
    contact, _ = contacts.touch(session, "telegram", user, at)
    response = assessments.start(session, contact, Q.id, version, at)
    response.personal_consent = consent
    for question_id, value in answers.items():
        assessments.save_answer(session, response, question_id, value, at)
    enterprises.link(session, contact, response, at, **enterprise)
    if done:
        result = score(Q, answers).stored()
        assessments.finish(session, response, assessments.COMPLETED, at, result)
    session.flush()
    return response.id


def populate(url: str) -> dict[str, int]:
    migrate.upgrade(url)
    engine = make_engine(url)
    ids = {}
    with session_scope(engine) as s:
        a = {"tax_code": "1800000001", "name": "Công ty Thủy sản A", "sector": "seafood"}
        ids["R5"] = add(s, "a", R5, utc(2026, 1, 10, 3, 0), enterprise=a)
        ids["R1"] = add(s, "a", R1, utc(2026, 3, 2, 1, 30), enterprise=a, consent=True)
        e = {"name": "=Cty E (test)", "sector": "beverages"}
        ids["R6"] = add(s, "e", R6, utc(2026, 3, 3, 2, 0), enterprise=e, version="0")
        c = {"name": "Cơ sở xay xát C", "sector": "rice_food"}
        ids["R3"] = add(s, "c", R3, utc(2026, 3, 4, 20, 0), enterprise=c)
        b = {"tax_code": "1800000002", "name": "Công ty B", "sector": "seafood"}
        ids["R2"] = add(s, "b", R2, utc(2026, 3, 5, 10, 0), enterprise=b)
        d = {"name": "Công ty D", "sector": "seafood"}
        ids["R4"] = add(s, "d", R4, utc(2026, 3, 5, 11, 0), enterprise=d, done=False)
    engine.dispose()
    return ids


@pytest.fixture
def data(db_url: str):
    ids = populate(db_url)
    engine = make_engine(db_url)
    with Session(engine) as session:
        yield session, ids
    engine.dispose()


SINCE = datetime(2026, 3, 1, tzinfo=VN)

CODE_HEADERS = [
    "response_id", "submitted_at", "questionnaire_version",
    "enterprise.name", "enterprise.tax_code", "enterprise.sector",
    "company_name", "sector", "employees", "industrial_park", "ward.park", "ward.ward",
    "tax_code", "know_sxsh", "applied_sxsh", "dedicated_unit", "electricity_bill",
    "energy_monitoring",
    "fuels.coal", "fuels.biomass", "fuels.oil", "fuels.gas", "fuels.other", "fuels.none",
    "equipment.boiler", "equipment.compressor", "equipment.refrigeration", "equipment.none",
    "boiler_condensate", "compressed_air_leaks", "refrigeration_upkeep",
    "water_source.mains", "water_source.groundwater", "water_source.surface",
    "water_source.other", "water_use", "water_metering", "material_losses",
    "waste_practices.sorted", "waste_practices.byproducts", "waste_practices.none",
    "housekeeping_practices.leaks_fixed", "housekeeping_practices.idle_off",
    "housekeeping_practices.tidy_storage", "housekeeping_practices.dry_cleanup",
    "housekeeping_practices.none",
    "interest.programmes", "interest.training", "interest.site_visit", "interest.field_trip",
    "interest.none",
    "score.energy", "score.water", "score.materials", "score.waste", "score.housekeeping",
    "score.management", "score.overall", "potential_level",
    "iso14001",
]  # fmt: skip
PERSONAL = ["contact_name", "contact_phone"]
WITH_PERSONAL = CODE_HEADERS[:51] + PERSONAL + CODE_HEADERS[51:]


def read_xlsx(path: Path) -> tuple[list, list[dict], openpyxl.Workbook]:
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    return values[0], values[1:], wb


def by_code(rows: list[list]) -> list[dict]:
    return [dict(zip(CODE_HEADERS, row, strict=True)) for row in rows]


# --- the Excel file as officers see it -----------------------------------------------------------


def test_xlsx_with_labels(data, tmp_path):
    session, ids = data
    headers, rows = response_rows(session, Q, tz=VN, since=SINCE)
    path = tmp_path / "phieu.xlsx"
    write_xlsx(path, headers, rows, summary=summary_table(summary(session, Q, tz=VN, since=SINCE)))

    head, body, wb = read_xlsx(path)
    assert wb.sheetnames == ["Phiếu trả lời", "Tóm tắt"]
    assert len(head) == len(CODE_HEADERS)
    assert head[:6] == [
        "Mã phiếu",
        "Thời điểm gửi",
        "Phiên bản bộ câu hỏi",
        "Tên doanh nghiệp",
        "Mã số thuế",
        "Ngành",
    ]
    col = {code: head[i] for i, code in enumerate(CODE_HEADERS)}
    assert col["employees"] == "Doanh nghiệp có khoảng bao nhiêu lao động? (người)"
    assert col["electricity_bill"] == (
        "Tiền điện trung bình mỗi tháng khoảng bao nhiêu? (triệu đồng/tháng)"
    )
    assert col["fuels.coal"] == "Ngoài điện, doanh nghiệp dùng nhiên liệu nào? – Than"
    assert col["fuels.none"] == "Ngoài điện, doanh nghiệp dùng nhiên liệu nào? – Chỉ dùng điện"
    assert col["ward.park"] == "Nhà máy/cơ sở sản xuất ở phường hoặc xã nào? – KCN/CCN"
    assert col["ward.ward"] == "Nhà máy/cơ sở sản xuất ở phường hoặc xã nào? – Phường/xã"
    assert col["know_sxsh"] == Q.question("know_sxsh").label.vi
    assert head[-9:] == [
        "Điểm Năng lượng (0–100)",
        "Điểm Nước (0–100)",
        "Điểm Nguyên vật liệu (0–100)",
        "Điểm Chất thải, phụ phẩm (0–100)",
        "Điểm Quản lý nội vi (0–100)",
        "Điểm Tổ chức SXSH (0–100)",
        "Điểm chung (0–100)",
        "Mức tiềm năng SXSH",
        "iso14001",  # answered under version 0, the question is gone: its id
    ]
    assert not set(PERSONAL) & set(head)  # no personal columns unless asked for

    rows = by_code(body)
    # completed since 01/03 only, oldest first: not the January one, not the one in progress
    assert [r["response_id"] for r in rows] == [ids[k] for k in ("R1", "R6", "R3", "R2")]
    r1, r6, r3, r2 = rows
    assert r1["submitted_at"] == datetime(2026, 3, 2, 8, 30)  # Cần Thơ time
    assert r3["submitted_at"] == datetime(2026, 3, 5, 3, 0)  # 20:00 UTC is the next day there
    assert r1["questionnaire_version"] == 1 and r6["questionnaire_version"] == 0
    assert (r1["enterprise.name"], r1["enterprise.tax_code"], r1["enterprise.sector"]) == (
        "Công ty Thủy sản A",
        "1800000001",
        "Chế biến thủy sản",
    )
    assert r3["enterprise.tax_code"] is None and r3["enterprise.sector"] == (
        "Xay xát lúa gạo, thực phẩm"
    )
    # labels, not codes
    assert r1["sector"] == "Chế biến thủy sản"
    assert (r1["know_sxsh"], r1["applied_sxsh"], r1["dedicated_unit"]) == ("Có", "Có", "Không")
    assert r1["energy_monitoring"] == "Chỉ xem hóa đơn hằng tháng"
    assert r1["boiler_condensate"] == "Thu hồi một phần"
    assert r1["industrial_park"] == "KCN Trà Nóc I"
    assert (r1["ward.park"], r1["ward.ward"]) == ("KCN Trà Nóc I", "Phường Thới An Đông")
    assert (r3["ward.park"], r3["ward.ward"]) == (None, "Xã Phong Điền")
    # numbers are numbers; a skipped question is blank
    assert r1["employees"] == 120 and isinstance(r1["employees"], int)
    assert r1["electricity_bill"] == 45.5
    assert r1["water_use"] is None and r2["water_use"] == 300
    assert r3["electricity_bill"] is None
    # multiple choice: one column per choice, 1 chosen / 0 not chosen
    fuels = ["coal", "biomass", "oil", "gas", "other", "none"]
    assert [r1[f"fuels.{f}"] for f in fuels] == [1, 1, 0, 0, 0, 0]
    assert [r2[f"fuels.{f}"] for f in fuels] == [0, 0, 0, 0, 0, 1]
    assert (r3["interest.training"], r3["interest.site_visit"], r3["interest.none"]) == (1, 1, 0)
    # a question not asked (no compressor) is blank, not "Không"
    assert r1["compressed_air_leaks"] is None and r2["boiler_condensate"] is None
    # scores as stored with the result, the level in words
    stored = score(Q, R1)
    for area, value in stored.areas.items():
        assert r1[f"score.{area}"] == value
    assert r1["score.overall"] == stored.overall
    assert r1["potential_level"] == level_label(Q, stored, "vi", TEXTS["vi"])
    assert r1["potential_level"] in ("cao", "trung bình", "thấp")
    # the older version: its answers still export, the missing question stays blank
    assert r6["dedicated_unit"] is None and r6["iso14001"] == "yes"
    assert r6["sector"] == "Đồ uống" and r6["know_sxsh"] == "Có"
    assert r1["iso14001"] is None

    ws = wb.worksheets[0]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:BH{len(rows) + 1}"
    assert all(cell.font.bold for cell in ws[1])
    assert ws.column_dimensions["A"].width >= 8
    assert ws.column_dimensions["B"].width >= 16  # dd/mm/yyyy hh:mm fits
    date_cell = ws.cell(row=2, column=2)
    assert date_cell.is_date and date_cell.number_format == "dd/mm/yyyy hh:mm"
    name_cell = ws.cell(row=3, column=4)  # R6's enterprise name starts with "="
    assert name_cell.value == "=Cty E (test)" and name_cell.data_type == "s"


def test_xlsx_summary_sheet(data, tmp_path):
    session, _ = data
    headers, rows = response_rows(session, Q, tz=VN, since=SINCE)
    figures = summary(session, Q, tz=VN, since=SINCE, lang="en")
    table = summary_table(figures, "en")
    path = tmp_path / "en.xlsx"
    write_xlsx(path, headers, rows, summary=table, lang="en", notes=["a note"])
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Responses", "Summary"]
    table = [list(r) for r in wb["Summary"].iter_rows(values_only=True)]
    assert table[:5] == [
        ["Sector", "Enterprises", "Know CP (%)", "Applied CP (%)", "Person/unit in charge (%)"],
        ["Seafood processing", 2, 100, 50, 0],
        ["Rice milling, food", 1, 0, 0, 100],
        ["Beverages", 1, 100, 100, None],
        ["Total", 4, 75, 50, 33.3],
    ]
    assert table[6][0] == "a note"
    assert wb["Summary"]["A1"].font.bold


def test_codes_and_english(data, tmp_path):
    session, ids = data
    headers, rows = response_rows(session, Q, tz=VN, since=SINCE, codes=True)
    assert headers == CODE_HEADERS
    r1 = by_code(rows)[0]
    assert (r1["sector"], r1["know_sxsh"], r1["energy_monitoring"]) == (
        "seafood",
        "yes",
        "bill_only",
    )
    assert (r1["industrial_park"], r1["ward.park"]) == ("tra_noc_1", "tra_noc_1")
    assert r1["enterprise.sector"] == "seafood"
    assert r1["potential_level"] in ("high", "medium", "low")
    assert r1["fuels.coal"] == 1

    headers, rows = response_rows(session, Q, tz=VN, since=SINCE, lang="en")
    r1 = dict(zip(CODE_HEADERS, rows[0], strict=True))
    assert headers[:2] == ["Response no.", "Submitted at"]
    assert headers[CODE_HEADERS.index("fuels.coal")] == (
        "Besides electricity, which fuels do you use? – Coal"
    )
    assert (r1["sector"], r1["know_sxsh"]) == ("Seafood processing", "Yes")


def test_without_since_every_completed_response(data):
    session, ids = data
    _, rows = response_rows(session, Q, tz=VN, codes=True)
    assert [r[0] for r in rows] == [ids[k] for k in ("R5", "R1", "R6", "R3", "R2")]
    _, rows = response_rows(session, Q, tz=VN, codes=True, status=None)
    assert ids["R4"] in [r[0] for r in rows]  # only when asked for every status
    # a day boundary is local midnight: 05/03 in Cần Thơ starts at 04/03 17:00 UTC
    _, rows = response_rows(session, Q, tz=VN, codes=True, since=datetime(2026, 3, 5))
    assert [r[0] for r in rows] == [ids["R3"], ids["R2"]]


def test_personal_columns_only_with_consent(data):
    session, ids = data
    headers, rows = response_rows(session, Q, tz=VN, since=SINCE, codes=True, include_personal=True)
    assert headers == WITH_PERSONAL
    got = {row[0]: dict(zip(headers, row, strict=True)) for row in rows}
    assert (got[ids["R1"]]["contact_name"], got[ids["R1"]]["contact_phone"]) == (
        "Nguyễn Văn An",
        "0912345678",  # text: the leading 0 stays
    )
    for key in ("R2", "R3", "R6"):  # no consent: blank even where something was stored
        assert (got[ids[key]]["contact_name"], got[ids[key]]["contact_phone"]) == (None, None)


def test_csv_has_bom_and_opens_with_csv_module(data, tmp_path):
    session, ids = data
    headers, rows = response_rows(session, Q, tz=VN, since=SINCE)
    path = tmp_path / "phieu.csv"
    write_csv(path, headers, rows)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    assert table[0] == headers and table[0][0] == "Mã phiếu"
    assert len(table) == 5
    r1, r6, r3, _ = (dict(zip(CODE_HEADERS, r, strict=True)) for r in table[1:])
    assert r1["submitted_at"] == "02/03/2026 08:30" and r3["submitted_at"] == "05/03/2026 03:00"
    assert r1["sector"] == "Chế biến thủy sản" and r1["electricity_bill"] == "45.5"
    assert r1["fuels.coal"] == "1" and r1["fuels.oil"] == "0" and r1["water_use"] == ""
    assert r6["enterprise.name"] == "'=Cty E (test)"  # no formula when Excel opens it


# --- the summary -------------------------------------------------------------------------------


def figures(rows: list[SummaryRow]) -> list[tuple]:
    return [(r.sector, r.label, r.count, r.know, r.applied, r.dedicated) for r in rows]


def test_summary_by_sector(data):
    session, _ = data
    # A counts once, by its latest answer (R1: knows, applied); R5 (January) is superseded.
    # Seafood: A (yes, yes, no), B (yes, no, no). Rice: C (no, no, yes).
    # Beverages: E (yes, yes, -): version 0 never asked about a dedicated unit.
    # Total: know 3/4, applied 2/4, dedicated 1/3 (E did not answer it).
    expected = [
        ("seafood", "Chế biến thủy sản", 2, 100.0, 50.0, 0.0),
        ("rice_food", "Xay xát lúa gạo, thực phẩm", 1, 0.0, 0.0, 100.0),
        ("beverages", "Đồ uống", 1, 100.0, 100.0, None),
        (None, "Tổng cộng", 4, 75.0, 50.0, 33.3),
    ]
    assert figures(summary(session, Q, tz=VN)) == expected
    assert figures(summary(session, Q, tz=VN, since=SINCE)) == expected
    total = summary(session, Q, tz=VN)[-1]
    assert total.yes == {"know_sxsh": 3, "applied_sxsh": 2, "dedicated_unit": 1}
    assert total.answered == {"know_sxsh": 4, "applied_sxsh": 4, "dedicated_unit": 3}


def test_summary_since_a_day(data):
    session, _ = data
    # From 05/03 local: C (completed 05/03 03:00 local) and B only.
    assert figures(summary(session, Q, tz=VN, since=datetime(2026, 3, 5, tzinfo=VN))) == [
        ("seafood", "Chế biến thủy sản", 1, 100.0, 0.0, 0.0),
        ("rice_food", "Xay xát lúa gạo, thực phẩm", 1, 0.0, 0.0, 100.0),
        (None, "Tổng cộng", 2, 50.0, 0.0, 50.0),
    ]
    assert figures(summary(session, Q, tz=VN, since=datetime(2027, 1, 1, tzinfo=VN))) == [
        (None, "Tổng cộng", 0, None, None, None)
    ]


def test_share_rounds_half_up():
    assert _share(2, 3) == 66.7
    assert _share(1, 3) == 33.3
    assert _share(1, 8) == 12.5
    assert _share(1, 16) == 6.3  # 6.25: half up, not to even
    assert _share(0, 0) is None


# --- the command line --------------------------------------------------------------------------


def run(args: list[str], url: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SXSH_")}
    env["SXSH_DATABASE_URL"] = url
    return subprocess.run(
        [str(BIN), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )


@pytest.fixture
def cli_db(tmp_path: Path) -> tuple[str, dict[str, int]]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    return url, populate(url)


def test_cli_export_xlsx(cli_db, tmp_path):
    url, ids = cli_db
    r = run(
        ["export", "responses", "--output", "phieu.xlsx", "--since", "2026-03-01"], url, tmp_path
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "Exported 4 responses to phieu.xlsx"
    head, body, wb = read_xlsx(tmp_path / "phieu.xlsx")
    assert head[0] == "Mã phiếu" and len(head) == len(CODE_HEADERS)
    assert [row[0] for row in body] == [ids[k] for k in ("R1", "R6", "R3", "R2")]
    assert wb.sheetnames == ["Phiếu trả lời", "Tóm tắt"]
    assert list(next(wb["Tóm tắt"].iter_rows(min_row=5, max_row=5, values_only=True))) == [
        "Tổng cộng", 4, 75, 50, 33.3,
    ]  # fmt: skip

    r = run(
        ["export", "responses", "-o", "codes.csv", "--since", "05/03/2026", "--codes"],
        url,
        tmp_path,
    )
    assert r.returncode == 0, r.stderr
    assert "Exported 2 responses to codes.csv" in r.stdout
    with (tmp_path / "codes.csv").open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    assert table[0] == CODE_HEADERS[:-1]  # no version-0 response since 05/03: no iso14001
    assert [row[0] for row in table[1:]] == [
        str(ids["R3"]),
        str(ids["R2"]),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "31/02/2026"], "sxsh-bot: --since '31/02/2026': write a date as"),
        (["--since", "yesterday"], "sxsh-bot: --since 'yesterday': write a date as"),
        (["--format", "pdf"], "sxsh-bot: --format 'pdf': use xlsx or csv"),
        (["--lang", "fr"], "sxsh-bot: --lang must be vi or en"),
    ],
)
def test_cli_bad_option_is_one_line_and_writes_nothing(cli_db, tmp_path, args, message):
    url, _ = cli_db
    r = run(["export", "responses", "--output", "out.xlsx", *args], url, tmp_path)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), r.stderr
    assert not (tmp_path / "out.xlsx").exists()
    assert r.stdout == ""


def test_cli_unwritable_path(cli_db, tmp_path):
    url, _ = cli_db
    r = run(["export", "responses", "--output", "missing/out.xlsx"], url, tmp_path)
    assert r.returncode == 2
    assert (
        r.stderr.strip() == "sxsh-bot: cannot write missing/out.xlsx: folder missing does not exist"
    )
    r = run(["export", "responses", "--output", "notes"], url, tmp_path)
    assert r.returncode == 2
    assert r.stderr.strip() == (
        "sxsh-bot: cannot tell the format from 'notes': add --format xlsx or csv"
    )
    (tmp_path / "adir.xlsx").mkdir()
    r = run(["export", "responses", "--output", "adir.xlsx"], url, tmp_path)
    assert r.returncode == 2
    assert r.stderr.strip() == "sxsh-bot: adir.xlsx is a folder, not a file"
    assert list((tmp_path / "adir.xlsx").iterdir()) == []


def test_cli_read_only_folder(cli_db, tmp_path):
    url, _ = cli_db
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as root: permissions are not enforced")
        r = run(["export", "responses", "--output", "locked/out.xlsx"], url, tmp_path)
        assert r.returncode == 2
        assert "no permission to write in locked" in r.stderr
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


def test_cli_summary(cli_db, tmp_path):
    url, _ = cli_db
    r = run(["report", "summary"], url, tmp_path)  # the terminal speaks English
    assert r.returncode == 0, r.stderr
    total = next(line for line in r.stdout.splitlines() if "Total" in line)
    assert [c.strip() for c in total.split("│")[2:-1]] == ["4", "75.0", "50.0", "33.3"]
    assert "Know CP (%)" in r.stdout and "Seafood processing" in r.stdout
    assert "Tổng cộng" not in r.stdout

    r = run(["report", "summary", "--lang", "vi"], url, tmp_path)
    assert r.returncode == 0, r.stderr
    lines = {line.split("│")[1].strip(): line for line in r.stdout.splitlines() if "│" in line}
    cells = {k: [c.strip() for c in v.split("│")[2:-1]] for k, v in lines.items()}
    assert cells["Chế biến thủy sản"] == ["2", "100,0", "50,0", "0,0"]
    assert cells["Xay xát lúa gạo, thực phẩm"] == ["1", "0,0", "0,0", "100,0"]
    assert cells["Đồ uống"] == ["1", "100,0", "100,0", "–"]
    assert cells["Tổng cộng"] == ["4", "75,0", "50,0", "33,3"]
    assert "Biết về SXSH (%)" in r.stdout and "lần tự đánh giá hoàn thành gần nhất" in r.stdout

    r = run(["report", "summary", "--since", "05/03/2026", "--lang", "vi"], url, tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Từ ngày 05/03/2026" in r.stdout
    total = next(line for line in r.stdout.splitlines() if "Tổng cộng" in line)
    assert [c.strip() for c in total.split("│")[2:-1]] == ["2", "50,0", "0,0", "50,0"]

    r = run(["report", "summary", "--since", "2026/03/05"], url, tmp_path)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1


def test_failed_write_leaves_no_file(tmp_path):
    path = tmp_path / "out.xlsx"
    path.write_bytes(b"the previous export")
    with pytest.raises(ValueError):
        write_xlsx(path, ["a"], [[object()]])  # openpyxl cannot write this cell
    assert path.read_bytes() == b"the previous export"  # untouched, no half-written file
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]  # no temporary file left
