"""The erase question (/deletedata) answered by typing its button's label or a yes/no word
(new-user tester, fault 1: every yes/no button prompt)."""

from __future__ import annotations

import pytest

from storage.models import Contact
from tests.chat import Person, rows


@pytest.mark.parametrize("typed", ["Có, xóa hết", "co xoa het", "có", "ok", "đồng ý"])
def test_typing_yes_at_the_erase_question_erases(conversation, typed):
    p = Person(conversation)
    p.says("/start")
    p.says("/deletedata")
    p.says(typed)
    assert "Đã xóa dữ liệu cá nhân" in p.text
    assert rows(conversation, Contact) == []


@pytest.mark.parametrize("typed", ["Không, giữ lại", "khong giu lai", "không", "ko"])
def test_typing_no_at_the_erase_question_keeps_everything(conversation, typed):
    p = Person(conversation)
    p.says("/start")
    p.says("/deletedata")
    p.says(typed)
    assert "Không xóa gì cả." in p.text
    assert len(rows(conversation, Contact)) == 1


def test_a_question_after_the_erase_question_erases_nothing(conversation):
    p = Person(conversation)
    p.says("/deletedata")
    p.says("sản xuất sạch hơn là gì")
    p.says("có")  # the erase question is no longer open
    assert "Đã xóa dữ liệu cá nhân" not in p.text
    assert len(rows(conversation, Contact)) == 1
