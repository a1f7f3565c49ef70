"""Words a person types: answered in their language, read the same however they were typed,
taken from content officers edit, and never cut silently."""

from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path

import pytest

from bot.app import build_conversation
from content import store
from content.lexicon import Lexicon
from content.textnorm import canonical
from storage.models import Contact, QuestionLog
from storage.tickets_models import Ticket
from tests.chat import Person, rows
from tests.conftest import ROOT, make_settings


def contact(conversation, user: str) -> Contact:
    [c] = rows(conversation, Contact, Contact.platform_id == user)
    return c


def test_menu_and_help_typed_as_words_answer_in_the_persons_language(conversation):
    vi = Person(conversation, user_id="vi")
    vi.says("menu")
    assert vi.text == "Anh/chị muốn làm gì?" and "📋 Đánh giá nhanh" in vi.buttons
    vi.says("help")
    assert vi.text.startswith(conversation.content.texts.get("vi", "help")[:40])
    en = Person(conversation, user_id="en")
    en.says("/lang en")
    en.says("trợ giúp")
    assert en.text.startswith(conversation.content.texts.get("en", "help")[:40])
    en.says("Menu!")
    assert en.text == conversation.content.texts.get("en", "menu.title")
    assert rows(conversation, QuestionLog) == []  # a command word is not a question


def test_look_alike_text_is_read_the_same_everywhere(conversation):
    p = Person(conversation, user_id="p")
    p.says("／ｓｔａｒｔ")  # full-width, as a CJK keyboard types it
    assert p.text.startswith("Xin chào")
    p.says("/st\u200bop")  # a zero-width space inside the command
    assert contact(conversation, "p").status == "stopped"
    p.says("/start")
    p.says("ѕtор")  # Cyrillic ѕ, о and р: the opt-out word all the same
    assert contact(conversation, "p").status == "stopped"
    p.says("/start")
    p.says(unicodedata.normalize("NFD", "Dừng"))  # decomposed tone marks
    assert contact(conversation, "p").status == "stopped"
    asked = "tiết kiệm năng lượng thế nào"
    p.says(asked)
    composed = p.text
    p.says(unicodedata.normalize("NFD", asked).replace("t", "\u200bt", 1))
    assert p.text == composed
    logged = [q.text for q in rows(conversation, QuestionLog)]
    assert logged == [asked, asked]


def test_canonical_keeps_what_is_genuinely_another_script():
    assert canonical("Привет, нет") == "Привет, нет"
    assert canonical("ΑΒΓ") == "ΑΒΓ"
    assert canonical("Thủy hòa") == "Thủy hòa"  # tone placement and case kept
    assert canonical("ｓｘｓｈ　là gì") == "sxsh là gì"


def test_opt_out_words_come_from_the_content_officers_edit(tmp_path, sqlite_url, clock):
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    words = content / "lexicon" / "words.yaml"
    words.write_text(
        words.read_text(encoding="utf-8").replace(
            "    - unsubscribe\n", "    - unsubscribe\n    - thôi nhận tin\n"
        ),
        encoding="utf-8",
    )
    settings = make_settings(sqlite_url).model_copy(update={"content_dir": content})
    conv = build_conversation(settings, clock=clock)
    try:
        p = Person(conv, user_id="p")
        p.says("/start")
        p.says("Thoi nhan tin")
        assert contact(conv, "p").status == "stopped"
    finally:
        conv.engine.dispose()


def test_words_that_cancel_the_message_to_officers_come_from_the_content(tmp_path, sqlite_url,
                                                                        clock):  # fmt: skip
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    words = content / "lexicon" / "words.yaml"
    words.write_text(
        words.read_text(encoding="utf-8") + "\ncancel:\n  words: [thôi khỏi cần]\n",
        encoding="utf-8",
    )
    settings = make_settings(sqlite_url).model_copy(update={"content_dir": content})
    conv = build_conversation(settings, clock=clock)
    try:
        p = Person(conv, user_id="p")
        p.says("/officer")
        p.says("Thoi khoi can")  # typed without diacritics
        assert p.text.startswith("Đã hủy, chưa gửi gì")
        assert rows(conv, Ticket) == []
    finally:
        conv.engine.dispose()


def test_content_check_names_a_broken_lexicon(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    words = content / "lexicon" / "words.yaml"
    words.write_text(
        "commands:\n  stop: []\n  menu: [menu, dừng]\n  hepl: [x]\ngreetings:\n  words: 3\n",
        encoding="utf-8",
    )
    errors = store.check(content)
    assert "lexicon: commands.stop: needs at least one word (the opt-out)" in errors
    assert "words.yaml: commands.hepl: unknown list (known: stop, menu, help, officer)" in errors
    assert "words.yaml: greetings.words: expected a list of words" in errors
    words.write_bytes(b"commands:\n  stop: [d\xfd\xccng]\n")  # "dừng" in Windows-1258
    # content/files.py checks every file's encoding first, with the line and the fix.
    assert store.check(content) == [
        "lexicon/words.yaml: line 2: not UTF-8 (probably Windows-1258 or Latin-1); "
        "save it as UTF-8 (in Notepad: File > Save as > Encoding: UTF-8)"
    ]


def test_the_packaged_lexicon_is_valid():
    lexicon = Lexicon.load(Path(ROOT / "content" / "lexicon"))
    assert lexicon.is_opt_out("Hủy nhận tin") and lexicon.command_for("Trợ giúp") == "help"
    assert lexicon.is_opt_out("Dừng!") and lexicon.is_opt_out("dung lai")
    assert lexicon.command_for("tro giup") == "help" and lexicon.command_for("MENU") == "menu"


@pytest.mark.parametrize(
    "text",
    # "right", "yes", "use", a name, the label of the cancel-registration button
    ["đúng", "Đúng.", "dùng", "dung", "Dung.", "huy", "hủy đăng ký", "huy dang ky", "Dũng"],
)
def test_ordinary_words_do_not_stop_announcements(conversation, text):
    """A tester's "đúng" / "dung" / "hủy đăng ký" turned announcements off: words typed with
    diacritics must match with them, and one bare syllable is not guessed as an opt-out."""
    p = Person(conversation, user_id="p")
    p.says("/start")
    p.says(text)
    assert contact(conversation, "p").status == "active"
    assert "Đã dừng gửi thông báo" not in p.text


def test_a_bare_dung_says_how_to_stop_and_opens_no_ticket(conversation):
    p = Person(conversation, user_id="p")
    p.says("dung")
    assert "gõ “dừng” (có dấu) hoặc /stop" in p.text
    assert "phiếu #" not in p.text
    p.says("dừng")
    assert contact(conversation, "p").status == "stopped"


def test_a_long_message_to_an_officer_is_kept_whole(conversation):
    p = Person(conversation, user_id="long")
    message = ("Công ty chúng tôi cần hỗ trợ đánh giá sản xuất sạch hơn. " * 61).strip()
    assert len(message) == 3_476
    p.says("/officer")
    p.says(message)
    assert "Đã chuyển cho cán bộ" in p.text
    [row] = rows(conversation, QuestionLog)
    assert row.text == message


def test_a_message_over_the_limit_is_refused_saying_nothing_was_sent(conversation):
    p = Person(conversation, user_id="longer")
    p.says("/officer")
    p.says("x" * 5000)
    assert "5000 ký tự" in p.text and "CHƯA gửi gì" in p.text
    assert rows(conversation, QuestionLog) == []
    p.says("Nội dung ngắn hơn")  # the flow stays open for the shorter message
    assert "Đã chuyển cho cán bộ" in p.text


def test_assessment_answers_typed_with_look_alikes_are_stored_the_same(conversation):
    from storage.models import Answer, Response
    from tests.test_assessment import FULL_RUN, answer_all, begin

    disguised = list(FULL_RUN)
    disguised[0] = "Công ty TNHH Thủy\u200b sản Demo"  # a zero-width space
    disguised[2] = "１２０ người"  # full-width digits
    disguised[5] = "１８００１２３４５６"
    disguised[6] = "сó"  # Cyrillic с
    disguised[9] = "45ｔｒ"
    disguised[22] = unicodedata.normalize("NFD", "Nguyễn Văn An")
    plain, odd = Person(conversation, user_id="plain"), Person(conversation, user_id="odd")
    begin(plain)
    answer_all(plain, FULL_RUN)
    begin(odd)
    answer_all(odd, disguised)

    def stored(user: str) -> dict[str, str]:
        [c] = rows(conversation, Contact, Contact.platform_id == user)
        [r] = rows(conversation, Response, Response.contact_id == c.id)
        return {
            a.question_id: a.value for a in rows(conversation, Answer, Answer.response_id == r.id)
        }

    assert stored("odd") == stored("plain")
