"""Officers' figures (issue 11): `/stats` in chat as text and a chart photo, `/export` as an
Excel document, `sxsh-bot report --output DIR` as a workbook and PNG charts: all from one
function, checked against what the database holds; to anyone else the commands do not exist."""

from __future__ import annotations

import io
import warnings
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest
from matplotlib.figure import Figure
from PIL import Image
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.app import build_conversation
from bot.channels import telegram
from bot.cli import app
from bot.exports import charts
from content.forms import default_questionnaire
from content.locale import Locale
from handlers.reports.figures import figures
from handlers.reports.text import figures_text
from storage import contacts, events
from storage.broadcasts_models import Broadcast, BroadcastRecipient
from storage.db import make_engine, session_scope
from storage.events_models import EventStatus
from storage.models import Contact, ContactStatus
from storage.tickets_models import AuditEntry, Ticket
from tests.chat import Person
from tests.chat import rows as rows_of
from tests.conftest import make_settings
from tests.support.telegram_server import DEFAULT_TOKEN, FakeTelegram
from tests.test_reports import VN, populate

Q = default_questionnaire()
NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # the FrozenClock's moment: 09:00 in Cần Thơ


def add_the_rest(url: str) -> None:
    """Besides populate()'s assessments (4 enterprises, 6 responses, 5 completed): a stopped
    and a blocked person, an event with 2 registered (1 attended) and 1 waiting, a draft event
    (not counted), and tickets: 2 open (1 unclaimed), 1 pending answered after 2 hours, 1
    closed answered after 4 hours."""
    engine = make_engine(url)
    with session_scope(engine) as s:
        d = contacts.get(s, "telegram", "d")
        contacts.set_status(s, d, ContactStatus.stopped)
        blocked, _ = contacts.touch(s, "console", "gone", NOW)
        contacts.set_status(s, blocked, ContactStatus.blocked)
        fields = {
            "code": "ws-1",
            "kind": "workshop",
            "title_vi": "Hội thảo tiết kiệm năng lượng",
            "title_en": "Energy saving workshop",
            "starts_at": datetime(2026, 12, 4, 1, 0, tzinfo=UTC),
            "place": "Sở Công Thương",
            "capacity": 2,
        }
        event, _ = events.upsert(s, fields, NOW)
        events.set_status(s, event, EventStatus.published, NOW)
        for user in ("a", "b", "c"):
            events.register(s, event, contacts.get(s, "telegram", user).id, NOW)
        first = events.registration(s, event.id, contacts.get(s, "telegram", "a").id)
        first.attended = True
        s.add(first)
        draft = {**fields, "code": "ws-draft", "title_vi": "Nháp"}
        events.upsert(s, draft, NOW)
        hour = timedelta(hours=1)
        for status, claimed, replied in (
            ("open", None, None),
            ("open", "telegram:9", None),
            ("pending", "telegram:9", NOW + 2 * hour),
            ("closed", "telegram:9", NOW + 4 * hour),
        ):
            s.add(
                Ticket(
                    channel="telegram", question="?", status=status, claimed_by=claimed,
                    opened_at=NOW, first_reply_at=replied, updated_at=NOW,
                )
            )  # fmt: skip
    engine.dispose()


@pytest.fixture
def filled(settings, clock):
    populate(settings.database_url)
    add_the_rest(settings.database_url)
    conv = build_conversation(settings, clock=clock)
    yield conv
    conv.engine.dispose()


def test_one_function_returns_what_the_database_holds(filled):
    with Session(filled.engine) as s:
        found = figures(s, Q, filled.content.texts, "vi", tz=VN, baseline=filled.content.baseline)
    assert found.contacts == {
        "console": {"active": 0, "stopped": 0, "blocked": 1},
        "telegram": {"active": 4, "stopped": 1, "blocked": 0},
    }
    assert (found.started, found.completed) == (6, 5)
    total = found.total
    assert (total.count, total.know, total.applied, total.dedicated) == (4, 75.0, 50.0, 33.3)
    parks = [(r.group, r.count, r.know, r.applied, r.dedicated) for r in found.by_park]
    assert parks == [
        ("tra_noc_1", 3, 100.0, 66.7, 0.0),  # A, E, B (E was never asked about a unit)
        ("none", 1, 0.0, 0.0, 100.0),  # C
        (None, 4, 75.0, 50.0, 33.3),
    ]
    assert [lv for lv, _ in found.levels] == ["low", "medium", "high", "unknown"]
    assert sum(found.levels_by_sector[-1].counts.values()) == 4
    [event] = found.events  # the draft is not counted
    assert (event.code, event.registered, event.waiting, event.attended) == ("ws-1", 2, 1, 1)
    assert found.tickets == {"open": 2, "pending": 1, "closed": 1, "unclaimed": 1}
    assert found.median_first_reply == 3 * 3600
    assert found.baseline == {"know_sxsh": 70.0, "applied_sxsh": 45.0, "dedicated_unit": 30.0}


def test_an_officer_sees_the_figures_as_text_and_as_a_chart_photo(filled):
    officer = Person(filled, user_id="officer")
    officer.says("/stats")
    text, photo = officer.last
    lines = text.text.splitlines()
    assert "Toàn bộ thời gian" in lines
    assert "• Telegram: 4 / 1 / 0" in lines and "• Terminal: 1 / 0 / 1" in lines
    assert "Tự đánh giá nhanh: 6 lượt bắt đầu, 5 lượt hoàn thành." in lines
    assert "• Tổng cộng (4 DN): 75 % / 50 % / 33,3 %" in lines
    assert "• Khảo sát năm 2019 (Báo Cần Thơ): 70 % / 45 % / 30 %" in lines
    assert "• Chế biến thủy sản (2 DN): 100 % / 50 % / 0 %" in lines
    assert "• Đồ uống (1 DN): 100 % / 100 % / –" in lines
    assert "• KCN Trà Nóc I (3 DN): 100 % / 66,7 % / 0 %" in lines
    assert "• 04/12/2026 · Hội thảo tiết kiệm năng lượng: 2 trên 2 chỗ / 1 / 1" in lines
    assert lines[-2:] == [
        "Phiếu hỏi cán bộ: 2 chờ cán bộ, 1 chờ doanh nghiệp, 1 chưa ai nhận, 1 đã đóng.",
        "Thời gian đến câu trả lời đầu tiên của cán bộ (trung vị): 3 giờ.",
    ]
    assert photo.attachment.is_image and photo.attachment.filename.endswith(".png")
    image = Image.open(io.BytesIO(photo.attachment.data))
    assert (image.format, image.size) == ("PNG", (1200, 2000))
    assert photo.text == "Biểu đồ số liệu SXSH (Toàn bộ thời gian)"


def test_the_chart_draws_the_same_numbers(filled):
    with Session(filled.engine) as s:
        found = figures(s, Q, filled.content.texts, "vi", tz=VN, baseline=filled.content.baseline)
    shares, levels = Figure().subplots(), Figure().subplots()
    words = {"know": "Biết", "applied": "Áp dụng", "dedicated": "Bộ phận"}
    charts.shares_panel(shares, found, lambda key: words.get(key, key))
    assert [round(p.get_height(), 1) for p in shares.patches] == [75, 50, 33.3, 70, 45, 30]
    assert [t.get_text() for t in shares.texts] == ["75", "50", "33,3"]  # the bars' labels
    charts.levels_panel(levels, found, str)
    drawn = sum(p.get_width() for p in levels.patches)
    assert drawn == sum(sum(r.counts.values()) for r in found.levels_by_sector[:-1]) == 4


def test_stats_from_a_day_and_a_wrong_day(filled):
    officer = Person(filled, user_id="officer")
    officer.says("/stats 05/03/2026")  # C (05/03 03:00 local) and B completed since
    assert "Từ ngày 05/03/2026" in officer.text
    assert "• Tổng cộng (2 DN): 50 % / 0 % / 50 %" in officer.text
    officer.says("/stats 32/13/2026")
    assert [r.text for r in officer.last] == [
        "Ngày “32/13/2026” chưa đúng. Gõ ngày dạng 05/03/2026, ví dụ /stats 05/03/2026."
    ]
    assert officer.last[0].attachment is None
    officer.says("/export abc")  # the example names the command typed (tester's fault 16)
    assert (
        officer.text == "Ngày “abc” chưa đúng. Gõ ngày dạng 05/03/2026, ví dụ /export 05/03/2026."
    )


def test_an_officer_receives_the_assessment_export_as_a_document(filled):
    officer = Person(filled, user_id="officer")
    officer.says("/export")
    [reply] = officer.last
    assert reply.attachment.filename == "sxsh-phieu-2026-11-28.xlsx"
    assert not reply.attachment.is_image  # Telegram sends it as a document
    assert reply.text.startswith("Phiếu tự đánh giá đã hoàn thành: 5 phiếu (Toàn bộ thời gian).")
    wb = openpyxl.load_workbook(io.BytesIO(reply.attachment.data))
    assert wb.sheetnames == ["Phiếu trả lời", "Tóm tắt"]
    rows = list(wb["Phiếu trả lời"].iter_rows(values_only=True))
    assert rows[0][:2] == ("Mã phiếu", "Thời điểm gửi") and len(rows) == 1 + 5
    cells = {c for row in rows for c in row}
    assert "Nguyễn Văn An" not in cells and "0912345678" not in cells  # no personal data
    summary = list(wb["Tóm tắt"].iter_rows(values_only=True))
    assert summary[4] == ("Tổng cộng", 4, 75, 50, 33.3)
    [entry] = rows_of(filled, AuditEntry)  # who took the export, and when
    assert (entry.actor, entry.action, entry.target_id) == (
        "console:officer",
        "export.responses",
        "sxsh-phieu-2026-11-28.xlsx",
    )
    assert entry.at.replace(tzinfo=UTC) == NOW


@pytest.mark.parametrize("command", ["/stats", "/export", "/stats 05/03/2026", "/export x"])
def test_to_anyone_else_the_figures_do_not_exist(filled, command):
    stranger = Person(filled, user_id="a", channel="telegram")  # an enterprise, not an officer
    stranger.says(command)
    name = command.split()[0]
    assert [r.text for r in stranger.last] == [
        f"Bot chưa hiểu lệnh {name}. Gõ /help để xem các lệnh."
    ]
    assert all(r.attachment is None for r in stranger.last)
    assert rows_of(filled, AuditEntry) == []


def test_report_writes_the_workbook_and_charts_with_the_database_figures(
    filled, settings, tmp_path, monkeypatch
):
    monkeypatch.setenv("SXSH_DATABASE_URL", settings.database_url)
    out = tmp_path / "bao-cao"
    result = CliRunner().invoke(app, ["report", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["figures.xlsx", "figures.png"] + [f"chart-{n}.png" for n in charts.PANELS]
    )
    for png in out.glob("*.png"):
        with Image.open(png) as image:
            image.verify()  # a whole, readable PNG
    wb = openpyxl.load_workbook(out / "figures.xlsx")
    assert wb.sheetnames == [
        "Tổng quan", "Theo ngành", "Theo KCN-CCN", "Mức tiềm năng", "Người dùng", "Sự kiện",
        "Thông báo",
    ]  # fmt: skip
    overview = {row[0]: row[1] for row in wb["Tổng quan"].iter_rows(min_row=2, values_only=True)}
    assert overview["Lượt tự đánh giá bắt đầu"] == 6
    assert overview["Lượt tự đánh giá hoàn thành"] == 5
    assert overview["Biết về SXSH (%)"] == 75
    assert overview["Biết về SXSH (%) – Khảo sát 2019 (%)"] == 70
    assert overview["Phiếu chờ cán bộ"] == 2 and overview["Phiếu chưa ai nhận"] == 1
    assert overview["Thời gian đến câu trả lời đầu tiên, trung vị (giờ)"] == 3
    sectors = list(wb["Theo ngành"].iter_rows(values_only=True))
    assert sectors[1:] == [
        ("Chế biến thủy sản", 2, 100, 50, 0),
        ("Xay xát lúa gạo, thực phẩm", 1, 0, 0, 100),
        ("Đồ uống", 1, 100, 100, None),
        ("Tổng cộng", 4, 75, 50, 33.3),
    ]
    parks = list(wb["Theo KCN-CCN"].iter_rows(values_only=True))
    assert parks[1] == ("KCN Trà Nóc I", 3, 100, 66.7, 0)
    people = list(wb["Người dùng"].iter_rows(values_only=True))
    assert ("Telegram", 4, 1, 0, 5) in people
    events_sheet = list(wb["Sự kiện"].iter_rows(values_only=True))
    assert events_sheet[1][:3] == (
        "ws-1",
        "Hội thảo tiết kiệm năng lượng",
        datetime(2026, 12, 4, 8),
    )
    assert events_sheet[1][5:] == (2, 1, 1)

    [entry] = rows_of(filled, AuditEntry)
    assert (entry.action, entry.target_id, entry.detail) == ("export.figures", "bao-cao", str(out))
    assert entry.actor.startswith("cli:")

    since = CliRunner().invoke(app, ["report", "-o", str(out), "--since", "05/03/2026"])
    assert since.exit_code == 0, since.output
    wb = openpyxl.load_workbook(out / "figures.xlsx")
    assert list(wb["Theo ngành"].iter_rows(values_only=True))[-1] == ("Tổng cộng", 2, 50, 0, 50)

    wrong = CliRunner().invoke(app, ["report", "-o", str(out), "--since", "yesterday"])
    assert wrong.exit_code == 2 and "write a date as YYYY-MM-DD or dd/mm/yyyy" in wrong.output


def test_report_needs_a_folder(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("SXSH_DATABASE_URL", settings.database_url)
    a_file = tmp_path / "x.txt"
    a_file.write_text("keep")
    result = CliRunner().invoke(app, ["report", "--output", str(a_file)])
    assert result.exit_code == 2 and "a file, not a folder" in result.output
    assert a_file.read_text() == "keep"
    assert CliRunner().invoke(app, ["report"]).exit_code == 2  # the help, not a traceback


async def test_on_telegram_the_chart_is_a_photo_and_the_export_a_document(sqlite_url, clock):
    populate(sqlite_url)
    async with FakeTelegram() as srv:
        settings = make_settings(
            sqlite_url,
            officer_ids="telegram:1001",
            telegram_token=DEFAULT_TOKEN,
            telegram_api_url=srv.root_url,
        )
        conv = build_conversation(settings, clock=clock)
        application = telegram.build_application(conv, settings, outbox_interval=3600)
        try:
            async with srv.polling(application, timeout=1):
                srv.user_sends("/stats")
                [text] = await srv.wait_for("sendMessage", chat_id=1001)
                assert "• Tổng cộng (4 DN): 75 % / 50 % / 33,3 %" in text.params["text"]
                [photo] = await srv.wait_for("sendPhoto", chat_id=1001)
                assert photo.params["caption"] == "Biểu đồ số liệu SXSH (Toàn bộ thời gian)"
                [(_, png)] = photo.files.values()
                assert Image.open(io.BytesIO(png)).size == (1200, 2000)

                srv.user_sends("/export")
                [document] = await srv.wait_for("sendDocument", chat_id=1001)
                [(filename, data)] = document.files.values()
                assert filename == "sxsh-phieu-2026-11-28.xlsx"
                assert openpyxl.load_workbook(io.BytesIO(data)).sheetnames[0] == "Phiếu trả lời"

                srv.user_sends("/stats", user_id=1002, first_name="Minh")  # not an officer
                [refused] = await srv.wait_for("sendMessage", chat_id=1002)
                assert refused.params["text"].startswith("Bot chưa hiểu lệnh /stats.")
                assert not [c for c in srv.calls if c.method == "sendPhoto" and c.chat_id == 1002]
        finally:
            conv.engine.dispose()


def missing_glyphs(draw) -> list[str]:  # noqa: ANN001
    """What matplotlib says it could not draw (a letter the font lacks) while `draw` runs."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        draw()
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_every_vietnamese_letter_of_the_chart_is_drawn(filled):
    with Session(filled.engine) as s:
        found = figures(s, Q, filled.content.texts, "vi", tz=VN, baseline=filled.content.baseline)
    assert "Xay xát lúa gạo, thực phẩm" in [r.label for r in found.by_sector]
    assert missing_glyphs(lambda: charts.figures_png(found, filled.content.texts)) == []
    # The check itself sees a letter the font lacks.
    figure = Figure()
    figure.subplots().set_title("中")
    assert missing_glyphs(lambda: charts._png(figure)) != []


def test_broadcasts_sent_read_back_from_the_text_the_chart_and_the_workbook(
    filled, settings, tmp_path, monkeypatch
):
    """One broadcast an hour ago: 3 delivered, 1 skipped (stopped), 1 unknown (a crash)."""
    with session_scope(filled.engine) as s:
        people = [c.id for c in s.exec(select(Contact).order_by(Contact.id)).all()][:5]
        row = Broadcast(text="Tin SXSH", audience='{"all": true}', digest="x" * 64,
                        created_by="telegram:42", created_at=NOW - timedelta(hours=2),
                        status="completed", started_at=NOW - timedelta(hours=1),
                        finished_at=NOW - timedelta(minutes=50))  # fmt: skip
        s.add(row)
        s.flush()
        states = [("sent", None)] * 3 + [("skipped", "stopped"), ("unknown", "interrupted")]
        for contact_id, (state, reason) in zip(people, states, strict=True):
            s.add(BroadcastRecipient(broadcast_id=row.id, contact_id=contact_id, channel="telegram",
                                     state=state, reason=reason, updated_at=NOW))  # fmt: skip
    with Session(filled.engine) as s:
        found = figures(s, Q, filled.content.texts, "vi", tz=VN, baseline=filled.content.baseline)
    [b] = found.broadcasts
    assert (b.id, b.status, b.sent, b.failed, b.skipped, b.unknown, b.open) == (
        1, "completed", 3, 0, 1, 1, 0
    )  # fmt: skip
    assert found.broadcasts_sent == 3

    officer = Person(filled, user_id="officer")
    officer.says("/stats")
    lines = officer.last[0].text.splitlines()
    assert "• #1 · 28/11/2026 · hoàn tất: 3 / 0 / 1 / 1" in lines
    assert "• Tổng cộng 1 đợt, 3 tin đã đến người nhận." in lines
    officer.says("/stats 29/11/2026")  # started before that day: not counted
    assert "• Chưa gửi thông báo nào." in officer.last[0].text.splitlines()

    ax = Figure().subplots()
    charts.broadcasts_panel(ax, found, str)
    assert [p.get_height() for p in ax.patches] == [3, 1, 1]  # delivered, failed+unknown, skipped

    monkeypatch.setenv("SXSH_DATABASE_URL", settings.database_url)
    out = tmp_path / "bao-cao"
    result = CliRunner().invoke(app, ["report", "--output", str(out)])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out / "figures.xlsx")
    overview = {r[0]: r[1] for r in wb["Tổng quan"].iter_rows(min_row=2, values_only=True)}
    assert overview["Tin thông báo đã đến người nhận"] == 3
    sheet = list(wb["Thông báo"].iter_rows(values_only=True))
    assert sheet[1] == (1, datetime(2026, 11, 28, 8), "hoàn tất", 3, 0, 1, 1, 0)


@pytest.mark.parametrize(
    ("seconds", "lang", "said"),
    [
        (20 * 60, "vi", "(trung vị): 20 phút."),
        (25, "vi", "(trung vị): 1 phút."),
        (3 * 3600, "vi", "(trung vị): 3 giờ."),
        (90 * 60, "en", "(median): 1.5 hours."),
        (45 * 60, "en", "(median): 45 min."),
    ],
)
def test_a_first_reply_within_the_hour_is_said_in_minutes(filled, seconds, lang, said):
    texts = filled.content.texts
    with Session(filled.engine) as s:
        found = figures(s, Q, texts, lang, tz=VN, baseline=filled.content.baseline)
    shown = figures_text(replace(found, median_first_reply=seconds), Locale(lang, VN, texts))
    assert shown.splitlines()[-1].endswith(said)
