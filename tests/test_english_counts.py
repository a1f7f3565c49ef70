"""English texts with a count read right when the count is one (new-user tester: an event card
said "1 seats left."). A text names the word for one and for more as `{n:seat/seats}`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from content.texts import ContentError, Texts
from tests.chat import Person
from tests.events.conftest import save

# a count of 1 followed by a plural noun: what a text must never say
ONE_PLURAL = re.compile(
    r"\b1 (seats|people|questions|recipients|enterprises|responses|broadcasts|messages|hours"
    r"|pages|answers|tickets|registrations|contacts|times|events)\b"
)
# the whole numbers texts are filled with ("hours" is a decimal, "pages" has its own text for one)
COUNTS = ("n", "count", "total", "done", "sent", "personal", "seats")


def test_an_event_with_one_seat_left_says_seat(conversation):
    save(conversation, capacity=1)
    p = Person(conversation, user_id="en")
    p.says("/lang en")
    p.says("/events")
    assert "1 seat left." in p.text


def test_no_english_text_says_one_with_a_plural():
    texts = Texts.load(Path(__file__).resolve().parents[1] / "content" / "texts")
    wrong = []
    for key in texts.by_lang["en"]:
        shown = texts.get("en", key, **{name: 1 for name in COUNTS})
        if ONE_PLURAL.search(shown):
            wrong.append(f"{key}: {shown}")
    assert wrong == []


@pytest.mark.parametrize(("n", "shown"), [(0, "0 seats"), (1, "1 seat"), (2, "2 seats")])
def test_the_word_follows_the_number(n, shown):
    texts = Texts({"vi": {"k": "{n} chỗ"}, "en": {"k": "{n} {n:seat/seats}"}})
    assert texts.get("en", "k", n=n) == shown
    assert texts.get("vi", "k", n=n) == f"{n} chỗ"


def test_a_count_written_wrong_is_a_content_error(tmp_path):
    (tmp_path / "vi.yaml").write_text('k: "{n} chỗ"\n', encoding="utf-8")
    (tmp_path / "en.yaml").write_text('k: "{n} {n:seats}"\n', encoding="utf-8")
    with pytest.raises(ContentError, match=r"en.yaml: k: .*\{n:one/more\}"):
        Texts.load(tmp_path)
