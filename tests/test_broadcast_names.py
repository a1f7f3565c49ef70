"""Officers name a sector or an industrial park in a broadcast audience the way they say it
("sector=thủy sản", "park=Trà Nóc 1"), as the assessment reads a person's answer (new-user
tester: "sector=thuy san" was refused with a list of English codes to copy)."""

from __future__ import annotations

import json

import pytest

from storage.broadcasts_models import Broadcast
from tests.chat import Person, rows
from tests.test_broadcast_cli import cli, conv  # noqa: F401, F811 - fixtures
from tests.test_broadcasts import people


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("sector=thủy sản", {"sector": "seafood"}),
        ("sector=thuy san", {"sector": "seafood"}),
        ("sector=Chế biến thủy sản", {"sector": "seafood"}),
        ("sector=seafood", {"sector": "seafood"}),
        ("park=Trà Nóc 1", {"park": "tra_noc_1"}),
        ("park=KCN Tra Noc I sector=thuy san", {"park": "tra_noc_1", "sector": "seafood"}),
    ],
)
def test_a_sector_or_park_named_in_words_is_found(conversation, clock, typed, stored):
    people(conversation, clock, 2, sector="seafood", industrial_park="tra_noc_1")
    officer = Person(conversation, user_id="officer")
    officer.says("/broadcast Mời doanh nghiệp dự hội thảo SXSH ngày 5/12.")
    officer.says(typed)
    assert "2 người nhận" in officer.text, officer.text
    [row] = rows(conversation, Broadcast)
    assert json.loads(row.audience) == stored


@pytest.mark.parametrize("typed", ["park=Trà Nóc", "sector=1", "sector=gỗ"])
def test_a_name_that_is_not_one_choice_is_refused(conversation, clock, typed):
    people(conversation, clock, 2, sector="seafood", industrial_park="tra_noc_1")
    officer = Person(conversation, user_id="officer")
    officer.says("/broadcast Mời doanh nghiệp dự hội thảo SXSH ngày 5/12.")
    officer.says(typed)
    assert "bản nháp chưa đổi" in officer.text
    [row] = rows(conversation, Broadcast)
    assert json.loads(row.audience) == {"all": True}


def test_the_terminal_reads_a_sector_by_name_too(conv, cli):  # noqa: F811
    made = cli("broadcast", "create", "Hội thảo SXSH", "--audience", "sector=thủy sản")
    assert made.exit_code == 0, made.output
    assert "Draft #1: 3 recipients" in made.output
    assert json.loads(rows(conv, Broadcast)[0].audience) == {"sector": "seafood"}
