"""Faults a new-user tester found in the Q&A, as the person sees them: prices and other
matters outside the department's remit are refused with where to ask (no officer ticket); one
English word that names no topic gets no confident answer; loans for cleaner equipment,
subsidies and which ward a park is in get the department's own answers."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from storage.models import QuestionLog
from storage.tickets_models import Ticket
from tests.chat import Person, rows
from tests.qa_fixtures import REFUSED_EN, REFUSED_VI


def logged(conversation) -> list[QuestionLog]:
    with Session(conversation.engine) as s:
        return list(s.exec(select(QuestionLog).order_by(QuestionLog.id)))


@pytest.mark.parametrize(
    ("question", "where"),
    [
        ("giá vàng SJC hôm nay", "cửa hàng vàng bạc"),
        ("gia vang hom nay", "cửa hàng vàng bạc"),
        ("tỷ giá đô la hôm nay bao nhiêu", "Ngân hàng Nhà nước"),
        ("co phieu nao dang len", "công ty chứng khoán"),
        ("gia xang hom nay", "cửa hàng xăng dầu"),
        ("giá dầu diesel tuần này", "cửa hàng xăng dầu"),
        ("gia ca tra hom nay", "nơi thu mua"),
        ("giá lúa hôm nay bao nhiêu", "nơi thu mua"),
        ("gia tom the hom nay", "nơi thu mua"),
        ("thoi tiet can tho ngay mai", "khí tượng thủy văn"),
        ("kết quả xổ số hôm nay", "xổ số kiến thiết"),
        ("ket qua bong da dem qua", "báo chí"),
        # The other groups of content/offtopic.yaml say where to ask too.
        ("làm giấy khai sinh cho con", "UBND phường/xã"),
        ("nhà tôi bị cúp điện từ sáng", "công ty điện lực"),
        ("heo bị tiêu chảy chữa sao", "thú y"),
    ],
)
def test_prices_and_the_like_are_refused_with_where_to_ask_and_no_ticket(
    conversation, question, where
):
    p = Person(conversation)
    p.says(question)
    assert p.text.startswith(REFUSED_VI), p.text
    assert where in p.text
    assert "phiếu #" not in p.text
    assert p.buttons == ["👤 Gặp cán bộ", "☰ Menu chính"]
    assert rows(conversation, Ticket) == []


@pytest.mark.parametrize(
    ("question", "where"),
    [
        ("gold price today", "gold shop"),
        ("exchange rate usd to vnd today", "State Bank"),
        ("petrol price today", "filling station"),
        ("what is the price of pangasius today", "buyers"),
        ("weather forecast tomorrow", "forecasts"),
        ("lottery results today", "lottery company"),
    ],
)
def test_the_same_in_english(conversation, question, where):
    p = Person(conversation)
    p.says(question)
    assert p.text.startswith(REFUSED_EN), p.text
    assert where in p.text
    assert rows(conversation, Ticket) == []


@pytest.mark.parametrize("word", ["stats", "status", "report"])
def test_one_english_word_that_names_no_topic_gets_no_confident_answer(conversation, word):
    """ "stats" was repaired to "state" and answered with the incentives at 0.92."""
    kb = conversation.content.knowledge
    p = Person(conversation)
    p.says(word)
    # One English word keeps the conversation in Vietnamese (test_qa_short_messages).
    assert p.text.startswith("Bot chưa chắc hiểu đúng câu hỏi của anh/chị"), p.text
    for entry in kb.entries.values():
        assert not p.text.startswith((entry.en.short[:40], entry.vi.short[:40]))
    assert logged(conversation)[0].confident is False


@pytest.mark.parametrize(
    ("word", "expected"), [("housekeeping", "sxsh.housekeeping"), ("privacy", "bot.privacy")]
)
def test_one_english_word_that_names_a_topic_is_still_answered(conversation, word, expected):
    p = Person(conversation)
    p.says(word)
    entry = conversation.content.knowledge.entries[expected]
    assert p.text.startswith((entry.vi.short[:40], entry.en.short[:40])), p.text


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("vay von mua lo hoi moi o dau", "vi"),
        ("muốn vay vốn ưu đãi để đổi máy nén khí tiết kiệm điện", "vi"),
        ("can I get a loan from the department for new boilers", "en"),
    ],
)
def test_a_loan_for_cleaner_equipment_gets_the_support_answer_not_a_refusal(
    conversation, question, lang
):
    entry = conversation.content.knowledge.entries["policy.incentives"]
    p = Person(conversation)
    p.says(question)
    assert p.text.startswith(entry.text(lang).short[:60]), p.text
    assert "kiểm định" not in p.text and "tax office" not in p.text
    # No figure nor lender is invented: the bot says it has no loan information yet.
    assert ("vay vốn ưu đãi" if lang == "vi" else "preferential loans") in p.text


@pytest.mark.parametrize(
    "question", ["tro cap sxsh bao nhieu tien", "làm sản xuất sạch hơn được trợ cấp bao nhiêu"]
)
def test_a_subsidy_amount_gets_the_support_programmes(conversation, question):
    entry = conversation.content.knowledge.entries["support.programmes"]
    p = Person(conversation)
    p.says(question)
    assert p.text.startswith(entry.vi.short[:60]), p.text
    assert "Thời gian hoàn vốn" not in p.text


@pytest.mark.parametrize(
    ("question", "ward"),
    [
        ("KCN tra noc thuoc phuong nao", "phường Thới An Đông"),
        ("Khu công nghiệp Trà Nóc 1 ở phường nào", "phường Thới An Đông"),
        ("kcn hung phu thuoc phuong nao", "phường Hưng Phú"),
        ("Which ward is Tra Noc industrial park in?", "Thới An Đông ward"),
        ("which ward is hung phu industrial park in", "Hưng Phú ward"),
    ],
)
def test_which_ward_a_park_is_in(conversation, question, ward):
    p = Person(conversation)
    p.says(question)
    assert ward in p.text, p.text
    assert "huyện" not in p.text.split("\n\n")[0].replace("quận/huyện", "")


def test_the_parks_list_says_what_is_not_confirmed(conversation):
    p = Person(conversation)
    p.says("trà nóc 2 thuộc phường nào")
    p.presses("📖 Xem thêm")
    assert "KCN Trà Nóc II" in p.text and "chưa được cán bộ xác nhận" in p.text
    assert "KCN Hưng Phú" in p.text and "466 ha" in p.text


@pytest.mark.parametrize(
    "question",
    [
        "máy lạnh văn phòng để bao nhiêu độ cho tiết kiệm",
        "xe nâng điện có tiết kiệm hơn xe nâng dầu không",
    ],
)
def test_saving_energy_next_to_an_off_topic_example_is_answered(conversation, question):
    """Household shopping and lift inspection are off-topic; saving energy with them is not."""
    p = Person(conversation)
    p.says(question)
    assert p.text.startswith(conversation.content.knowledge.entries["sxsh.energy"].vi.short[:40])
