"""Answers that send people to a menu item name it as the menu shows it (issue 10: the welcome
text, menu, FAQ answers and help describe only what exists)."""

from __future__ import annotations

import re
from pathlib import Path

from content.store import ContentStore
from tests.conftest import ROOT

# A quoted name just before "trong menu" / "in the menu", or after "chọn", "mục", "choose",
# "under", "menu": the answer tells people to look for a menu item by that name.
MENU_MENTION = re.compile(
    r'"([^"\n]{2,40})"(?=[^."\n]{0,25}(?:trong menu|in the menu))'
    r'|(?:[Cc]họn|[Mm]ục|[Cc]hoose|[Uu]nder|menu)\s+"([^"\n]{2,40})"'
)


def test_menu_items_named_in_answers_are_the_menu_s_own_labels():
    content = ContentStore.load(Path(ROOT / "content"))
    labels = set()
    for lang in ("vi", "en"):
        for key in ("qa", "assess", "events", "programmes", "officer", "lang", "main"):
            label = content.texts.get(lang, f"menu.{key}")
            labels |= {label, label.split(" ", 1)[1]}  # with or without its emoji
    named = {
        (entry.id, lang, m.group(1) or m.group(2))
        for entry in content.knowledge.entries.values()
        for lang in ("vi", "en")
        for m in MENU_MENTION.finditer(f"{entry.text(lang).short}\n{entry.text(lang).details}")
    }
    assert {name for _, _, name in named} >= {"📅 Sự kiện sắp tới", "Gặp cán bộ"}  # it finds them
    assert [n for n in sorted(named) if n[2] not in labels] == []


def test_commands_in_the_welcome_and_the_help_exist(conversation):
    from tests.chat import Person

    texts = conversation.content.texts
    named = set()
    for lang in ("vi", "en"):
        for key in ("welcome", "help", "qa_intro"):
            named |= set(re.findall(r"(?<![\w/])/([a-z]+)\b", texts.get(lang, key)))
    assert {"events", "subscribe", "stop"} <= named  # the help names the events commands
    person = Person(conversation, user_id="someone")
    for command in sorted(named):
        person.says(f"/{command}")
        assert "chưa hiểu lệnh" not in person.text, command
