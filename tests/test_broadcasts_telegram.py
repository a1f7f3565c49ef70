"""A broadcast end to end: the real python-telegram-bot Bot against the local Bot API server
enforcing Telegram's limits, with people who stopped announcements or blocked the bot, a chat
that no longer exists, and injected 429 and 5xx answers (issue 11 "What it must show")."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from bot.app import build_conversation
from bot.channels import telegram
from bot.delivery import Delivery, Limits, RetryPolicy
from handlers.broadcasts import service
from storage import broadcasts, contacts
from storage.broadcasts_models import Broadcast, BroadcastRecipient
from storage.db import session_scope
from storage.models import Contact, ContactStatus
from tests.chat import rows
from tests.conftest import make_settings
from tests.resilience_support import running
from tests.support.telegram_server import DEFAULT_TOKEN, FakeTelegram
from tests.test_delivery_telegram import PERSON, ask_and_answer

OFFICER = 42
TEXT = "📣 Sở Công Thương mời doanh nghiệp dự hội thảo SXSH ngày 05/12/2026 tại KCN Trà Nóc."


@pytest.fixture
async def srv():
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
def conv(srv, sqlite_url, clock):
    settings = make_settings(
        sqlite_url, telegram_token=DEFAULT_TOKEN, telegram_api_url=srv.root_url,
        officer_ids=f"telegram:{OFFICER}",
    )  # fmt: skip
    conversation = build_conversation(settings, clock=clock)
    yield conversation
    conversation.engine.dispose()


def people(conv, clock, first: int, n: int) -> list[int]:
    with session_scope(conv.engine) as s:
        for uid in range(first, first + n):
            contacts.touch(s, "telegram", str(uid), clock.now())
    return list(range(first, first + n))


def start_broadcast(conv, clock, text: str = TEXT) -> int:
    """The officer's draft to everyone, confirmed "send now" (what the chat buttons do)."""
    with session_scope(conv.engine) as s:
        contacts.touch(s, "telegram", str(OFFICER), clock.now())
        row = broadcasts.create(s, text, {"all": True}, f"telegram:{OFFICER}", clock.now())
        service.confirm(s, row, f"telegram:{OFFICER}", clock.now(), conv.settings)
        return row.id


def run_job(conv) -> None:
    (job,) = [j for j in conv.maintenance_jobs() if j.__name__ == "broadcasts"]
    job()


def states(conv) -> dict[int, str]:
    with Session(conv.engine) as s:
        found = {}
        for r in rows(conv, BroadcastRecipient):
            c = s.get(Contact, r.contact_id)
            found[int(c.platform_id)] = r.state + (f": {r.reason}" if r.reason else "")
        return found


async def test_every_reachable_person_gets_exactly_one_copy_through_faults(srv, conv, clock):
    everyone = people(conv, clock, 5000, 60)
    for uid, status in ((5000, ContactStatus.stopped), (5001, ContactStatus.stopped),
                        (5002, ContactStatus.blocked)):  # fmt: skip
        with session_scope(conv.engine) as s:
            contacts.set_status(s, contacts.get(s, "telegram", str(uid)), status)
    srv.user_blocks_bot(5003)  # blocked on Telegram, not yet known to the bot: 403
    srv.user_blocks_bot(5004)
    srv.forget_chat(5005)  # 400 chat not found
    srv.enforce_limits(per_second=30, per_chat_per_second=1)
    srv.fail("sendMessage", status=429, retry_after=1)
    srv.fail("sendMessage", status=502, times=2)
    srv.fail("sendMessage", status=500)
    bid = start_broadcast(conv, clock)
    async with srv.make_bot() as bot:
        delivery = Delivery(
            conv.engine, conv, clock, {"telegram": telegram.TelegramSender(bot)},
            policy=RetryPolicy(max_attempts=4, first_delay=30, max_delay=60),
            limits={"telegram": Limits(per_second=30, per_chat_per_second=1)},
        )  # fmt: skip
        for _ in range(10):
            await delivery.drain()
            run_job(conv)
            if rows(conv, Broadcast)[0].status == "completed":
                break
            clock.advance(seconds=61)  # the 429 pause and the 5xx backoff pass
        run_job(conv)  # the report to the officer is queued...
        await delivery.drain()  # ...and goes in the reply lane
    reachable = [uid for uid in everyone if uid not in (5000, 5001, 5002, 5003, 5004, 5005)]
    for uid in reachable:
        assert [m["text"] for m in srv.sent_messages(uid)] == [TEXT], uid
    for uid in (5000, 5001, 5002, 5003, 5004, 5005):
        assert srv.sent_messages(uid) == [], uid
    found = states(conv)
    assert {found[u] for u in reachable} == {"sent"}
    assert [found[u] for u in (5000, 5001, 5002, 5003, 5004)] == [
        "skipped: stopped", "skipped: stopped", "skipped: blocked", "skipped: blocked",
        "skipped: blocked",
    ]  # fmt: skip
    assert found[5005] == "failed: Chat not found"
    with Session(conv.engine) as s:
        assert contacts.get(s, "telegram", "5003").status == "blocked"  # known from now on
        assert broadcasts.get(s, bid).status == "completed"
    faults = [c.status for c in srv.calls if c.method == "sendMessage" and c.status >= 500]
    assert faults == [502, 502, 500]
    (report,) = srv.sent_messages(OFFICER)[1:] or srv.sent_messages(OFFICER)[-1:]
    assert "Báo cáo thông báo #1 (hoàn tất)" in report["text"]
    assert f"Telegram: đã gửi: {len(reachable) + 1}" in report["text"]  # the officer too
    assert "Telegram: lỗi (Chat not found): 1" in report["text"]
    assert "Telegram: bỏ qua (đã chặn bot): 3" in report["text"]


async def test_an_answer_to_a_person_goes_before_the_broadcast_backlog(srv, conv, clock):
    people(conv, clock, 6000, 100)
    start_broadcast(conv, clock)
    async with srv.make_bot() as bot:
        delivery = Delivery(
            conv.engine, conv, clock, {"telegram": telegram.TelegramSender(bot)}, batch=20,
            limits={"telegram": Limits(per_second=200, per_chat_per_second=1)},
        )  # fmt: skip
        assert await delivery.run_once() == {"sent": 20}  # the broadcast is under way
        ask_and_answer(conv, clock, "Có, Sở hỗ trợ một phần chi phí kiểm toán năng lượng.")
        await delivery.run_once()
        after = srv.sent_messages()[20]
        assert after["chat"]["id"] == PERSON  # first of the next pass, before 80 waiting
        assert "Sở hỗ trợ một phần" in after["text"]
        await delivery.drain()
    assert len(srv.sent_messages()) == 102  # 100 + the officer + the answer


# A 640x480 PNG as far as the server looks (the header): what an officer's phone sends.
PHOTO = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + (640).to_bytes(4) + (480).to_bytes(4) + bytes(9)
CAPTION = "📸 Hình ảnh hội thảo SXSH tại KCN Trà Nóc: mời doanh nghiệp xem và đăng ký."


async def test_a_photo_composed_in_chat_is_previewed_and_sent_once_by_its_file_id(srv, conv, clock):
    """The officer sends a photo with its caption at the compose step (the product's PTB
    Application polling the local Bot API server): the preview shows it, each recipient gets it
    once with the text, and every send names the officer's file_id (no upload of its own)."""
    everyone = people(conv, clock, 7000, 3)
    async with running(srv, conv, conv.settings):
        srv.user_sends("/broadcast", user_id=OFFICER, first_name="Cán bộ")
        (asked,) = await srv.wait_for("sendMessage", chat_id=OFFICER)
        assert "ảnh hoặc tệp" in asked.params["text"]
        srv.user_sends_photo(PHOTO, user_id=OFFICER, caption=CAPTION)
        (draft,) = await srv.wait_for("sendMessage", chat_id=OFFICER)
        assert "Đã lưu bản nháp #1" in draft.params["text"]
        (sent_photo,) = [m for m in srv.chat_history(OFFICER) if m.get("photo")]
        file_id = sent_photo["photo"][-1]["file_id"]
        srv.user_presses("bc:all:1", user_id=OFFICER)
        (preview,) = await srv.wait_for("sendPhoto", chat_id=OFFICER)
        assert preview.params["photo"] == file_id
        assert preview.params["caption"] == CAPTION
        (summary,) = await srv.wait_for(
            lambda c: "Bản nháp #1: 4 người nhận" in str(c.params.get("text")), chat_id=OFFICER
        )
        srv.user_presses("bc:send:1", user_id=OFFICER, message_id=summary.result["message_id"])
        await srv.wait_for(lambda c: "#1" in str(c.params.get("text")), chat_id=OFFICER)
        async with srv.make_bot() as bot:
            delivery = Delivery(
                conv.engine, conv, clock, {"telegram": telegram.TelegramSender(bot)}
            )
            assert await delivery.drain() == {"sent": 4}  # the three and the officer
    for uid in everyone:
        (got,) = srv.sent_messages(uid)
        assert got["caption"] == CAPTION and got["photo"]
    photos = [c for c in srv.calls if c.method == "sendPhoto"]
    assert len(photos) == 5  # the preview and four copies
    assert {c.params["photo"] for c in photos} == {file_id} and not any(c.files for c in photos)
    run_job(conv)
    assert set(states(conv).values()) == {"sent"}


async def test_a_document_without_caption_is_a_broadcast_of_its_own(srv, conv, clock):
    """A file alone (no caption) at the compose step is the whole broadcast, previewed by its
    file_id."""
    people(conv, clock, 7100, 2)
    async with running(srv, conv, conv.settings):
        srv.user_sends("/broadcast", user_id=OFFICER, first_name="Cán bộ")
        await srv.wait_for("sendMessage", chat_id=OFFICER)
        srv.user_sends_document(b"%PDF-1.4 ke hoach", "ke-hoach-SXSH-2027.pdf", user_id=OFFICER)
        (draft,) = await srv.wait_for("sendMessage", chat_id=OFFICER)
        assert "Đã lưu bản nháp #1" in draft.params["text"]
        (sent_doc,) = [m for m in srv.chat_history(OFFICER) if m.get("document")]
        srv.user_presses("bc:all:1", user_id=OFFICER)
        (preview,) = await srv.wait_for("sendDocument", chat_id=OFFICER)
        assert preview.params["document"] == sent_doc["document"]["file_id"]
        assert not preview.params.get("caption") and not preview.files
    with Session(conv.engine) as s:
        row = broadcasts.get(s, 1)
        assert (row.text, row.attachment_kind) == ("", "document")


async def test_a_photo_given_on_the_command_line_is_uploaded_once_for_everyone(
    srv, conv, clock, tmp_path
):
    """`sxsh-bot broadcast create --photo FILE`: the first copy uploads the bytes, every other
    copy names the file_id Telegram gave it (the copies go to several chats at once)."""
    photo = tmp_path / "hoi-thao.png"
    photo.write_bytes(PHOTO)
    everyone = people(conv, clock, 7200, 6)
    with session_scope(conv.engine) as s:
        row = broadcasts.create(s, CAPTION, {"all": True}, "cli:lan", clock.now(),
                                attachment=str(photo), attachment_kind="photo")  # fmt: skip
        service.confirm(s, row, "cli:lan", clock.now(), conv.settings)
    async with srv.make_bot() as bot:
        delivery = Delivery(conv.engine, conv, clock, {"telegram": telegram.TelegramSender(bot)})
        assert await delivery.drain() == {"sent": 6}
    for uid in everyone:
        (got,) = srv.sent_messages(uid)
        assert got["caption"] == CAPTION
    calls = [c for c in srv.calls if c.method == "sendPhoto"]
    uploads = [c for c in calls if c.files]
    assert len(calls) == 6 and len(uploads) == 1
    file_id = uploads[0].result["photo"][-1]["file_id"]
    assert [c.params["photo"] for c in calls if not c.files] == [file_id] * 5
