"""Misses a new-user tester found, each standing for a kind, as the person sees them: registering
for or cancelling an event in free text leads to the events list or the person's own events;
concrete technique questions (compressed-air leaks, scrap) get a sure answer; "test" or "alo có
ai không" gets the bot's presence reply with what it does; land prices, boiler inspection, taxes
and bank loans are refused with where to ask, without an officer ticket."""

from __future__ import annotations

import pytest

from storage.tickets_models import Ticket
from tests.chat import Person, rows
from tests.qa_fixtures import REFUSED_EN, REFUSED_VI

UNSURE = ("Tôi hiểu anh/chị hỏi về", "I understand you are asking about", "Bot chưa", "The bot")


def short_of(conversation, entry_id: str, lang: str) -> str:
    return conversation.content.knowledge.entries[entry_id].text(lang).short


# ------------------------------------------------------------------ events in free text
@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("huy dang ky hoi thao", "vi"),
        ("hủy đăng ký hội thảo", "vi"),
        ("tôi muốn hủy đăng ký lớp tập huấn tuần sau", "vi"),
        ("em bận rồi, không đi tập huấn được, hủy giúp em", "vi"),
        ("xem lai cac su kien toi da dang ky", "vi"),
        ("cancel my workshop registration", "en"),
        ("I can't come to the training, how do I cancel", "en"),
    ],
)
def test_cancelling_an_event_is_answered_with_how(conversation, question, lang):
    p = Person(conversation)
    p.says(question)
    assert p.text.startswith(short_of(conversation, "bot.events", lang)[:60]), p.text


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("huy dang ky hoi thao", "vi"),
        ("cancel my workshop registration", "en"),
        # The field trip's own answer: it offers the person's events too.
        ("huỷ đăng kí chuyến tham quan mô hình", "vi"),
    ],
)
def test_cancelling_an_event_leads_to_the_person_s_events(conversation, question, lang):
    p = Person(conversation)
    p.says(question)
    assert not p.text.startswith(UNSURE), p.text
    mine = "🗂 Sự kiện của tôi" if lang == "vi" else "🗂 My events"
    assert mine in p.buttons
    p.presses(mine)
    # The person's own registrations (none yet), with the way to the upcoming events.
    assert p.text.startswith(("Anh/chị chưa đăng ký sự kiện nào", "You have not registered"))


@pytest.mark.parametrize(
    ("question", "entry", "lang"),
    [
        ("how do I register for the workshop", "support.training", "en"),
        ("dang ky tham du hoi thao sxsh", "support.training", "vi"),
        ("cho em đăng kí một chỗ dự hội thảo tuần sau", "support.training", "vi"),
        ("sign me up for the next training course", "support.training", "en"),
        ("đăng ký đi tham quan nhà máy mẫu ở đâu", "support.field_trips", "vi"),
    ],
)
def test_registering_for_an_event_leads_to_the_events_list(conversation, question, entry, lang):
    p = Person(conversation)
    p.says(question)
    assert p.text.startswith(short_of(conversation, entry, lang)[:60]), p.text
    upcoming = "📅 Sự kiện sắp tới" if lang == "vi" else "📅 Upcoming events"
    assert upcoming in p.buttons
    p.presses(upcoming)
    assert p.text.startswith(("Hiện chưa có sự kiện sắp tới", "There are no upcoming events"))


# ------------------------------------------------------------------ concrete techniques
@pytest.mark.parametrize(
    ("question", "entry", "lang"),
    [
        ("giảm rò rỉ khí nén", "sxsh.compressed_air", "vi"),
        ("giam ro ri khi nen", "sxsh.compressed_air", "vi"),
        ("cách tìm chỗ xì khí nén trong xưởng", "sxsh.compressed_air", "vi"),
        ("máy nén khí chạy liên tục mà áp không lên, có bị xì không", "sxsh.compressed_air", "vi"),
        ("how to fix compressed air leaks", "sxsh.compressed_air", "en"),
        ("how to recycle scrap", "sxsh.recycling", "en"),
        ("recycling plastic scrap in the factory", "sxsh.recycling", "en"),
        ("tái chế phế liệu trong xưởng thế nào", "sxsh.recycling", "vi"),
        ("phế liệu sắt vụn trong xưởng tái sử dụng được không", "sxsh.recycling", "vi"),
    ],
)
def test_a_concrete_technique_gets_a_sure_answer(conversation, question, entry, lang):
    p = Person(conversation)
    p.says(question)
    assert p.text.startswith(short_of(conversation, entry, lang)[:60]), p.text


def test_the_compressed_air_answer_says_how_to_find_leaks(conversation):
    p = Person(conversation)
    p.says("giảm rò rỉ khí nén")
    assert "nước xà phòng" in p.text and "áp suất" in p.text
    assert "Tiết kiệm năng lượng trong nhà máy" in p.buttons  # the wider topic, one tap away


# ------------------------------------------------------------------ is anyone there?
@pytest.mark.parametrize(
    "said",
    [
        "test",
        "alo co ai khong",
        "có ai không",
        "co ai ko",
        "bot ơi có ai không",
        "test thử",
        "alo alo, có ai trực không",
        "are you there?",
        "anyone there",
        "hello, is anybody there?",
        "bot còn hoạt động không",
        "bot co online ko",
    ],
)
def test_is_anyone_there_gets_the_presence_reply_with_what_the_bot_does(conversation, said):
    p = Person(conversation)
    p.says(said)
    assert p.text.startswith("Dạ, bot đang ở đây"), p.text
    assert "đánh giá nhanh" in p.text and "cán bộ" in p.text
    assert "❓ Hỏi đáp SXSH" in p.buttons and "👤 Gặp cán bộ" in p.buttons
    assert rows(conversation, Ticket) == []


# ------------------------------------------------------------------ outside the remit
@pytest.mark.parametrize(
    ("question", "where"),
    [
        ("giá đất ở cần thơ bao nhiêu", "quản lý đất đai"),
        ("gia dat nen o ninh kieu", "quản lý đất đai"),
        ("bảng giá đất nhà nước năm nay tăng không", "quản lý đất đai"),
        ("kiểm định lò hơi ở đâu", "kiểm định"),
        ("nồi hơi sắp hết hạn kiểm định thì gọi ai", "kiểm định"),
        ("nộp thuế môn bài", "cơ quan thuế"),
        ("quyet toan thue tncn cho nhan vien", "cơ quan thuế"),
        ("vay von ngan hang mo rong san xuat", "ngân hàng"),
        ("thủ tục vay vốn ngân hàng cho doanh nghiệp nhỏ", "ngân hàng"),
        ("vay tín chấp", "ngân hàng"),
        ("lai suat vay ngan hang agribank", "ngân hàng"),
    ],
)
def test_outside_the_remit_is_refused_with_where_to_ask(conversation, question, where):
    p = Person(conversation)
    p.says(question)
    assert p.text.startswith(REFUSED_VI), p.text
    assert where in p.text
    assert rows(conversation, Ticket) == []


@pytest.mark.parametrize(
    ("question", "where"),
    [
        ("how much does land cost in Can Tho", "land authority"),
        ("boiler safety inspection where", "inspection bodies"),
        ("how do I pay corporate tax", "tax office"),
        ("bank loan for working capital", "bank"),
    ],
)
def test_the_same_in_english(conversation, question, where):
    p = Person(conversation)
    p.says(question)
    assert p.text.startswith(REFUSED_EN), p.text
    assert where in p.text
    assert rows(conversation, Ticket) == []
