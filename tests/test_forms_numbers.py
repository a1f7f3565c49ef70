"""Numbers in words and figures (issue 7 item 11) and every parser fed junk (issue 8 item 11):
the right value, the value echoed back when it needed interpretation, or the ordinary refusal
— never an exception."""

from __future__ import annotations

import pytest

from content.forms import Err, Ok, parse_answer, submit
from content.forms.loader import default_questionnaire
from content.texts import Texts
from tests.conftest import ROOT

Q = default_questionnaire()
TEXTS = Texts.load(ROOT / "content" / "texts").by_lang


def parse(question_id: str, raw: str, lang: str = "vi"):
    return parse_answer(
        Q.question(question_id),
        raw,
        lang,
        TEXTS[lang],
        locations=Q.locations,
        words=Q.number_words,
        answer_words=Q.answer_words,
    )


BILL_WORDS = [  # electricity_bill: triệu đồng/tháng
    ("tam 8 tram trieu", 800),
    ("8 tram trieu", 800),
    ("tám trăm triệu", 800),
    ("tám trăm", 800),  # in the asked unit, like a typed "800"
    ("1 tỷ 2", 1200),
    ("một tỷ hai", 1200),
    ("2 triệu rưỡi", 2.5),
    ("2 trieu ruoi", 2.5),
    ("1,5 tỷ", 1500),
    ("800tr", 800),
    ("1.200.000", 1.2),
    ("hai mươi lăm triệu", 25),
    ("mười lăm triệu", 15),
    ("ba mươi tư triệu", 34),
    ("hai mươi mốt triệu", 21),
    ("một trăm linh năm triệu", 105),
    ("trăm rưỡi triệu", 150),
    ("hai triệu hai trăm", 2.2),
    ("năm mươi nghìn", 0.05),
    ("1 tỷ 200 triệu", 1200),
    ("45 triệu mỗi năm", 45),
    ("bốn lăm triệu", 45),  # "bốn lăm" = bốn mươi lăm, as people say it
    ("nhiều lắm", None),  # "lắm" (very) is not "lăm" (five) outside a number
    ("TÁM TRĂM TRIỆU", 800),
    ("１２ triệu", 12),  # full-width digits
    ("٤٥ triệu", 45),  # Arabic-Indic digits
]


@pytest.mark.parametrize(("raw", "value"), BILL_WORDS)
def test_number_words_parse_to_the_right_value(raw, value):
    got = parse("electricity_bill", raw)
    if value is None:
        assert isinstance(got, Err), got
    else:
        assert isinstance(got, Ok), got
        assert got.value == pytest.approx(value)


@pytest.mark.parametrize(
    ("raw", "echo"),
    [
        ("tam 8 tram trieu", "= 800.000.000 đồng/tháng"),
        ("8 tram trieu", "= 800.000.000 đồng/tháng"),
        ("45tr", "= 45.000.000 đồng/tháng"),
        ("1.200.000", "= 1.200.000 đồng/tháng"),
        ("1 tỷ 2", "= 1.200.000.000 đồng/tháng"),
        ("45", None),  # a plain figure in the asked unit needs no echo
    ],
)
def test_a_value_that_needed_interpretation_is_echoed(raw, echo):
    got = parse("electricity_bill", raw)
    assert isinstance(got, Ok)
    if echo is None:
        assert got.note is None
    else:
        assert got.note is not None and echo in got.note


def test_the_echo_is_in_english_for_an_english_speaker():
    got = parse("electricity_bill", "800tr", lang="en")
    assert "= 800,000,000 VND/month" in got.note


def test_employee_words_need_no_base_unit():
    got = parse("employees", "hai trăm")
    assert got.value == 200 and "= 200 người" in got.note


JUNK = [
    "1" * 310,
    "9" * 4096,
    "1e308",
    "1e999",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "Infinity",
    "+",
    "-",
    "--5",
    "+-5",
    "0x10",
    "½",
    "²",
    "Ⅻ",
    "𝟏𝟐",
    "١٢٣",
    "１２０",
    "12\x00",
    "\u200b12",
    "1.2.3,4,5",
    ",,,",
    "...",
    "1" + "0" * 15 + " tỷ",
    "99999999999999 tỷ",
    "tỷ tỷ tỷ",
    "trăm trăm",
    "rưỡi",
    "mười mười",
    "1 2 3",
    "💯",
    "DROP TABLE answers;",
    "=1+1",
    "x" * 999,
    "x" * 1001,
    " ",
    "\n\n",
]
PARSED_QUESTIONS = [
    "company_name",  # text
    "sector",  # single choice
    "employees",  # integer
    "industrial_park",  # choice from locations
    "ward",  # location
    "tax_code",
    "know_sxsh",  # yes/no
    "electricity_bill",  # decimal, scaled
    "fuels",  # multi choice
    "water_use",  # decimal with unit
    "contact_phone",
]


@pytest.mark.parametrize("raw", JUNK, ids=[repr(j[:12]) for j in JUNK])
@pytest.mark.parametrize("question_id", PARSED_QUESTIONS)
def test_every_parser_refuses_junk_with_its_ordinary_message(question_id, raw):
    got = parse(question_id, raw)  # never raises
    assert isinstance(got, Ok | Err)
    if isinstance(got, Ok) and Q.question(question_id).type in ("integer", "decimal"):
        question = Q.question(question_id)
        assert question.min is None or got.value >= question.min
        assert question.max is None or got.value <= question.max
    if isinstance(got, Ok) and Q.question(question_id).type in ("phone", "tax_code"):
        assert got.value.replace("-", "").isascii() and got.value.replace("-", "").isdigit()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("1" * 310, "nằm ngoài khoảng cho phép"),
        ("nan", "không phải là một số"),
        ("inf", "không phải là một số"),
        ("-5", "nằm ngoài khoảng cho phép"),
        ("1e308", "chỉ nhập một con số"),
        ("99999999999999 tỷ", "nằm ngoài khoảng cho phép"),
    ],
)
def test_huge_and_odd_numbers_get_the_ordinary_refusal(raw, message):
    got = parse("employees", raw)
    assert isinstance(got, Err) and message in got.message


def test_unicode_digits_are_read_as_the_digits_they_look_like():
    assert parse("employees", "１２０").value == 120
    assert parse("contact_phone", "０９１２ ３４５ ６７８").value == "0912345678"
    assert parse("tax_code", "１８００１２３４５６").value == "1800123456"
    assert parse("sector", "１").value == "seafood"


def test_submit_carries_the_echo_to_the_caller():
    answers = {"company_name": None, "sector": "seafood", "employees": 10}
    answers |= {"industrial_park": "none", "ward": {"ward": "Phường Cái Khế"}, "tax_code": None}
    answers |= {"know_sxsh": "yes", "applied_sxsh": "no", "dedicated_unit": "no"}
    accepted = submit(Q, answers, "tam 8 tram trieu", "vi", TEXTS["vi"])
    assert accepted.value == 800 and "= 800.000.000 đồng/tháng" in accepted.echo


def test_content_check_refuses_word_lists_that_read_one_word_two_ways():
    from content.forms.check import check_answer_words, check_number_words
    from content.forms.schema import AnswerWords, NumberWords

    assert check_answer_words(Q.answer_words, "answer_words.yaml") == []
    assert check_number_words(Q.number_words, "number_words.yaml") == []
    words = AnswerWords(yes=["có", "ừ"], no=["không", "Có"], commands={"skip": ["bỏ qua"]})
    assert check_answer_words(words, "answer_words.yaml") == [
        "answer_words.yaml: answer words: 'co' is both yes and no"
    ]
    numbers = NumberWords(digits={5: ["năm"], 12: ["mười hai"]}, multipliers={1500: ["x"]})
    numbers.hundreds.append("Năm")
    assert check_number_words(numbers, "number_words.yaml") == [
        "number_words.yaml: number words: digit 12: only 0-9",
        "number_words.yaml: number words: multiplier 1500: must be 1000, 1000000, ...",
        "number_words.yaml: number words: digit 12: 'mười hai': one word of letters",
        "number_words.yaml: number words: hundreds: 'Năm' also means digit 5",
    ]


def test_officers_words_decide_what_yes_means():
    from content.forms.schema import AnswerWords

    words = AnswerWords(yes=["chuẩn"], no=["không"], polite_endings=["ạ"])
    question = Q.question("know_sxsh")
    assert parse_answer(question, "chuẩn ạ", "vi", TEXTS["vi"], answer_words=words) == Ok("yes")
    assert isinstance(parse_answer(question, "có", "vi", TEXTS["vi"], answer_words=words), Err)
