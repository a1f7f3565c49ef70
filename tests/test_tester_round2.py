"""Faults a new tester met (round 2): a stale "Thôi, không gửi" said nothing had been sent to the
officers after it had been; /mydata and the officers' messages showed channel and language keys
("console", "zalo_oa", "vi") instead of names; a forged event-editing button told a person that
an officer-only command exists."""

from __future__ import annotations

import pytest

from bot.app import build_conversation
from handlers.registry import REGISTRY
from storage.models import Contact
from storage.tickets_models import Ticket
from tests.chat import Person, rows
from tests.conftest import make_settings


@pytest.fixture
def conv(sqlite_url, clock):
    settings = make_settings(sqlite_url, officer_ids="console:cb")
    conversation = build_conversation(settings, clock=clock)
    yield conversation
    conversation.engine.dispose()


def test_a_stale_do_not_send_button_never_says_nothing_was_sent(conv):
    p = Person(conv, user_id="dn")
    p.says("/officer")
    [cancel] = [b.payload for r in p.last for b in r.buttons]
    p.says("Cần cán bộ tư vấn lò hơi")
    assert "Đã chuyển" in p.text
    p.press_payload(cancel)  # the old button, pressed after the message went
    assert "chưa gửi gì" not in p.text
    assert p.text.startswith("Nút này không còn dùng được")
    assert "❓ Hỏi đáp SXSH" in p.buttons  # the menu, no dead end
    [ticket] = rows(conv, Ticket)
    assert ticket.status == "open"


def test_the_do_not_send_button_still_cancels_while_the_question_is_open(conv):
    p = Person(conv, user_id="dn")
    p.says("/officer")
    p.presses("Thôi, không gửi")
    assert p.text.startswith("Đã hủy, chưa gửi gì")
    p.says("tiết kiệm nước thế nào")
    assert rows(conv, Ticket) == []


@pytest.mark.parametrize(
    ("lang", "channel_line", "language_line"),
    [
        ("vi", "• Kênh: Terminal, mã người dùng: dn", "• Ngôn ngữ: Tiếng Việt;"),
        ("en", "• Channel: Terminal, user id: dn", "• Language: English;"),
    ],
)
def test_mydata_names_the_channel_and_the_language(conv, lang, channel_line, language_line):
    p = Person(conv, user_id="dn")
    p.says(f"/lang {lang}")
    text = p.says("/mydata")[0].text
    assert channel_line in text and language_line in text
    assert "console" not in text


def test_officers_read_channel_names_on_cards_and_stats(conv):
    officer = Person(conv, user_id="cb")
    officer.says("/start")
    Person(conv, user_id="zl", channel="zalo_oa").says("/officer Cần tư vấn lò hơi")
    [zalo] = [c for c in rows(conv, Contact) if c.channel == "zalo_oa"]
    assert zalo.platform_id == "zl"
    stats = officer.says("/stats")[0].text
    assert "• Zalo OA: 1 / 0 / 0" in stats and "zalo_oa" not in stats
    assert "• Terminal: 1 / 0 / 0" in stats and "console" not in stats


def test_a_forged_event_editing_button_is_an_ordinary_stale_button_to_a_person(conv):
    assert "evo" in REGISTRY.officer_buttons
    p = Person(conv, user_id="dn")
    for payload in ("evo:publish", "evo:kind:workshop", "evo:cancel"):
        p.press_payload(payload)
        assert p.text.startswith("Nút này không còn dùng được")
        assert "cán bộ" not in p.text


def test_the_chart_and_the_workbook_name_the_channels(conv, tmp_path):
    from matplotlib.figure import Figure
    from sqlmodel import Session

    from bot.exports import charts, figures_book
    from handlers.reports.figures import figures

    Person(conv, user_id="zl", channel="zalo_oa").says("/start")
    Person(conv, user_id="dn").says("/start")
    with Session(conv.engine) as s:
        found = figures(
            s,
            conv.content.questionnaire,
            conv.content.texts,
            "vi",
            tz=conv.settings.tz,
            baseline=conv.content.baseline,
        )
    ax = Figure().subplots()
    charts.contacts_panel(ax, found, str)
    assert sorted(t.get_text() for t in ax.get_xticklabels()) == ["Terminal", "Zalo OA"]
    book = figures_book.figures_workbook(found, conv.content.texts, conv.settings.tz)
    sheet = next(ws for ws in book.worksheets if ws.title == "Người dùng")
    names = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert {"Terminal", "Zalo OA"} <= names and not names & {"console", "zalo_oa"}


@pytest.mark.parametrize("typed", ["gặp cán bộ", "Gặp cán bộ!", "gap can bo", "talk to an officer"])
def test_asking_for_an_officer_in_the_middle_of_the_assessment_reaches_one(conv, typed):
    from storage.models import QuestionLog
    from tests.test_assessment import begin

    p = Person(conv, user_id="dn")
    begin(p)
    p.says("Cơ sở Ba Tư")
    p.presses("Chế biến thủy sản")
    assert "Câu 3/" in p.text  # a number question: a typed word used to be "không phải là một số"
    p.says(typed)
    assert "không phải là một số" not in p.text
    assert "tạm dừng phiếu đánh giá" in p.text
    assert "👤" not in p.text and "cán bộ Sở Công Thương" in p.text  # the handoff question
    p.says("Cần người tư vấn lò hơi")
    assert "Đã chuyển" in p.text
    [ticket] = rows(conv, Ticket)
    assert [q.text for q in rows(conv, QuestionLog)] == ["Cần người tư vấn lò hơi"]
    p.says("làm tiếp")
    assert "Câu 3/" in p.text
    assert ticket.id == 1


def _paused_assessment(conv) -> Person:  # noqa: ANN001
    from tests.test_assessment import begin

    p = Person(conv, user_id="dn")
    begin(p)
    p.says("Cơ sở Ba Tư")
    assert "Câu 2/" in p.text
    return p


@pytest.mark.parametrize(
    ("opens", "told"),
    [("/officer", "Đã hủy, chưa gửi gì cho cán bộ."), ("/deletedata", "Không xóa gì cả.")],
)
def test_cancel_in_another_question_cancels_that_one_not_the_paused_assessment(conv, opens, told):
    from storage.models import Contact, Response

    p = _paused_assessment(conv)
    p.says(opens)
    p.says("/cancel")
    assert p.text.startswith(told)
    assert "phiếu đánh giá" not in p.text
    [response] = rows(conv, Response)
    assert response.status == "in_progress"
    assert rows(conv, Ticket) == [] and len(rows(conv, Contact)) == 1
    p.says("làm tiếp")
    assert "Câu 2/" in p.text  # the answers are all there


def test_cancel_in_the_assessment_itself_still_cancels_it(conv):
    from storage.models import Response

    p = _paused_assessment(conv)
    p.says("/cancel")
    assert p.text.startswith("Đã hủy phiếu đánh giá")
    assert rows(conv, Response)[0].status == "cancelled"


@pytest.mark.parametrize(
    "typed",
    ["Thôi, không gửi", "thoi khong gui", "thôi", "Hủy", "huy", "cancel", "Never mind",
     "thôi không cần nữa", "Thoi khong can nua a", "Không cần nữa ạ"],
)  # fmt: skip
def test_typing_the_do_not_send_label_cancels_the_message_to_the_officers(conv, typed):
    p = Person(conv, user_id="dn")
    p.says("/officer")
    p.says(typed)
    assert p.text.startswith("Đã hủy, chưa gửi gì")
    assert rows(conv, Ticket) == []


def test_an_emoji_alone_for_the_officers_is_asked_again_not_sent(conv):
    p = Person(conv, user_id="dn")
    p.says("/officer")
    p.says("🙂🙂")
    assert "gõ câu hỏi" in p.text and "Đã chuyển" not in p.text
    assert rows(conv, Ticket) == []
    p.says("Cần tư vấn kiểm toán năng lượng")
    assert "Đã chuyển" in p.text and len(rows(conv, Ticket)) == 1


def test_cancel_while_an_officer_drafts_an_event_drops_the_draft_only(conv):
    from storage.models import Response

    officer = Person(conv, user_id="cb")
    from tests.test_assessment import begin

    begin(officer)
    officer.says("Sở Công Thương")
    officer.says("/newevent")
    officer.says("/cancel")
    assert officer.text.startswith("Đã bỏ bản nháp")
    assert rows(conv, Response)[0].status == "in_progress"


@pytest.mark.parametrize(
    ("who", "payload"),
    [
        ("dn", "ev:r:abc"),
        ("dn", "ev:zzz"),
        ("cb", "evo:publish"),  # an officer with no draft
        ("cb", "tk:zzz:1"),
        ("cb", "tk:claim:x"),
        ("cb", "bc:x"),
        ("cb", "bc:zzz:1"),
        ("cb", "bc:schedtwin:1@x"),
    ],
)
def test_a_stale_button_that_says_here_is_the_menu_shows_the_menu(conv, who, payload):
    p = Person(conv, user_id=who)
    if payload.startswith("bc:"):
        p.says("/broadcast Hội thảo SXSH")  # draft #1 exists
    p.press_payload(payload)
    assert p.text.startswith("Nút này không còn dùng được. Đây là menu chính:")
    assert "❓ Hỏi đáp SXSH" in p.buttons and "📋 Đánh giá nhanh" in p.buttons


def test_a_forged_press_on_an_unpublished_event_tells_nothing_of_it(conv):
    officer = Person(conv, user_id="cb")
    officer.says("/newevent")
    officer.presses("Hội thảo")
    for typed in ("Hội thảo bí mật chưa đăng", "-", "10/12/2026 8h", "Hội trường", "5"):
        officer.says(typed)
    officer.presses("💾 Lưu nháp")
    p = Person(conv, user_id="dn")
    for payload in ("ev:u:1:1", "ev:U:1:1", "ev:r:1:1"):
        p.press_payload(payload)
        assert "bí mật" not in p.text, payload


@pytest.mark.parametrize(("lang", "apology"), [("en", "Sorry"), ("vi", "Xin lỗi")])
def test_the_apology_after_a_fault_is_in_the_persons_language(conv, monkeypatch, lang, apology):
    from handlers import qa

    p = Person(conv, user_id="dn")
    p.says(f"/lang {lang}")

    def broken(ctx, text):  # noqa: ANN001, ANN202 - a fault in the middle of an answer
        raise RuntimeError("boom")

    monkeypatch.setattr(qa, "on_text", broken)
    p.says("how to save water")
    assert p.text.startswith(apology)
    assert conv.content.texts.get(lang, "error") == p.text


def test_an_old_yes_delete_everything_button_asks_again_and_erases_nothing(conv):
    from storage.models import Contact, QuestionLog

    p = Person(conv, user_id="dn")
    p.says("sxsh là gì")
    p.says("/deletedata")
    [yes] = [b.payload for r in p.last for b in r.buttons if b.label == "Có, xóa hết"]
    p.presses("Không, giữ lại")
    p.press_payload(yes)  # days later, scrolling up: the old question's "yes"
    assert "Đã xóa" not in p.text
    assert p.text.startswith("Xóa toàn bộ dữ liệu cá nhân")  # asked again, with its buttons
    assert len(rows(conv, Contact)) == 1 and len(rows(conv, QuestionLog)) == 1
    p.presses("Có, xóa hết")  # confirmed at the open question: erased
    assert p.text.startswith("Đã xóa dữ liệu cá nhân")
    assert rows(conv, Contact) == []


def test_yes_delete_pressed_after_another_message_asks_again(conv):
    from storage.models import Contact

    p = Person(conv, user_id="dn")
    p.says("/deletedata")
    [yes] = [b.payload for r in p.last for b in r.buttons if b.label == "Có, xóa hết"]
    p.says("tiết kiệm nước thế nào")  # the question closed, nothing erased
    p.press_payload(yes)
    assert p.text.startswith("Xóa toàn bộ dữ liệu cá nhân")
    assert len(rows(conv, Contact)) == 1


@pytest.mark.parametrize("dash", ["—force", "–force", "-force", "--FORCE"])
def test_force_typed_with_a_phones_dash_is_force_not_words_for_the_enterprise(conv, dash):
    from storage.tickets_models import TicketMessage

    Person(conv, user_id="dn").says("/officer Cần tư vấn")
    officer = Person(conv, user_id="cb")
    officer.says("/reply 1 Chào anh")
    officer.says(f"/reply 1 {dash} Em bổ sung: chiều nay em gọi.")
    assert "Đã xếp trả lời phiếu #1" in officer.text
    answers = [m.text for m in rows(conv, TicketMessage) if m.from_officer]
    assert answers == ["Chào anh", "Em bổ sung: chiều nay em gọi."]


@pytest.mark.parametrize("typo", ["--forceabc", "--forc", "--fore", "—froce"])
def test_a_mistyped_option_is_refused_and_nothing_reaches_the_enterprise(conv, typo):
    from storage.tickets_models import TicketMessage

    Person(conv, user_id="dn").says("/officer Cần tư vấn")
    officer = Person(conv, user_id="cb")
    officer.says(f"/reply 1 {typo} Chào anh")
    assert typo in officer.text and "--force" in officer.text
    assert [m for m in rows(conv, TicketMessage) if m.from_officer] == []
    officer.says("/reply 1 - Thứ Hai: Sở gọi lại")  # a dash that starts a line is words
    assert [m.text for m in rows(conv, TicketMessage) if m.from_officer] == [
        "- Thứ Hai: Sở gọi lại"
    ]


@pytest.mark.parametrize(
    ("typed", "lang", "told"),
    [
        ("English", "en", "Switched to English."),
        ("english please", "en", "Switched to English."),
        ("Tiếng Anh", "en", "Switched to English."),
        ("tieng viet", "vi", "Đã chuyển sang tiếng Việt."),
        ("Tiếng Việt", "vi", "Đã chuyển sang tiếng Việt."),
        ("Vietnamese", "vi", "Đã chuyển sang tiếng Việt."),
    ],
)
def test_a_language_typed_by_its_name_switches_to_it(conv, typed, lang, told):
    p = Person(conv, user_id="dn")
    if lang == "vi":
        p.says("/lang en")
    p.says("/lang")  # "Chọn ngôn ngữ / Choose your language:" and the person types instead
    p.says(typed)
    assert p.text.startswith(told)
    [contact] = rows(conv, Contact)
    assert contact.language == lang


def test_a_question_naming_a_language_is_still_a_question(conv):
    p = Person(conv, user_id="dn")
    p.says("có tài liệu tiếng Anh về sản xuất sạch hơn không")
    assert not p.text.startswith("Switched")
    assert rows(conv, Contact)[0].language == "vi"


@pytest.mark.parametrize("typed", ["👍", "🙂🙂🙂", "❤️", "..."])
def test_an_emoji_alone_is_heard_not_taken_for_a_question(conv, typed):
    from storage.models import QuestionLog

    p = Person(conv, user_id="dn")
    p.says(typed)
    assert p.text == conv.content.texts.get("vi", "qa.ack")
    assert "Gặp cán bộ" not in p.text
    assert rows(conv, QuestionLog) == []  # nor listed for the officers as unanswered
