"""An answer that tells the person to press a menu item or type its command ("bấm “Gặp cán
bộ”", "/assess", "/events") shows that button beside it (new-user tester: "can bo oi" was
answered "Bấm "Gặp cán bộ" trong menu hoặc gõ /officer…" with no such button; the programmes,
consulting and how-to-apply answers did the same for the officer and the quick assessment)."""

from __future__ import annotations

from pathlib import Path

import pytest

from content.store import ContentStore
from handlers.qa_replies import ACTIONS, entry_replies
from tests.chat import Person
from tests.conftest import ROOT

CONTENT = ContentStore.load(Path(ROOT / "content"))
# what the text says -> the menu item whose button must be there
MENTIONS = {
    "officer": ("Gặp cán bộ", "/officer", "Talk to an officer"),
    "assess": ("/assess", "Đánh giá nhanh", "Quick assessment"),
    "events": ("/events", "Sự kiện sắp tới", "Upcoming events"),
    "subscribe": ("/subscribe",),
}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_answer_shows_the_buttons_it_tells_people_to_press(lang):
    missing = []
    kb = CONTENT.knowledge
    for entry_id in kb.entries:
        short = kb.short(entry_id, lang)
        [reply] = entry_replies(CONTENT, entry_id, lang)
        payloads = {b.payload for b in reply.buttons}
        for item, words in MENTIONS.items():
            if any(w in short for w in words) and ACTIONS[item][1] not in payloads:
                missing.append(f"{entry_id} ({lang}): {item}")
    assert missing == []


def test_asking_for_an_officer_in_passing_offers_the_button_that_does_it(conversation):
    p = Person(conversation, user_id="dn")
    p.says("can bo oi")
    assert "Gặp cán bộ" in p.text
    assert "👤 Gặp cán bộ" in p.buttons
    p.presses("👤 Gặp cán bộ")
    assert "Anh/chị gõ câu hỏi hoặc nội dung cần cán bộ" in p.text
