"""Welcome, menu, language and opting out, as a person sees them and as the database keeps them."""

from __future__ import annotations

from sqlmodel import Session, select

from storage.models import Contact
from tests.chat import Person


def contact(conversation, user_id="u1") -> Contact:
    with Session(conversation.engine) as s:
        return s.exec(select(Contact).where(Contact.platform_id == user_id)).one()


def test_start_shows_vietnamese_welcome_and_menu(conversation):
    p = Person(conversation, name="Lan")
    p.says("/start")
    assert "Xin chào Lan" in p.text
    assert "Sở Công Thương thành phố Cần Thơ" in p.text
    assert p.buttons == [
        "❓ Hỏi đáp SXSH",
        "📋 Đánh giá nhanh",
        "📅 Sự kiện sắp tới",
        "🤝 Chương trình hỗ trợ",
        "👤 Gặp cán bộ",
        "🌐 Ngôn ngữ / Language",
    ]
    c = contact(conversation)
    assert (c.channel, c.language, c.status, c.role) == ("console", "vi", "active", "enterprise")
    assert c.display_name is None  # the platform name is not stored without consent


def test_lang_switches_to_english_and_is_remembered(conversation):
    p = Person(conversation)
    p.says("/lang")
    p.presses("English")
    assert p.text.startswith("Switched to English.")
    p.says("/help")
    assert "How to use the bot" in p.text
    assert contact(conversation).language == "en"
    p.says("/lang vi")
    assert "Đã chuyển sang tiếng Việt." in p.text


def test_stop_then_start_flips_status(conversation):
    p = Person(conversation)
    p.says("/start")
    p.says("/stop")
    assert "Đã dừng gửi thông báo" in p.text
    assert contact(conversation).status == "stopped"
    p.says("/stop")
    assert "đã ngừng nhận thông báo từ trước" in p.text
    p.says("/start")
    assert "quay lại" in p.text
    assert contact(conversation).status == "active"


def test_stop_words_typed_without_diacritics(conversation):
    for i, word in enumerate(["dừng", "dung lai", "Hủy nhận tin", "huy nhan tin", "STOP"]):
        p = Person(conversation, user_id=f"w{i}")
        p.says(word)
        assert contact(conversation, f"w{i}").status == "stopped", word


def test_bad_input_gets_a_clear_message(conversation):
    p = Person(conversation)
    p.says("   ")
    assert "Tin nhắn trống" in p.text
    p.says("x" * 5000)
    assert "5000 ký tự" in p.text
    p.says("/khongco")
    assert "/khongco" in p.text and "/help" in p.text
    p.press_payload("zz:old")
    assert "không còn dùng được" in p.text


def test_the_events_menu_item_is_real(conversation):
    p = Person(conversation)
    p.says("/start")
    p.presses("📅 Sự kiện sắp tới")
    assert "đang được xây dựng" not in p.text
    assert "Hiện chưa có sự kiện sắp tới" in p.text
    assert "🔔 Nhận tin" in p.buttons


def test_officer_only_reload_is_checked_on_the_server(conversation):
    p = Person(conversation, user_id="someone")
    p.says("/reload")
    assert "Bot chưa hiểu lệnh /reload" in p.text
    officer = Person(conversation, user_id="officer")
    officer.says("/reload")
    assert "Đã nạp lại nội dung" in officer.text


def test_commands_the_content_mentions_exist(conversation):
    """Every /command an answer tells people to type must do something sensible."""
    import re

    kb = conversation.content.knowledge
    mentioned = set()
    for entry in kb.entries.values():
        for lang in ("vi", "en"):
            t = entry.text(lang)
            mentioned |= set(re.findall(r"(?<![\w/])/([a-z]+)\b", f"{t.short}\n{t.details or ''}"))
    assert mentioned, "the content mentions no command at all?"
    p = Person(conversation)
    for command in sorted(mentioned):
        p.says(f"/{command}")
        assert "chưa hiểu lệnh" not in p.text, command
