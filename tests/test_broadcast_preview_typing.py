"""An officer narrows a broadcast after seeing its preview by typing other filters (new-user
tester: "sector=rice_food" typed under the preview was read as a question and answered with
the rice sector's FAQ entry; the draft kept its old audience)."""

from __future__ import annotations

import json

from storage.broadcasts_models import Broadcast
from tests.chat import Person, rows
from tests.test_broadcasts import people


def draft(conversation) -> Person:
    officer = Person(conversation, user_id="officer")
    officer.says("/broadcast Mời doanh nghiệp dự hội thảo SXSH ngày 5/12.")
    officer.says("sector=seafood")
    assert "2 người nhận" in officer.text
    return officer


def audience(conversation) -> dict:
    [row] = rows(conversation, Broadcast)
    return json.loads(row.audience)


def test_filters_typed_under_the_preview_change_the_audience(conversation, clock):
    people(conversation, clock, 2, sector="seafood")
    people(conversation, clock, 1, prefix="r", sector="rice_food")
    officer = draft(conversation)
    officer.says("sector=rice_food")
    assert "1 người nhận" in officer.text and "Công ty R0" in officer.text
    assert "✅ Gửi ngay" in officer.buttons
    assert audience(conversation) == {"sector": "rice_food"}
    officer.says("sector=thuy_san_khong_co")  # a wrong one: said, the draft unchanged
    assert "bản nháp chưa đổi" in officer.text
    assert audience(conversation) == {"sector": "rice_food"}
    officer.says("unfinished")
    assert audience(conversation) == {"unfinished": True}


def test_a_question_under_the_preview_is_still_a_question(conversation, clock):
    people(conversation, clock, 2, sector="seafood")
    officer = draft(conversation)
    officer.says("sản xuất sạch hơn là gì")
    assert "Sản xuất sạch hơn (SXSH) là" in officer.text
    assert audience(conversation) == {"sector": "seafood"}
    officer.says("sector=rice_food")  # the preview is closed now: nothing changes
    assert audience(conversation) == {"sector": "seafood"}


def test_after_sending_a_filter_changes_nothing(conversation, clock):
    people(conversation, clock, 2, sector="seafood")
    officer = draft(conversation)
    officer.presses("✅ Gửi ngay")
    officer.says("sector=rice_food")
    assert "không còn" not in officer.text
    assert audience(conversation) == {"sector": "seafood"}
