"""The knowledge base: the real content is complete and valid, and each kind of mistake an
officer can make in a content file is reported with its file, entry and what is wrong."""

from __future__ import annotations

from datetime import date

import pytest
import yaml
from typer.testing import CliRunner

from bot.cli import app
from content import knowledge
from content.store import ContentStore, check
from content.textnorm import fold, normalize, tone_marks
from content.texts import ContentError
from tests.qa_fixtures import (
    CONTENT,
    TOPICS,
    copy_content,
    edit_entry,
    faq_file_of,
    read_yaml,
    write_yaml,
)


def test_real_content_is_clean():
    assert check(CONTENT) == []


def test_every_topic_is_present_in_both_languages():
    if not TOPICS.exists():
        pytest.skip(f"{TOPICS} not found (the shared folder is beside the repository)")
    topics = [t["id"] for t in yaml.safe_load(TOPICS.read_text(encoding="utf-8"))["topics"]]
    assert len(topics) == 47
    kb = knowledge.load(CONTENT, [])
    missing = [t for t in topics if t not in kb.entries]
    assert missing == []
    for topic in topics:
        entry = kb.entries[topic]
        for lang in ("vi", "en"):
            text = entry.text(lang)
            assert text.title and text.short and len(text.questions) >= 3, (topic, lang)
        if not topic.startswith("bot."):  # the bot's own help cites no outside source
            assert entry.sources, topic


def _drop_en(e):
    del e["en"]


def _unknown_related(e):
    e["related"] = [*e.get("related", []), "nope.missing"]


def _no_title(e):
    del e["vi"]["title"]


def _no_questions(e):
    e["vi"]["questions"] = []


def _bad_placeholder(e):
    e["en"]["short"] = e["en"]["short"] + "\n\nCall {phone}."


BROKEN_ENTRY = [
    (_drop_en, "sxsh.definition: missing English (en) answer"),
    (_unknown_related, "sxsh.definition: related: unknown entry id 'nope.missing'"),
    (_no_title, "sxsh.definition: vi: missing title"),
    (_no_questions, "sxsh.definition: vi: missing questions"),
    (_bad_placeholder, "sxsh.definition: en: short: unknown placeholder {phone}"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "message"), BROKEN_ENTRY, ids=[m for _, m in BROKEN_ENTRY])
def test_broken_entry_fails_check_with_a_precise_message(tmp_path, change, message):
    directory = copy_content(tmp_path)
    label = edit_entry(directory, "sxsh.definition", change)
    errors = check(directory)
    assert any(e.startswith(f"{label}: {message}") for e in errors), errors
    # The bot refuses to start with the same message.
    with pytest.raises(ContentError) as exc:
        ContentStore.load(directory)
    assert any(e.startswith(f"{label}: {message}") for e in exc.value.errors)


def test_duplicate_id_names_both_files(tmp_path):
    directory = copy_content(tmp_path)
    source = faq_file_of(directory, "sxsh.definition")
    entry = next(e for e in read_yaml(source)["entries"] if e["id"] == "sxsh.definition")
    write_yaml(directory / "faq" / "zz_extra.yaml", {"entries": [entry]})
    assert (
        f"content/faq/zz_extra.yaml: sxsh.definition: duplicate id (also in "
        f"content/faq/{source.name})"
    ) in check(directory)


def test_bad_yaml_names_the_line(tmp_path):
    directory = copy_content(tmp_path)
    (directory / "faq" / "broken.yaml").write_text(
        'entries:\n  - id: x.y\n    vi: {title: "a"\n', encoding="utf-8"
    )
    errors = check(directory)
    assert any(e.startswith("content/faq/broken.yaml: line 4: not valid YAML") for e in errors), (
        errors
    )


def test_programmes_errors(tmp_path):
    directory = copy_content(tmp_path)
    data = read_yaml(directory / "programmes.yaml")
    first = data["programmes"][0]
    first["contact"] = "nobody"
    first["deadline"] = "2026-13-45"
    write_yaml(directory / "programmes.yaml", data)
    errors = check(directory)
    pid = first["id"]
    assert any(
        e.startswith(
            f"content/programmes.yaml: {pid}: deadline: deadline '2026-13-45' is not a date"
        )
        for e in errors
    ), errors
    # The deadline error stops validation of that programme; the contact is checked alone.
    first["deadline"] = None
    write_yaml(directory / "programmes.yaml", data)
    assert f"content/programmes.yaml: {pid}: unknown contact id 'nobody'" in check(directory)


def test_content_check_command_exits_non_zero_on_broken_content(tmp_path):
    directory = copy_content(tmp_path)
    label = edit_entry(directory, "sxsh.definition", _drop_en)
    result = CliRunner().invoke(app, ["content", "check", "--directory", str(directory)])
    assert result.exit_code == 1
    assert f"{label}: sxsh.definition: missing English (en) answer" in result.output


def test_placeholders_are_filled_from_officer_files():
    kb = knowledge.load(CONTENT, [])
    programmes = read_yaml(CONTENT / "programmes.yaml")["programmes"]
    open_names = [p["name"]["vi"] for p in programmes if p["status"] == "open"]
    text = kb.short("support.programmes", "vi", date(2026, 1, 10))
    assert "{programmes}" not in text
    for name in open_names:
        assert name in text
    # What officers have not filled in is left out (no "chưa cập nhật" lines), one line says
    # officers will complete it and points to them; nothing is invented.
    assert "chưa cập nhật" not in text and "Mức hỗ trợ:" not in text and "Gặp cán bộ" in text
    en = kb.short("support.programmes", "en", date(2026, 1, 10))
    assert "not yet available" not in en and "Talk to an officer" in en


def test_contacts_show_what_is_known_and_leave_out_the_rest(tmp_path):
    directory = copy_content(tmp_path)
    data = read_yaml(directory / "contacts.yaml")
    data["contacts"][0]["phone"] = "0292 3 999 999"
    write_yaml(directory / "contacts.yaml", data)
    kb = ContentStore.load(directory).knowledge
    text = kb.render("{contacts}", "vi")
    assert "Điện thoại: 0292 3 999 999" in text
    assert text.count("Điện thoại:") == 1  # the others have no phone yet: no line for it
    assert "chưa cập nhật" not in text and "Email:" not in text
    assert text.count("Gặp cán bộ") == 1  # one line at the end, not one per missing value
    apply = kb.render("{programmes_apply}", "vi", date(2026, 1, 10))
    assert "chưa cập nhật" not in apply
    # And `content check` can list what officers still have to fill in.
    todo = knowledge.officer_todo(kb)
    assert f"content/contacts.yaml: {data['contacts'][0]['id']}: not filled in yet: " in todo[0]
    assert "phone" not in todo[0] and "email" in todo[0]


def test_changed_contacts_change_the_answer_after_reload(tmp_path):
    directory = copy_content(tmp_path)
    before = ContentStore.load(directory).knowledge
    entry = next(e for e in before.entries.values() if "{contacts}" in (e.vi.details or ""))
    assert "0292 3 999 999" not in before.details(entry.id, "vi")
    data = read_yaml(directory / "contacts.yaml")
    data["contacts"][0]["phone"] = "0292 3 999 999"
    write_yaml(directory / "contacts.yaml", data)
    after = ContentStore.load(directory).knowledge
    assert "Điện thoại: 0292 3 999 999" in after.details(entry.id, "vi")
    assert "Phone: 0292 3 999 999" in after.details(entry.id, "en")


def test_programme_dates_and_closed_programmes(tmp_path):
    directory = copy_content(tmp_path)
    data = read_yaml(directory / "programmes.yaml")
    data["programmes"][0]["deadline"] = "2026-03-31"
    data["programmes"][1]["status"] = "closed"
    write_yaml(directory / "programmes.yaml", data)
    kb = ContentStore.load(directory).knowledge
    text = kb.short("support.programmes", "vi", date(2026, 1, 10))
    assert "Hạn nộp: 31/03/2026" in text
    assert data["programmes"][1]["name"]["vi"] not in text
    # Past its deadline, an "open" programme is no longer listed as open.
    later = kb.short("support.programmes", "vi", date(2026, 4, 1))
    assert data["programmes"][0]["name"]["vi"] not in later


@pytest.mark.parametrize(
    ("old", "new"),
    [("hòa", "hoà"), ("thủy", "thuỷ"), ("Khỏe", "khoẻ"), ("tùy", "tuỳ"), ("hóa chất", "hoá chất")],
)
def test_tone_mark_placements_are_one_form(old, new):
    assert normalize(old) == normalize(new)
    assert fold(old) == fold(new)


def test_tone_marks_leave_other_words_alone():
    for word in ("quý", "hoàng", "của", "thuở", "khuya", "huỳnh"):
        assert tone_marks(word) == word
    # NFD input (as some phones send it) becomes NFC.
    import unicodedata

    assert tone_marks(unicodedata.normalize("NFD", "sạch hơn")) == "sạch hơn"


def test_content_check_lists_what_officers_still_have_to_fill_in_as_warnings(tmp_path):
    directory = copy_content(tmp_path)
    result = CliRunner().invoke(app, ["content", "check", "--directory", str(directory)])
    assert result.exit_code == 0, result.output
    assert "warning(s): officers still have to fill in:" in result.output
    assert "content/contacts.yaml: so_cong_thuong: not filled in yet: phone, email" in result.output
    assert "content OK" in result.output
