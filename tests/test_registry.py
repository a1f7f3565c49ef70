"""The capability registry: every capability declared once, and what is derived from it holds
for all of them (texts in both languages, an erase hook for every table with a contact id,
an ordinary refusal for junk on every button namespace)."""

from __future__ import annotations

import pytest
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables)
from handlers.capability import Capability, Command, OutboxKind
from handlers.registry import CAPABILITIES, REGISTRY, Registry
from handlers.start import help_
from tests.chat import Person

JUNK = [
    "",
    ":",
    "::::",
    "x",
    "-1",
    "0",
    "9" * 20,
    "1" * 310,
    "1e999",
    "²",  # a digit to str.isdigit(), not to int()
    "٣",  # Arabic-Indic three
    "１２",  # full-width digits
    "\x00",
    "🙂",
    "a" * 300,
    "1:2:3:4:5",
    "more:²",
    "officer:²",
    "officer:" + "9" * 25,
    "t:" + "x" * 60,
    "resume:99999999999999999999",
]


def test_every_command_has_help_text_in_both_languages(conversation):
    texts = conversation.content.texts
    for command in REGISTRY.commands.values():
        for lang in ("vi", "en"):
            assert command.help_key in texts.by_lang[lang], (command.name, lang)


def test_every_table_holding_a_contact_id_has_an_erase_hook():
    holding = {"contacts"}
    for table in SQLModel.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == "contacts":
                holding.add(table.name)
    assert holding >= {"consent_records", "question_log", "responses", "outbox"}
    missing = holding - REGISTRY.personal_tables()
    assert not missing, f"tables with a contact id but no capability erases them: {missing}"


def test_a_name_declared_twice_is_refused():
    twice = Capability("again", commands=(Command("start", help_),))
    with pytest.raises(ValueError, match="command 'start' declared twice"):
        Registry([*CAPABILITIES, twice])
    kind = Capability("k", outbox=(OutboxKind("officer_reply", lambda *a: None),))
    with pytest.raises(ValueError, match="outbox kind"):
        Registry([*CAPABILITIES, kind])


def test_menu_and_command_menu_come_from_the_registry(conversation):
    p = Person(conversation)
    p.says("/start")
    texts = conversation.content.texts
    assert p.buttons == [texts.get("vi", item.label) for item in REGISTRY.menu]
    assert [item.key for item in REGISTRY.menu] == [
        "qa",
        "assess",
        "events",
        "prog",
        "officer",
        "lang",
    ]
    announced = dict(REGISTRY.announced_commands(conversation.content.texts, "en"))
    assert announced["assess"] == "Quick CP self-assessment"
    assert (
        not {"inbox", "questions", "reply", "close", "reload"} & announced.keys()
    )  # officer tools stay hidden


def test_renderers_are_found_without_importing_the_capabilities():
    """A worker that imports only the delivery code renders every outbox kind."""
    import subprocess
    import sys

    code = (
        "import bot.delivery as d; from handlers.registry import REGISTRY; "
        "print(sorted(REGISTRY.outbox)); print(REGISTRY.is_reply_kind('officer_reply'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.split("\n")[:2] == [
        "['assessment_nudge', 'broadcast', 'broadcast_progress', 'broadcast_report', "
        "'channel_alert', 'event_announce', 'event_cancelled', 'event_changed', 'event_promoted', "
        "'event_reminder', 'held_reply', 'officer_reply', 'officer_reply_outcome', 'ticket_card', "
        "'ticket_digest', 'ticket_reminder']",
        "True",
    ]


@pytest.mark.parametrize("namespace", sorted(REGISTRY.buttons))
def test_every_button_namespace_refuses_junk_with_the_ordinary_answer(conversation, namespace):
    apology = conversation.content.texts.get("vi", "error")
    p = Person(conversation, user_id=f"junk-{namespace}")
    p.says("/start")
    for junk in JUNK:
        replies = p.press_payload(f"{namespace}:{junk}")
        assert replies, (namespace, junk)
        assert all(r.text != apology for r in replies), (namespace, junk)


def test_unknown_namespaces_and_bare_junk_get_the_stale_button_answer(conversation):
    p = Person(conversation)
    for junk in ["", "zz:1", "9" * 30, "\x00:\x00", "🙂:🙂"]:
        p.press_payload(junk)
        assert "Nút này không còn dùng được" in p.text, junk
