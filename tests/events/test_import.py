"""`sxsh-bot events import|list|show|cancel|export` as an officer uses them: line-precise
errors and nothing written, idempotent re-import, YAML, CSV and an XLSX made with openpyxl."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from bot.cli import app

GOOD_YAML = """\
events:
  - code: ws-2027-energy
    kind: workshop
    status: published
    title_vi: Hội thảo tiết kiệm năng lượng
    title_en: Energy saving workshop
    start: 2027-03-05 08:00
    end: 2027-03-05 11:30
    place: Hội trường Sở Công Thương, 1 Lê Lợi
    organiser: Phòng Kỹ thuật an toàn - Môi trường
    capacity: 40
    registration_deadline: 2027-03-03 17:00
    topics: workshops
    sectors: seafood, rice_food
  - code: deadline-khuyen-cong-2027
    kind: programme_deadline
    status: published
    title_vi: Hạn nộp hồ sơ khuyến công 2027
    start: 2027-04-15
"""


@pytest.fixture
def cli(sqlite_url, monkeypatch):
    monkeypatch.setenv("SXSH_DATABASE_URL", sqlite_url)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    invoke.url = sqlite_url
    return invoke


def count(url: str, table: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
    engine.dispose()
    return n


def test_a_good_yaml_file_imports_and_a_second_import_changes_nothing(cli, tmp_path: Path):
    path = tmp_path / "events.yaml"
    path.write_text(GOOD_YAML, encoding="utf-8")
    first = cli("events", "import", str(path))
    assert first.exit_code == 0, first.output
    assert "2 event(s)" in first.output and "2 published" in first.output
    second = cli("events", "import", str(path))
    assert second.exit_code == 0, second.output
    assert "2 unchanged" in second.output
    assert count(cli.url, "events") == 2
    listed = cli("events", "list")
    assert "ws-2027-energy\tpublished\tv1\tThứ Sáu, 05/03/2027 lúc 08:00\t0/40" in listed.output
    assert "deadline-khuyen-cong-2027\tpublished\tv1\tThứ Năm, 15/04/2027" in listed.output


def test_errors_name_the_line_and_nothing_is_written(cli, tmp_path: Path):
    path = tmp_path / "events.csv"
    path.write_text(
        "code,kind,title_vi,start,place,capacity\n"
        "ok-1,workshop,Hội thảo A,2027-03-05 08:00,Hội trường,30\n"
        "bad-2,party,Tiệc,2027-03-06 08:00,Nhà hàng,10\n"
        "bad-3,training,Tập huấn,05/03/2027,Hội trường,-2\n"
        "ok-1,workshop,Trùng mã,2027-03-07 08:00,Hội trường,\n",
        encoding="utf-8",
    )
    result = cli("events", "import", str(path))
    assert result.exit_code == 1
    err = result.output
    assert "nothing imported" in err
    assert "line 3: kind: 'party' is not one of" in err
    assert "line 4: start: '05/03/2027' is not YYYY-MM-DD HH:MM" in err
    assert "line 4: capacity: a whole number of seats" in err
    assert "line 5: code: 'ok-1' is already used on line 2" in err
    assert count(cli.url, "events") == 0


def test_an_xlsx_made_with_openpyxl_imports(cli, tmp_path: Path):
    from datetime import datetime

    wb = Workbook()
    ws = wb.active
    ws.append(["code", "kind", "title_vi", "title_en", "start", "place", "capacity", "status"])
    ws.append(
        [
            "tr-1",
            "training",
            "Tập huấn SXSH",
            "CP training",
            datetime(2027, 5, 6, 13, 30),
            "Trà Nóc",
            25,
            "draft",
        ]
    )
    ws.append(
        [
            "trip-1",
            "field_trip",
            "Tham quan mô hình",
            "",
            "2027-05-20 07:00",
            "KCN Trà Nóc",
            None,
            "published",
        ]
    )
    path = tmp_path / "events.xlsx"
    wb.save(path)
    result = cli("events", "import", str(path))
    assert result.exit_code == 0, result.output
    show = cli("events", "show", "tr-1")
    assert "Thứ Năm, 06/05/2027 lúc 13:30" in show.output
    assert "Còn 25 chỗ." in show.output
    assert "Đăng ký: 0 đã đăng ký, 0 chờ, 0 đã hủy." in show.output

    bad = Workbook()
    bad.active.append(["code", "kind", "title_vi", "start", "place"])
    bad.active.append(["x-1", "workshop", "", "2027-05-06 08:00", "Hội trường"])
    bad_path = tmp_path / "bad.xlsx"
    bad.save(bad_path)
    result = cli("events", "import", str(bad_path))
    assert result.exit_code == 1
    assert "line 2: title_vi: required" in result.output


def test_yaml_errors_name_the_yaml_line(cli, tmp_path: Path):
    path = tmp_path / "events.yaml"
    path.write_text(GOOD_YAML.replace("start: 2027-04-15", "start: 15 April"), encoding="utf-8")
    result = cli("events", "import", str(path))
    assert result.exit_code == 1
    assert "line 19: start: '15 April'" in result.output  # the line of that event's start
    assert count(cli.url, "events") == 0


def test_cancel_and_export(cli, tmp_path: Path, conversation_factory=None):
    path = tmp_path / "events.yaml"
    path.write_text(GOOD_YAML, encoding="utf-8")
    cli("events", "import", str(path))
    out = tmp_path / "reg.xlsx"
    result = cli("events", "export", "ws-2027-energy", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.stat().st_mode & 0o777 == 0o600  # names and phones: its owner's only (was 0644)
    header = [c.value for c in next(load_workbook(out).active.iter_rows())]
    assert header == [
        "Người đăng ký",
        "Doanh nghiệp",
        "Ngành",
        "Điện thoại",
        "Trạng thái",
        "Thời điểm đăng ký",
        "Có tham dự",
    ]
    result = cli("events", "cancel", "ws-2027-energy")
    assert "cancelled" in result.output
    assert "ws-2027-energy\tcancelled" in cli("events", "list").output
    missing = cli("events", "show", "nope")
    assert missing.exit_code == 1 and "no event with code 'nope'" in missing.output


def test_wrong_files_and_values_are_one_clear_line_and_change_nothing(cli, tmp_path: Path):
    fake = tmp_path / "bad.xlsx"
    fake.write_text("code,kind\nws-1,workshop\n", encoding="utf-8")  # text named .xlsx
    result = cli("events", "import", str(fake))
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "bad.xlsx: nothing imported: not an Excel workbook (.xlsx) – save it from Excel as .xlsx"
    ]
    assert count(cli.url, "events") == 0
    latin = tmp_path / "latin.csv"
    latin.write_bytes("code,title_vi\nws-1,Hội thảo\n".encode("cp1258", errors="replace") + b"\xff")
    result = cli("events", "import", str(latin))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "latin.csv: nothing imported: not UTF-8 text" in result.output
    path = tmp_path / "events.yaml"
    path.write_text(GOOD_YAML, encoding="utf-8")
    cli("events", "import", str(path))
    wrong = cli("events", "list", "--status", "foo")
    assert wrong.exit_code == 2
    assert "--status 'foo': use one of draft, published, changed, cancelled, past" in wrong.output
    pdf = tmp_path / "e.pdf"
    refused = cli("events", "export", "ws-2027-energy", "-o", str(pdf))
    assert refused.exit_code == 2
    assert "-o e.pdf: the export is an Excel workbook: name the file .xlsx" in refused.output
    assert not pdf.exists()
    refused = cli("broadcast", "export", "1", "-o", str(pdf))
    assert refused.exit_code == 2 and "name the file .xlsx" in refused.output
    assert not pdf.exists()


def test_audience_values_that_match_nothing_are_refused_naming_line_and_values(cli, tmp_path: Path):
    """New-user tester, fault 7: sectors=fish, parks=tra_noc_9, levels=huge reached nobody and
    were imported; now each names its line and the valid values, and nothing is imported."""
    path = tmp_path / "events.csv"
    path.write_text(
        "code,kind,title_vi,start,place,sectors,parks,levels\n"
        "ok-1,workshop,Hội thảo A,2027-03-05 08:00,Hội trường,Seafood,,\n"
        "bad-2,workshop,Hội thảo B,2027-03-06 08:00,Hội trường,fish,tra_noc_9,huge\n",
        encoding="utf-8",
    )
    result = cli("events", "import", str(path))
    assert result.exit_code == 1, result.output
    err = result.output
    assert "nothing imported" in err
    assert "line 3: sectors: fish not in " in err and "seafood" in err
    assert "line 3: parks: tra_noc_9 not in " in err
    assert "line 3: levels: huge not in " in err and "high" in err
    assert "line 2" not in err
    assert count(cli.url, "events") == 0
    path.write_text(
        "code,kind,title_vi,start,place,sectors\n"
        "ok-1,workshop,Hội thảo A,2027-03-05 08:00,Hội trường,Seafood\n",
        encoding="utf-8",
    )
    assert cli("events", "import", str(path)).exit_code == 0
    engine = create_engine(cli.url)
    with engine.connect() as conn:
        audience = conn.execute(text("SELECT audience FROM events")).scalar()
    engine.dispose()
    assert audience == '{"sectors": ["seafood"]}'  # spelled as the records spell it


def test_cancelling_twice_says_already_cancelled(cli, tmp_path: Path):
    """New-user tester, fault 8: the second cancel printed "cancelled; 0 registrant(s)"."""
    path = tmp_path / "events.yaml"
    path.write_text(GOOD_YAML, encoding="utf-8")
    cli("events", "import", str(path))
    first = cli("events", "cancel", "ws-2027-energy")
    assert "ws-2027-energy: cancelled; 0 registrant(s) will be told" in first.output
    again = cli("events", "cancel", "ws-2027-energy")
    assert again.exit_code == 0
    assert again.output.strip() == "ws-2027-energy: already cancelled; nobody is told again"


def test_the_export_sheet_is_named_for_registrations_and_unnamed_people_are_readable(
    cli, tmp_path: Path
):
    from bot.app import build_conversation
    from tests.chat import Person
    from tests.conftest import make_settings

    path = tmp_path / "events.yaml"
    path.write_text(GOOD_YAML.replace("    sectors: seafood, rice_food\n", ""), encoding="utf-8")
    cli("events", "import", str(path))
    conversation = build_conversation(make_settings(cli.url))
    p = Person(conversation, user_id="dn9")
    p.says("/events")
    p.presses("✅ Đăng ký")
    conversation.engine.dispose()
    out = tmp_path / "reg.xlsx"
    assert cli("events", "export", "ws-2027-energy", "-o", str(out)).exit_code == 0
    sheet = load_workbook(out).active
    assert sheet.title == "Đăng ký"
    who = sheet.cell(2, 1).value
    assert who.startswith("Chưa cho biết tên (Terminal, mã liên hệ ") and "#" not in who


def test_a_date_cell_deadline_shows_the_date_alone(cli, tmp_path: Path):
    """An Excel date cell reads as midnight: a programme deadline shows its date, not
    "lúc 00:00", and a registration deadline given as a date closes at the end of that day."""
    from datetime import datetime

    wb = Workbook()
    ws = wb.active
    ws.append(["code", "kind", "title_vi", "start", "place", "registration_deadline", "status"])
    ws.append(["kc-1", "programme_deadline", "Hạn khuyến công", datetime(2027, 4, 15), "", None,
               "published"])  # fmt: skip
    ws.append(["ws-1", "workshop", "Hội thảo", "2027-05-06 08:00", "Sở", datetime(2027, 5, 4),
               "published"])  # fmt: skip
    path = tmp_path / "events.xlsx"
    wb.save(path)
    result = cli("events", "import", str(path))
    assert result.exit_code == 0, result.output
    deadline = cli("events", "show", "kc-1").output
    assert "Thứ Năm, 15/04/2027" in deadline and "00:00" not in deadline
    workshop = cli("events", "show", "ws-1").output
    assert "Hạn đăng ký: hết ngày Thứ Ba, 04/05/2027." in workshop and "00:00" not in workshop


def test_a_reimport_with_fewer_seats_than_registrations_is_refused(cli, tmp_path: Path):
    """New-user tester, fault 6 (import side): `events list` showed "4/2"."""
    from bot.app import build_conversation
    from tests.chat import Person
    from tests.conftest import make_settings

    path = tmp_path / "events.yaml"
    path.write_text(GOOD_YAML.replace("    sectors: seafood, rice_food\n", ""), encoding="utf-8")
    cli("events", "import", str(path))
    conversation = build_conversation(make_settings(cli.url))
    for who in ("dn1", "dn2"):
        p = Person(conversation, user_id=who)
        p.says("/events")
        p.presses("✅ Đăng ký")
    conversation.engine.dispose()
    path.write_text(
        GOOD_YAML.replace("    sectors: seafood, rice_food\n", "").replace(
            "capacity: 40", "capacity: 1"
        ),
        encoding="utf-8",
    )
    result = cli("events", "import", str(path))
    assert result.exit_code == 1
    assert "line 2: capacity: 1 is fewer than the 2 people registered for ws-2027-energy" in (
        result.output
    )
    assert "\t2/40\t" in cli("events", "list").output
