"""Answer parsing per question type: how people really type on phones, and the messages."""

from __future__ import annotations

import pytest

from content.forms import Err, Ok, format_number
from content.forms.loader import default_questionnaire
from tests.forms_support import parse_answer

Q = default_questionnaire()


def parse(question_id: str, raw: str | None, lang: str = "vi", answers=None):
    return parse_answer(
        Q.question(question_id), raw, lang, answers=answers or {}, locations=Q.locations
    )


def value_of(question_id: str, raw: str, **kw):
    result = parse(question_id, raw, **kw)
    assert isinstance(result, Ok), f"{raw!r} rejected: {getattr(result, 'message', '')}"
    return result.value


def message_of(question_id: str, raw: str | None, **kw) -> str:
    result = parse(question_id, raw, **kw)
    assert isinstance(result, Err), f"{raw!r} accepted as {getattr(result, 'value', None)!r}"
    return result.message


# --- single choice (sector: 1 seafood, 2 rice_food, 3 beverages, 4 pharma, ... 8 other) ----

SINGLE = [
    ("seafood", "seafood"),  # button payload
    ("2", "rice_food"),  # number
    (" 3 ", "beverages"),
    ("3.", "beverages"),
    ("Chế biến thủy sản", "seafood"),  # label
    ("che bien thuy san", "seafood"),  # without diacritics
    ("CHE BIEN THUY SAN", "seafood"),
    ("che bien thuy sna", "seafood"),  # typo
    ("chế biến thũy sản", "seafood"),  # wrong tone mark
    ("thuy san", "seafood"),  # alias
    ("ca tra", "seafood"),
    ("Dược phẩm", "pharma"),
    ("duoc", "pharma"),
    ("det may", "garments"),
    ("Seafood processing", "seafood"),  # English label
    ("beverages", "beverages"),
    ("khac", "other"),
]


@pytest.mark.parametrize(("raw", "value"), SINGLE)
def test_single_choice_accepts_payload_number_label(raw, value):
    assert value_of("sector", raw) == value


SINGLE_BAD = [
    ("9", "Không có lựa chọn số 9"),
    ("0", "Không có lựa chọn số 0"),
    ("xyz", "Không có lựa chọn “xyz”"),
    ("bánh mì", "Không có lựa chọn “bánh mì”"),
]


@pytest.mark.parametrize(("raw", "message"), SINGLE_BAD)
def test_single_choice_rejects_with_the_options(raw, message):
    text = message_of("sector", raw)
    assert message in text
    assert "gõ số thứ tự (1–8)" in text
    assert "1. Chế biến thủy sản" in text and "8. Ngành khác" in text


def test_single_choice_ambiguous_asks_for_the_number():
    text = message_of("industrial_park", "tra noc")
    assert "khớp với nhiều lựa chọn" in text
    assert "KCN Trà Nóc I" in text and "KCN Trà Nóc II" in text


def test_single_choice_message_in_english():
    text = message_of("sector", "xyz", lang="en")
    assert "There is no option “xyz”" in text
    assert "1. Seafood processing" in text


# --- multi choice (fuels: 1 coal, 2 biomass, 3 oil, 4 gas, 5 other, 6 none exclusive) ------

MULTI = [
    ("coal", ["coal"]),
    ("1,3", ["coal", "oil"]),
    ("1 3", ["coal", "oil"]),
    ("1, 3 va 4", ["coal", "oil", "gas"]),
    ("1, 3 và 4", ["coal", "oil", "gas"]),
    ("3;1", ["coal", "oil"]),  # stored in the questionnaire's order
    ("1,1,3", ["coal", "oil"]),
    ("than, trấu", ["coal", "biomass"]),
    ("Than và Dầu FO/DO", ["coal", "oil"]),
    ("trau cui", ["biomass"]),
    ("6", ["none"]),
    ("chi dung dien", ["none"]),
]


@pytest.mark.parametrize(("raw", "value"), MULTI)
def test_multi_choice(raw, value):
    assert value_of("fuels", raw) == value


MULTI_BAD = [
    ("1,9", "Không có lựa chọn số 9"),
    ("than, xyz", "Không có lựa chọn “xyz”"),
    ("1,6", "không chọn cùng các mục khác"),
    (",", "chưa nhập câu trả lời"),
]


@pytest.mark.parametrize(("raw", "message"), MULTI_BAD)
def test_multi_choice_rejections(raw, message):
    assert message in message_of("fuels", raw)


# --- yes / no ------------------------------------------------------------------------------

YES_NO = [
    *[(raw, "yes") for raw in ["có", "Có", "co", "c", "yes", "Y", "ok", "OK", "1", "Có ạ", "có!"]],
    *[(raw, "no") for raw in ["không", "khong", "ko", "k", "no", "N", "0", "chưa", "Không ạ"]],
]


@pytest.mark.parametrize(("raw", "value"), YES_NO)
def test_yes_no(raw, value):
    assert value_of("know_sxsh", raw) == value


@pytest.mark.parametrize("raw", ["maybe", "có lẽ", "2", "không biết"])
def test_yes_no_unclear(raw):
    assert "Vui lòng trả lời “Có” hoặc “Không”" in message_of("know_sxsh", raw)


# --- numbers -------------------------------------------------------------------------------

BILL = [  # electricity_bill: decimal, triệu đồng/tháng, 0..100000
    ("45", 45),
    ("1,5", 1.5),  # decimal comma
    ("1.5", 1.5),
    ("12.000.000", 12),  # đồng with thousands dots -> triệu
    ("12,000,000", 12),
    ("15 triệu", 15),
    ("15 trieu", 15),
    ("15tr", 15),
    ("15tr5", 15.5),
    ("2 tỷ", 2000),
    ("2 ty 3", 2300),
    ("1 tỷ 50 triệu", 1050),
    ("500k", 0.5),
    ("50 nghìn", 0.05),
    ("50 ngàn", 0.05),
    ("12 triệu đồng", 12),
    ("khoảng 30 triệu/tháng", 30),
    ("1.234,5", 1234.5),
    ("15 million", 15),
]


@pytest.mark.parametrize(("raw", "value"), BILL)
def test_decimal_vietnamese_habits(raw, value):
    assert value_of("electricity_bill", raw) == pytest.approx(value)


WATER = [  # water_use: decimal, m³/tháng
    ("300 m3", 300),
    ("300m3", 300),
    ("300 m³", 300),
    ("1.200 m3", 1200),
    ("1,200", 1200),
    ("12 000", 12000),
    ("2 nghìn m3", 2000),
    ("0,5", 0.5),
]


@pytest.mark.parametrize(("raw", "value"), WATER)
def test_decimal_units_stripped(raw, value):
    assert value_of("water_use", raw) == pytest.approx(value)


EMPLOYEES = [("120", 120), ("1.200", 1200), ("khoảng 50 người", 50), ("2k", 2000)]


@pytest.mark.parametrize(("raw", "value"), EMPLOYEES)
def test_integer(raw, value):
    got = value_of("employees", raw)
    assert got == value and isinstance(got, int)


NUMBER_BAD = [
    ("employees", "abc", "“abc” không phải là một số"),
    ("employees", "nhiều lắm", "không phải là một số"),
    ("employees", "0", "0 người nằm ngoài khoảng cho phép"),
    ("employees", "200000", "200.000 người nằm ngoài khoảng cho phép"),
    ("employees", "1,5", "cần số nguyên"),
    ("employees", "50-100", "chỉ nhập một con số"),
    ("employees", "từ 50 đến 100", "chỉ nhập một con số"),
    ("electricity_bill", "-5", "-5 triệu đồng/tháng nằm ngoài khoảng cho phép"),
    ("electricity_bill", "200 tỷ", "200.000 triệu đồng/tháng nằm ngoài khoảng"),
    ("electricity_bill", "không biết", "ước lượng là được"),  # not knowing is not "not a number"
]


@pytest.mark.parametrize(("question_id", "raw", "message"), NUMBER_BAD)
def test_number_rejections_state_the_range_and_unit(question_id, raw, message):
    text = message_of(question_id, raw)
    assert message in text
    if question_id == "employees":
        assert "số nguyên từ 1 đến 100.000 người" in text
    else:
        assert "từ 0 đến 100.000 triệu đồng/tháng" in text


def test_number_range_message_in_english():
    text = message_of("employees", "0", lang="en")
    assert "0 people is outside the allowed range" in text
    assert "whole number from 1 to 100,000 people" in text


# --- phone ---------------------------------------------------------------------------------

PHONE = [
    ("0912345678", "0912345678"),
    ("0912 345 678", "0912345678"),
    ("091.234.5678", "0912345678"),
    ("091-234-5678", "0912345678"),
    ("+84 912 345 678", "0912345678"),
    ("+84912345678", "0912345678"),
    ("84912345678", "0912345678"),
    ("0084 912 345 678", "0912345678"),
    ("0387654321", "0387654321"),
    ("(0292) 3841 599", "02923841599"),  # Cần Thơ landline, 11 digits
]


@pytest.mark.parametrize(("raw", "value"), PHONE)
def test_phone_normalised(raw, value):
    assert value_of("contact_phone", raw) == value


@pytest.mark.parametrize("raw", ["12345", "0112345678", "091234567", "09123456789", "abc"])
def test_phone_rejected(raw):
    text = message_of("contact_phone", raw)
    assert "không phải số điện thoại hợp lệ" in text and "0912 345 678" in text
    assert "bỏ qua" in text  # optional: say how to skip


# --- tax code ------------------------------------------------------------------------------

TAX = [
    ("1800123456", "1800123456"),
    (" 1800123456 ", "1800123456"),
    ("1800 123 456", "1800123456"),
    ("1800123456-001", "1800123456-001"),
    ("1800123456 - 001", "1800123456-001"),
    ("1800123456001", "1800123456-001"),
]


@pytest.mark.parametrize(("raw", "value"), TAX)
def test_tax_code(raw, value):
    assert value_of("tax_code", raw) == value


@pytest.mark.parametrize("raw", ["180012345", "18001234567", "1800123456-01", "18001234ab", "MST"])
def test_tax_code_rejected(raw):
    text = message_of("tax_code", raw)
    assert "không phải mã số thuế hợp lệ" in text
    assert "10 chữ số" in text and "1800123456-001" in text


# --- location (ward after industrial_park) ---------------------------------------------------

IN_TRA_NOC = {"industrial_park": "tra_noc_1"}

WARD = [
    ("Phường Thới An Đông", "Phường Thới An Đông", None),
    ("thoi an dong", "Phường Thới An Đông", None),
    ("p. thới an đông", "Phường Thới An Đông", None),
    ("P.Thoi An Dong", "Phường Thới An Đông", None),
    ("thoi an dongg", "Phường Thới An Đông", None),  # typo
    ("Ninh Kiều", "Phường Ninh Kiều", None),  # a phường since 2025, not only the old quận
    ("phong dien", "Xã Phong Điền", None),
    ("xa phong dien", "Xã Phong Điền", None),
    ("Long Phú", "Xã Long Phú", None),
    ("long phu 1", "Phường Long Phú 1", None),
    ("Phong Điền, Cần Thơ", "Xã Phong Điền", "Phong Điền, Cần Thơ"),
    # not in the list but clearly a phường/xã: kept as typed
    ("xã Mỹ Khánh", "Xã Mỹ Khánh", "xã Mỹ Khánh"),
    ("p. an hoa", "Phường An Hoa", "p. an hoa"),
    # an old address still naming its ward: the old district stays only in free text
    ("phường An Hòa, quận Ninh Kiều", "Phường An Hòa", "phường An Hòa, quận Ninh Kiều"),
]


@pytest.mark.parametrize(("raw", "ward", "free_text"), WARD)
def test_ward(raw, ward, free_text):
    assert value_of("ward", raw, answers=IN_TRA_NOC) == {
        "park": "tra_noc_1",
        "ward": ward,
        "free_text": free_text,
    }


@pytest.mark.parametrize("park", ["none", "other", None])
def test_ward_without_a_listed_park(park):
    value = value_of("ward", "thoi an dong", answers={"industrial_park": park})
    assert value["park"] is None


DISTRICT = ["quận Ninh Kiều", "Q. Ninh Kieu", "huyện Phong Điền", "H.Phong Dien", "thị xã Long Mỹ"]


@pytest.mark.parametrize("raw", DISTRICT)
def test_district_level_rejected(raw):
    text = message_of("ward", raw, answers=IN_TRA_NOC)
    assert "01/07/2025 không còn cấp quận/huyện" in text
    assert "phường hoặc xã" in text


def test_district_message_in_english():
    text = message_of("ward", "quận Bình Thủy", lang="en", answers=IN_TRA_NOC)
    assert "districts (quận/huyện) no longer exist" in text


@pytest.mark.parametrize("raw", ["abc xyz", "tra noc"])
def test_unknown_ward_asks_for_phuong_or_xa(raw):
    text = message_of("ward", raw, answers=IN_TRA_NOC)
    assert "Không tìm thấy phường/xã" in text and "“phường” hoặc “xã”" in text


# --- text, empty, over-long ----------------------------------------------------------------


def test_text_trimmed_and_kept():
    assert value_of("company_name", "  Công ty TNHH Mẫu \x00 ") == "Công ty TNHH Mẫu"


EMPTY = [None, "", "   ", "\n\t "]


@pytest.mark.parametrize("raw", EMPTY)
@pytest.mark.parametrize("question_id", ["sector", "employees", "know_sxsh", "ward", "fuels"])
def test_empty_input(question_id, raw):
    text = message_of(question_id, raw, answers=IN_TRA_NOC)
    assert text.startswith("Anh/chị chưa nhập câu trả lời.")


def test_empty_optional_says_how_to_skip():
    assert "gõ “bỏ qua”" in message_of("company_name", "  ")
    assert "type “skip”" in message_of("company_name", "", lang="en")


def test_five_thousand_characters():
    long = "x" * 5000
    assert "5.000 ký tự, vượt giới hạn 200 ký tự" in message_of("company_name", long)
    for question_id in ("employees", "sector", "fuels", "know_sxsh", "tax_code", "ward"):
        assert "Tin nhắn quá dài (5.000 ký tự)" in message_of(question_id, long)
    assert "5,000 characters" in message_of("employees", long, lang="en")


def test_format_number():
    assert format_number(12000000) == "12.000.000"
    assert format_number(12000000, "en") == "12,000,000"
    assert format_number(1.5) == "1,5"
    assert format_number(2.25, "en") == "2.25"
    assert format_number(3.0) == "3"
