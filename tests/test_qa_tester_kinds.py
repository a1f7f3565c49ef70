"""Q&A faults a tester found (qa2), each with other members of its kind, as the person sees
them: the plainest energy question gets the energy answer, an energy audit's cost the support
programmes, "where is the department" its contacts entry, rooftop solar for a factory the
incentives (not the household-electricity refusal), ISO 50001 the certification entry, sludge
the solid-waste entry; "tôi cần tư vấn" is a request for a person; a groundwater permit is
outside the remit and says where to ask."""

from __future__ import annotations

import pytest

from storage.tickets_models import Ticket
from tests.chat import Person, rows
from tests.qa_fixtures import REFUSED_VI

ENERGY = "Hãy bắt đầu từ những nơi dùng nhiều năng lượng nhất"
PROGRAMMES = "Hỗ trợ cho doanh nghiệp làm sản xuất sạch hơn hiện chủ yếu đi qua"
PROGRAMMES_EN = "Support for companies adopting cleaner production currently comes mainly"
AGENCIES = "Ở Cần Thơ, Sở Công Thương là cơ quan đầu mối về SXSH"
INCENTIVES = "Nguồn hỗ trợ chính là khuyến công"
CERTIFICATION = "ISO 14001"
WASTE = "Hiệu quả nhất là giảm ngay từ nguồn"
PERSON = "Đã chuyển tin nhắn của anh/chị cho cán bộ Sở Công Thương."


@pytest.mark.parametrize(
    ("question", "start"),
    [
        ("tiết kiệm điện", ENERGY),
        ("tiet kiem dien", ENERGY),
        ("tk dien", ENERGY),
        ("thu hoi nhiet lo hoi the nao", ENERGY),
        ("kiem toan nang luong ton bao nhieu tien", PROGRAMMES),
        ("how much does an energy audit cost", PROGRAMMES_EN),
        ("hoi so cong thuong o dau", AGENCIES),
        ("trụ sở Sở Công Thương Cần Thơ ở chỗ nào", AGENCIES),
        ("lap dien mat troi ap mai duoc ho tro ko", INCENTIVES),
        ("dien mat troi mai nha cho nha may co uu dai gi ko", INCENTIVES),
        ("bun thai xu ly sao", WASTE),
        ("giam luong bun thai cua nha may", WASTE),
    ],
)
def test_the_kind_gets_its_answer(conversation, question, start):
    p = Person(conversation)
    p.says(question)
    assert p.text.startswith(start), p.text
    assert rows(conversation, Ticket) == []


@pytest.mark.parametrize("question", ["ISO 50001 la gi", "iso 50001 có bắt buộc không"])
def test_iso_50001_gets_the_certification_entry(conversation, question):
    p = Person(conversation)
    p.says(question)
    assert CERTIFICATION in p.text and "ISO 50001" in p.text, p.text
    assert not p.text.startswith("Bot chưa"), p.text


@pytest.mark.parametrize(
    ("message", "said"),
    [
        ("xin chao, toi can tu van", PERSON),
        ("em cần tư vấn ạ", PERSON),
        ("mình muốn được tư vấn", PERSON),
        ("I need advice", "Your message was passed to the officers"),
    ],
)
def test_asking_for_advice_is_a_request_for_a_person(conversation, message, said):
    p = Person(conversation)
    p.says(message)
    assert said in p.text, p.text
    [ticket] = rows(conversation, Ticket)
    assert ticket.source == "person"


@pytest.mark.parametrize(
    "question", ["nuoc gieng khoan co can giay phep ko", "xin phép khoan giếng nước ngầm ở đâu"]
)
def test_a_groundwater_permit_is_refused_with_where_to_ask(conversation, question):
    p = Person(conversation)
    p.says(question)
    assert p.text.startswith(REFUSED_VI), p.text
    assert "tài nguyên, môi trường của thành phố" in p.text
    assert rows(conversation, Ticket) == []


@pytest.mark.parametrize(
    "question",
    [
        "Giá điện mặt trời áp mái bao nhiêu?",
        "gia dien mat troi ap mai bao nhieu",
        "điện mặt trời áp mái bán lại cho EVN giá bao nhiêu",
    ],
)
def test_the_price_of_solar_power_is_a_tariff_refused_with_where_to_ask(conversation, question):
    """Support for rooftop solar is the incentives answer (above); its price per kWh is a tariff
    of the power company: it got the incentives answer, sure, at 0.61."""
    p = Person(conversation)
    p.says(question)
    assert p.text.startswith(REFUSED_VI), p.text
    assert "công ty điện lực" in p.text
    assert rows(conversation, Ticket) == []
