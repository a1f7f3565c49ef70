"""Assessment buttons through the real python-telegram-bot Application against the local Bot
API server (which refuses callback_data over 64 bytes, as Telegram does)."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from sqlmodel import Session, select

from bot.app import build_conversation
from bot.channels import telegram
from content import store
from storage.models import Answer
from tests.conftest import ROOT, make_settings
from tests.support.telegram_server import DEFAULT_TOKEN, FakeTelegram
from tests.test_telegram_channel import buttons

LONG_ID = "main_line_of_production_of_the_enterprise_as_registered_x"  # 57 bytes, the most


@pytest.fixture
def long_id_content(tmp_path, monkeypatch):
    """The packaged content with the sector question renamed to the longest id allowed."""
    target = tmp_path / "content"
    shutil.copytree(ROOT / "content", target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    path = target / "questionnaires" / "quick_assessment.yaml"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"id: sector\n", f"id: {LONG_ID}\n", text).replace("${sector}", f"${{{LONG_ID}}}")
    path.write_text(text, encoding="utf-8")
    assert len(LONG_ID.encode()) == 57 and store.check(target) == []
    kb = store.ContentStore.load(ROOT / "content").knowledge  # same FAQ: reuse its index
    monkeypatch.setattr(store.knowledge, "load", lambda directory, errors: kb)
    return target


@pytest.fixture
async def srv():
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def app(srv, sqlite_url, clock, long_id_content):
    settings = make_settings(
        sqlite_url, telegram_token=DEFAULT_TOKEN, telegram_api_url=srv.root_url
    ).model_copy(update={"content_dir": long_id_content})
    conv = build_conversation(settings, clock=clock)
    application = telegram.build_application(conv, settings, outbox_interval=3600)
    async with srv.polling(application, timeout=1):
        await application.post_init(application)
        yield application, conv
        await application.post_shutdown(application)
    conv.engine.dispose()


def has_keyboard(call) -> bool:
    return call.method == "sendMessage" and bool(call.params.get("reply_markup"))


async def test_buttons_of_a_question_with_a_57_byte_id_are_sent_and_work(srv, app):
    _, conv = app
    srv.user_sends("/assess")
    [call] = await srv.wait_for(has_keyboard, chat_id=1001, timeout=30)
    srv.user_presses(dict(buttons(call))["✅ Đồng ý"], message_id=call.result["message_id"])
    [call] = await srv.wait_for(has_keyboard, chat_id=1001, timeout=30)
    srv.user_presses(dict(buttons(call))["⏭ Bỏ qua"], message_id=call.result["message_id"])
    [call] = await srv.wait_for(has_keyboard, chat_id=1001, timeout=30)
    assert "Ngành sản xuất chính" in call.params["text"]
    assert all(len(data.encode()) <= 22 for _, data in buttons(call))
    srv.user_presses(dict(buttons(call))["Dệt may"], message_id=call.result["message_id"])
    [call] = await srv.wait_for("sendMessage", chat_id=1001, timeout=30)
    assert "Câu 3/" in call.params["text"]
    with Session(conv.engine) as s:
        answers = {a.question_id: json.loads(a.value) for a in s.exec(select(Answer)).all()}
    assert answers == {"company_name": None, LONG_ID: "garments"}


def test_content_check_refuses_a_question_id_that_cannot_be_stored(tmp_path):
    target = tmp_path / "content"
    shutil.copytree(ROOT / "content", target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    path = target / "questionnaires" / "quick_assessment.yaml"
    text = path.read_text(encoding="utf-8")
    long_id = LONG_ID + "yz"  # 59 bytes: passed the check before, then no reply at all
    path.write_text(
        re.sub(r"id: sector\n", f"id: {long_id}\n", text).replace("${sector}", f"${{{long_id}}}"),
        encoding="utf-8",
    )
    from content.forms import load_and_check

    errors = load_and_check(path)
    assert errors == [
        f"quick_assessment.yaml: question {long_id}: id is 59 characters, at most 57 "
        "(answers are stored under it)"
    ]
