"""Broadcasts (issue 11): composing in chat, the audience and its exclusions, the one start,
pause / resume / cancel, and what a crash leaves (unknown, never re-sent unless asked)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.app import build_conversation
from handlers.broadcasts import service
from storage import broadcasts, contacts, outbox
from storage.broadcasts_models import Broadcast, BroadcastRecipient
from storage.db import session_scope
from storage.models import ContactStatus, Enterprise, Outbox, OutboxStatus, Response
from storage.tickets_models import AuditEntry
from storage.zalo_oa_models import ZaloOAContact
from tests.chat import Person, rows
from tests.conftest import make_settings


def people(conv, clock, n: int, channel: str = "console", prefix: str = "p", **company) -> list:
    """`n` contacts; with `company`, each linked to its own enterprise with those fields."""
    ids = []
    with session_scope(conv.engine) as s:
        for i in range(n):
            c, _ = contacts.touch(s, channel, f"{prefix}{i}", clock.now())
            if company:
                e = Enterprise(name=f"Công ty {prefix.upper()}{i}", created_at=clock.now(),
                               updated_at=clock.now(), **company)  # fmt: skip
                s.add(e)
                s.flush()
                c.enterprise_id = e.id
            s.add(c)
            s.flush()
            ids.append(c.id)
    return ids


def run_job(conv, clock) -> None:
    """The capability's job, as the scheduler runs it."""
    (job,) = [j for j in conv.maintenance_jobs() if j.__name__ == "broadcasts"]
    job()


def set_status(conv, platform_id: str, status: ContactStatus, channel: str = "console") -> None:
    with session_scope(conv.engine) as s:
        contacts.set_status(s, contacts.get(s, channel, platform_id), status)


def recipients(conv, broadcast_id: int = 1) -> dict[str, str]:
    """platform id -> "state" or "state: reason"."""
    with Session(conv.engine) as s:
        pairs = s.exec(
            select(BroadcastRecipient, contacts.Contact).join(
                contacts.Contact, contacts.Contact.id == BroadcastRecipient.contact_id
            )
        ).all()
        return {
            c.platform_id: r.state + (f": {r.reason}" if r.reason else "")
            for r, c in pairs
            if r.broadcast_id == broadcast_id
        }


def test_an_officer_composes_previews_and_sends_in_chat(conversation, clock):
    people(conversation, clock, 3, sector="seafood", industrial_park="tra_noc_1")
    people(conversation, clock, 2, prefix="r", sector="rice_food")
    set_status(conversation, "p2", ContactStatus.stopped)
    officer = Person(conversation, user_id="officer")
    officer.says("/broadcast")
    assert "Gõ nội dung thông báo" in officer.text
    officer.says("Mời doanh nghiệp dự hội thảo SXSH ngày 5/12 tại KCN Trà Nóc.")
    assert "Gửi cho ai?" in officer.text
    officer.says("sector=seafood park=khong_co_dau=")
    assert "Không hiểu bộ lọc" in officer.text  # bad input: said, and nothing changes
    officer.says('sector=seafood park="Trà Nóc"')  # a park's name, not its id: names nothing
    assert officer.text.startswith("Không có park=Trà Nóc, bản nháp chưa đổi.")
    assert "tra_noc_1, tra_noc_2" in officer.text
    officer.says("sector=seafood park=tra_noc_1")
    assert officer.last[1].text == "Mời doanh nghiệp dự hội thảo SXSH ngày 5/12 tại KCN Trà Nóc."
    preview = officer.last[2].text
    assert "2 người nhận" in preview
    assert "• Terminal: 2" in preview
    assert "Không gửi (đã tắt nhận tin): 1" in preview
    assert "Công ty P0, Công ty P1" in preview
    assert "Thời gian gửi ước tính" in preview
    assert rows(conversation, BroadcastRecipient) == []  # nothing fixed before confirming
    officer.presses("✅ Gửi ngay")
    assert "Đang gửi thông báo #1 tới 2 người" in officer.text
    assert recipients(conversation) == {"p0": "pending", "p1": "pending", "p2": "skipped: stopped"}
    keys = sorted(r.key for r in rows(conversation, Outbox, Outbox.kind == "broadcast"))
    assert keys == ["broadcast:1:1:0", "broadcast:1:2:0"]
    actions = [a.action for a in rows(conversation, AuditEntry)]
    assert actions == ["broadcast.create", "broadcast.send"]
    officer.press_payload("bc:send:1")  # a second press of the old button
    assert officer.text == "Bản nháp này không còn (đã gửi hoặc đã hủy)."
    assert len(rows(conversation, Outbox, Outbox.kind == "broadcast")) == 2


def test_an_officer_follows_pauses_and_resumes_in_chat(conversation, clock):
    people(conversation, clock, 2)
    officer = Person(conversation, user_id="officer")
    officer.says("/broadcast Mời dự tập huấn kiểm toán năng lượng")
    officer.presses("👥 Tất cả")
    officer.presses("✅ Gửi ngay")
    assert officer.buttons == ["📊 Tiến độ", "⏸ Tạm dừng", "✖ Hủy"]
    with session_scope(conversation.engine) as s:
        first = outbox.claim_due(s, clock.now(), limit=1, kinds=["broadcast"])[0]
        outbox.mark(s, first.id, OutboxStatus.sent, clock.now())
    officer.presses("📊 Tiến độ")
    assert officer.text.startswith("📣 #1 · đang gửi: 1/3 xong, 1 đã gửi")
    officer.presses("⏸ Tạm dừng")
    assert officer.text.startswith("⏸ Đã tạm dừng thông báo #1")
    officer.says("/broadcast status 1")
    assert "#1 · tạm dừng: 1/3 xong" in officer.text
    officer.says("/broadcast resume 1")
    assert officer.text == "▶️ Tiếp tục gửi thông báo #1 (2 người còn lại)."
    officer.says("/broadcast status 7")
    assert officer.text == "Không có thông báo #7."
    stranger = Person(conversation, user_id="stranger")
    for payload in ("bc:status:1", "bc:pause:1", "bc:resume:1"):
        stranger.press_payload(payload)
        assert "Nút này không còn dùng được" in stranger.text, payload
    assert rows(conversation, Broadcast)[0].status == "sending"


def test_night_hours_and_an_identical_running_broadcast_ask_again(conversation, clock):
    people(conversation, clock, 2)
    officer = Person(conversation, user_id="officer")
    officer.says("/broadcast Lịch tập huấn tháng 12")
    officer.presses("👥 Tất cả")
    officer.presses("✅ Gửi ngay")
    assert "Đang gửi thông báo #1" in officer.text
    clock.advance(hours=13)  # 22:00 in Cần Thơ
    officer.says("/broadcast Lịch tập huấn tháng 12")
    officer.presses("👥 Tất cả")
    officer.presses("✅ Gửi ngay")
    assert "#1 có cùng nội dung" in officer.text
    assert [r.status for r in rows(conversation, Broadcast)] == ["sending", "draft"]
    officer.presses("⚠️ Vẫn gửi")
    assert "giờ nghỉ (21:00–07:00)" in officer.text  # and the night asks once more
    assert [r.status for r in rows(conversation, Broadcast)] == ["sending", "draft"]
    officer.presses("⚠️ Vẫn gửi")
    assert "Đang gửi thông báo #2" in officer.text


def test_a_non_officer_cannot_broadcast_by_command_flow_or_button(conversation, clock):
    people(conversation, clock, 2)
    officer = Person(conversation, user_id="officer")
    officer.says("/broadcast Tin thử")
    stranger = Person(conversation, user_id="stranger")
    for payload in ("bc:all:1", "bc:send:1", "bc:nighttwin:1", "bc:cancel:1", "bc:sched:1"):
        stranger.press_payload(payload)
        assert "Nút này không còn dùng được" in stranger.text, payload
    stranger.says("/broadcast status")
    assert stranger.text == "Bot chưa hiểu lệnh /broadcast. Gõ /help để xem các lệnh."
    assert [(r.status, r.audience) for r in rows(conversation, Broadcast)] == [
        ("draft", '{"all": true}')
    ]
    assert rows(conversation, Outbox, Outbox.kind == "broadcast") == []


def test_audience_filters_and_exclusions(conversation, clock):
    ids = people(conversation, clock, 4, sector="co_khi", ward="Phường Ninh Kiều")
    people(conversation, clock, 1, channel="telegram", prefix="9", sector="co_khi")
    with session_scope(conversation.engine) as s:
        c = contacts.get(s, "console", "p1")
        contacts.record_consent(s, c, broadcasts.CONSENT_PURPOSE, "v1", True, clock.now())
        for cid in ids[:2]:
            s.add(
                Response(
                    contact_id=cid, questionnaire_id="quick", questionnaire_version="1",
                    status="completed", started_at=clock.now(), updated_at=clock.now(),
                    completed_at=clock.now(), result=json.dumps({"level": "high"}),
                )
            )  # fmt: skip
    set_status(conversation, "p3", ContactStatus.blocked)

    def who(spec: dict) -> tuple[list[str], dict[str, int]]:
        with Session(conversation.engine) as s:
            found = broadcasts.resolve(s, broadcasts.parse_audience(spec))
            return [c.platform_id for c in found.included], dict(found.excluded_per_reason())

    assert who({"sector": "co_khi"}) == (["p0", "p1", "p2", "90"], {"blocked": 1})
    assert who({"ward": "phường ninh kiều", "channel": "console"}) == (
        ["p0", "p1", "p2"],
        {"blocked": 1},
    )
    assert who({"level": "high"}) == (["p1"], {"no_consent": 1})  # p0 never agreed
    assert who({"language": "en"}) == ([], {})
    for bad in ({}, {"sector": ""}, {"colour": "x"}, {"all": True, "sector": "x"}):
        with pytest.raises(broadcasts.AudienceError):
            broadcasts.parse_audience(bad)


def test_zalo_people_outside_the_window_are_left_out_with_the_reason(conversation, clock):
    people(conversation, clock, 1, channel="telegram", prefix="1")
    zalo = people(conversation, clock, 3, channel="zalo_oa", prefix="z")
    with session_scope(conversation.engine) as s:
        for cid, days in zip(zalo, (1, 6, 8), strict=True):
            s.add(ZaloOAContact(contact_id=cid, last_inbound_at=clock.now() - timedelta(days=days)))
    officer = Person(conversation, user_id="officer")
    officer.says("/broadcast Tin cho mọi kênh")
    officer.presses("👥 Tất cả")
    preview = officer.last[2].text
    assert "• Zalo OA: 2" in preview and "• Telegram: 1" in preview
    assert "Không gửi (quá 7 ngày không nhắn với OA (Zalo)): 1" in preview
    officer.presses("✅ Gửi ngay")
    assert recipients(conversation)["z2"] == "skipped: outside_window"


def _started(conv, clock, n: int = 3) -> int:
    people(conv, clock, n)
    with session_scope(conv.engine) as s:
        row = broadcasts.create(s, "Tin SXSH", {"all": True}, "cli:lan", clock.now())
        service.confirm(s, row, "cli:lan", clock.now(), conv.settings)
        return row.id


def test_pause_holds_the_rest_and_resume_sends_each_once(conversation, clock):
    bid = _started(conversation, clock)
    with session_scope(conversation.engine) as s:
        claimed = outbox.claim_due(s, clock.now(), limit=1, kinds=["broadcast"])
        outbox.mark(s, claimed[0].id, OutboxStatus.sent, clock.now())
        assert service.act(s, bid, "pause", "cli:lan", clock.now())
    with session_scope(conversation.engine) as s:
        assert outbox.claim_due(s, clock.now(), kinds=["broadcast"]) == []  # held
        broadcasts.sync(s, bid, clock.now())
    assert recipients(conversation) == {"p0": "sent", "p1": "pending", "p2": "pending"}
    with session_scope(conversation.engine) as s:
        assert service.act(s, bid, "resume", "cli:lan", clock.now()) == 2
        again = outbox.claim_due(s, clock.now(), kinds=["broadcast"])
    assert sorted(r.key for r in again) == ["broadcast:1:2:1", "broadcast:1:3:1"]
    with session_scope(conversation.engine) as s:
        assert service.act(s, bid, "cancel", "cli:lan", clock.now())
        assert not service.act(s, bid, "resume", "cli:lan", clock.now())
    actions = [a.action for a in rows(conversation, AuditEntry)]
    assert actions == ["broadcast.send", "broadcast.pause", "broadcast.resume", "broadcast.cancel"]


def test_after_a_crash_the_copy_in_flight_is_unknown_and_resent_only_when_asked(
    conversation, clock
):
    bid = _started(conversation, clock, n=4)
    with session_scope(conversation.engine) as s:
        first, second, third, fourth = outbox.claim_due(s, clock.now(), kinds=["broadcast"])
        outbox.mark(s, first.id, OutboxStatus.sent, clock.now())
        outbox.mark(s, second.id, OutboxStatus.pending, clock.now(), retry_at=clock.now())
        outbox.mark_started(s, [third.id], clock.now())
    # The worker died sending the third copy, the fourth claimed but not started yet; ten
    # minutes later another worker runs.
    clock.advance(minutes=11)
    run_job(conversation, clock)
    with session_scope(conversation.engine) as s:
        outbox.release_stale(s, clock.now(), unknown_kinds=["broadcast"])
        due = outbox.claim_due(s, clock.now(), kinds=["broadcast"])
        # Never the unknown one; the one never started is delivered.
        assert [r.key for r in due] == ["broadcast:1:2:0", "broadcast:1:4:0"]
        for row in due:
            outbox.mark(s, row.id, OutboxStatus.sent, clock.now())
    run_job(conversation, clock)
    assert recipients(conversation) == {
        "p0": "sent",
        "p1": "sent",
        "p2": "unknown: interrupted",
        "p3": "sent",
    }
    with Session(conversation.engine) as s:
        row = broadcasts.get(s, bid)
        assert row.status == "completed"
        assert broadcasts.counts(s, bid)[("console", "unknown", "interrupted")] == 1
    with session_scope(conversation.engine) as s:
        assert service.act(s, bid, "resend", "cli:lan", clock.now()) == 1
        again = outbox.claim_due(s, clock.now(), kinds=["broadcast"])
    assert [r.key for r in again] == ["broadcast:1:3:1"]
    assert broadcasts.get(Session(conversation.engine), bid).status == "sending"


def test_two_workers_starting_the_same_broadcast_start_it_once(pg_url, clock):
    settings = make_settings(pg_url)
    conv = build_conversation(settings, clock=clock)
    try:
        people(conv, clock, 30)
        with session_scope(conv.engine) as s:
            row = broadcasts.create(s, "Tin chung", {"all": True}, "cli:lan", clock.now())
            later = clock.now() + timedelta(minutes=5)
            service.confirm(s, row, "cli:lan", clock.now(), settings, at=later)
            bid = row.id
        clock.advance(minutes=6)
        results: list[int | None] = []
        barrier = threading.Barrier(2)

        def worker() -> None:
            barrier.wait()
            with session_scope(conv.engine) as s:
                results.append(broadcasts.start(s, bid, clock.now()))

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results, key=str) == [30, None]
        assert len(rows(conv, BroadcastRecipient)) == 30
        assert len(rows(conv, Outbox, Outbox.kind == "broadcast")) == 30
    finally:
        conv.engine.dispose()


def test_a_scheduled_broadcast_starts_at_its_time_and_reports_to_the_officer(conversation, clock):
    people(conversation, clock, 2)
    officer = Person(conversation, user_id="officer")
    officer.says("/broadcast Hạn nộp hồ sơ hỗ trợ SXSH: 15/12")
    officer.presses("👥 Tất cả")
    officer.presses("🕒 Lên lịch")
    officer.says("31/02/2026 08:00")
    assert "Không đọc được thời điểm" in officer.text
    officer.says("28/11/2026 10h30")  # 03:30 UTC, an hour and a half from now; as in /newevent
    assert "sẽ gửi lúc" in officer.text
    run_job(conversation, clock)
    assert rows(conversation, BroadcastRecipient) == []
    clock.advance(hours=2)
    run_job(conversation, clock)
    with session_scope(conversation.engine) as s:
        for row in outbox.claim_due(s, clock.now(), kinds=["broadcast"]):
            outbox.mark(s, row.id, OutboxStatus.sent, clock.now())
    run_job(conversation, clock)
    # "Everyone" includes the officer, who sees it as people do.
    assert recipients(conversation) == {"p0": "sent", "p1": "sent", "officer": "sent"}
    (report,) = rows(conversation, Outbox, Outbox.kind == "broadcast_report")
    with Session(conversation.engine) as s:
        officer_contact = contacts.get(s, "console", "officer")
        replies = service_render(s, conversation, officer_contact, report)
    text = replies[0].text
    assert "Báo cáo thông báo #1 (hoàn tất)" in text
    assert "Soạn: console:officer lúc 28/11/2026 09:00" in text
    assert "• Terminal: đã gửi: 3" in text


def service_render(session, conv, contact, row):  # noqa: ANN001, ANN201
    from handlers.registry import REGISTRY

    return REGISTRY.render(session, conv.content, contact, row.kind, outbox.payload_of(row),
                           datetime.now(UTC))  # fmt: skip


def _send_some(conv, clock, n: int) -> None:
    """The lanes deliver `n` more copies (claimed and marked sent)."""
    with session_scope(conv.engine) as s:
        for row in outbox.claim_due(s, clock.now(), limit=n, kinds=["broadcast"]):
            outbox.mark(s, row.id, OutboxStatus.sent, clock.now())


def _pushed(conv) -> list[str]:
    """The progress lines queued for the officer, rendered as they would go now."""
    with Session(conv.engine) as s:
        officer = contacts.get(s, "console", "officer")
        found = rows(conv, Outbox, Outbox.kind == service.PROGRESS)
        return [service_render(s, conv, officer, r)[0].text for r in found]


def test_the_officer_is_told_the_progress_at_each_quarter_and_a_small_one_only_its_report(
    conversation, clock
):
    people(conversation, clock, 11)  # with the officer: 12 recipients
    officer = Person(conversation, user_id="officer")
    officer.says("/broadcast Hội thảo SXSH ngày 05/12")
    officer.presses("👥 Tất cả")
    officer.presses("✅ Gửi ngay")
    _send_some(conversation, clock, 4)
    run_job(conversation, clock)
    assert _pushed(conversation) == []  # a third done, but less than a minute in
    clock.advance(minutes=2)
    run_job(conversation, clock)
    (line,) = _pushed(conversation)
    assert "📣 #1" in line and "4/12 xong" in line and "còn khoảng" in line
    run_job(conversation, clock)  # the same quarter is told once
    assert len(_pushed(conversation)) == 1
    _send_some(conversation, clock, 6)  # 10/12: past the half and three quarters at once
    run_job(conversation, clock)
    assert [("10/12 xong" in t) for t in _pushed(conversation)] == [True, True]
    _send_some(conversation, clock, 2)
    run_job(conversation, clock)
    assert len(rows(conversation, Outbox, Outbox.kind == "broadcast_report")) == 1
    # Another one done within its first minute: no progress, only the final report.
    officer.says("/broadcast Nhắc hạn nộp hồ sơ 15/12")
    officer.presses("👥 Tất cả")
    officer.presses("✅ Gửi ngay")
    _send_some(conversation, clock, 12)
    run_job(conversation, clock)
    keys = [r.key for r in rows(conversation, Outbox, Outbox.kind.startswith("broadcast_"))]
    assert sorted(k.rsplit(":", 1)[0] for k in keys if "progress" in k) == [
        "broadcast_progress:1",
        "broadcast_progress:1",
    ]
    assert len([k for k in keys if k.startswith("broadcast_report:2:")]) == 1
