"""When a message for the officers becomes a ticket, the reply says once that an officer will
answer in this chat (new-user tester: "Đã chuyển… Cán bộ sẽ trả lời ngay trong cuộc trò
chuyện này…" and then "📨 … phiếu #1. Cán bộ Sở Công Thương sẽ trả lời ngay trong khung chat
này…": the same promise twice in one reply)."""

from __future__ import annotations

import re

import pytest

from tests.chat import Person

PROMISE = {
    "vi": re.compile(r"trả lời (anh/chị )?ngay trong (khung chat|cuộc trò chuyện) này"),
    "en": re.compile(r"answer (you )?(here )?in this chat"),
}


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("how", ["typed", "officer"])
def test_the_promise_to_answer_is_said_once(conversation, lang, how):
    p = Person(conversation, user_id="dn")
    p.says(f"/lang {lang}")
    if how == "typed":
        p.says("cho em gặp người thật" if lang == "vi" else "I want to talk to a human")
    else:
        p.says("/officer")
        p.says("Tôi cần tư vấn lò hơi" if lang == "vi" else "I need advice on our boiler")
    assert "#1" in p.text  # the ticket's number is told
    assert len(PROMISE[lang].findall(p.text)) == 1, p.text
    p.says("/officer")
    p.says("Thêm: lò hơi 2 tấn" if lang == "vi" else "More: a 2-tonne boiler")
    assert len(PROMISE[lang].findall(p.text)) == 1, p.text  # joined: said once, not zero
