"""The Zalo OA channel's three tables (see runner.py): webhook events as Zalo sends them ->
Inbound; a neutral Reply -> the exact requests the local Zalo OA server receives; Zalo's error
codes (HTTP 200 with `error`) -> the neutral send errors."""

from __future__ import annotations

import hashlib
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.channels.errors import (
    Blocked,
    ChannelDown,
    Permanent,
    Retryable,
    Throttled,
    Unreachable,
)
from bot.channels.zalo_oa import signature, to_inbound
from bot.channels.zalo_oa.client import ZaloOAClient
from bot.channels.zalo_oa.limits import TAP
from bot.channels.zalo_oa.sender import ZaloOASender
from bot.channels.zalo_oa.tokens import TokenKeeper
from handlers.clock import FrozenClock
from handlers.messages import Attachment, Button, Inbound, Reply
from storage import contacts, migrate
from storage import zalo_oa as store
from storage.db import make_engine, session_scope
from tests.channels.runner import (
    ErrorRow,
    InRow,
    OutRow,
    Request,
    raised,
    table_tests,
)
from tests.support.zalo_oa_server import APP_ID, APP_SECRET, FakeZaloOA

# -- the signature (CHANNELS.md check vector) -------------------------------------------------
VECTOR_BODY = (
    b'{"app_id":"1234567890","sender":{"id":"u1"},"recipient":{"id":"oa1"},'
    b'"event_name":"user_send_text","message":{"msg_id":"m1","text":"hi"},'
    b'"timestamp":"1677721200000"}'
)
VECTOR_MAC = "mac=77366a515bcaa9c8310a37ee2c24b9b7dcb59a268ab38fbe9b134d1b672fd1af"


def test_signature_passes_the_check_vector_with_the_timestamp_from_the_body():
    assert signature.header("1234567890", VECTOR_BODY, "1677721200000", "OA_SECRET") == VECTOR_MAC
    assert signature.verify(VECTOR_BODY, VECTOR_MAC, "1234567890", "OA_SECRET")


def test_signature_takes_the_timestamp_from_the_header_when_the_body_has_none():
    body = VECTOR_BODY.replace(b',"timestamp":"1677721200000"', b"")
    digest = hashlib.sha256(b"1234567890" + body + b"1677721200000" + b"OA_SECRET").hexdigest()
    assert signature.verify(body, f"mac={digest}", "1234567890", "OA_SECRET", "1677721200000")
    assert not signature.verify(body, f"mac={digest}", "1234567890", "OA_SECRET")


@pytest.mark.parametrize("at", [0, 40, len(VECTOR_BODY) - 2])
def test_signature_rejects_a_body_changed_by_one_byte(at):
    changed = bytearray(VECTOR_BODY)
    changed[at] ^= 0x01
    assert not signature.verify(bytes(changed), VECTOR_MAC, "1234567890", "OA_SECRET")


@pytest.mark.parametrize(
    "sig, app, secret",
    [(None, "1234567890", "OA_SECRET"), ("", "1234567890", "OA_SECRET"),
     (VECTOR_MAC, "999", "OA_SECRET"), (VECTOR_MAC, "1234567890", "APP_SECRET"),
     (VECTOR_MAC[:-1] + "0", "1234567890", "OA_SECRET")],
)  # fmt: skip
def test_signature_refuses_missing_wrong_or_foreign(sig, app, secret):
    assert not signature.verify(VECTOR_BODY, sig, app, secret)


# -- IN ---------------------------------------------------------------------------------------
TS = "1764500000000"


def ev(name: str, **fields: Any) -> dict:
    base = {"app_id": APP_ID, "user_id_by_app": "app_u1", "event_name": name, "timestamp": TS,
            "sender": {"id": "2512523625412515"},
            "recipient": {"id": "579745863508352884"}}  # fmt: skip
    return {**base, **fields}


def said(text: str | None = None, msg_id: str = "m10", **fields: Any) -> Inbound:
    return Inbound(
        channel="zalo_oa", user_id="2512523625412515", text=text, message_id=msg_id, **fields
    )


IMAGE = {"msg_id": "m10", "attachments": [{"type": "image", "payload": {
    "thumbnail": "https://photo.example/t.jpg",
    "url": "https://photo.example/i.jpg"}}]}  # fmt: skip
FOLLOW_KEY = to_inbound(ev("follow", follower={"id": "2512523625412515"})).message_id

IN = [
    InRow("text", ev("user_send_text", message={"msg_id": "m10", "text": "SXSH là gì?"}),
          said("SXSH là gì?")),
    InRow("a button tap arrives as text with the payload",
          ev("user_send_text", message={"msg_id": "m10", "text": TAP + "m:assess"}),
          said(payload="m:assess", kind="button")),
    InRow("a typed payload-looking text stays text",
          ev("user_send_text", message={"msg_id": "m10", "text": "m:assess"}), said("m:assess")),
    InRow("image without caption: not understood",
          ev("user_send_image", message=IMAGE), said(kind="unsupported")),
    InRow("image with caption: the caption is the text",
          ev("user_send_image", message={**IMAGE, "text": "Lò hơi này có tiết kiệm không?"}),
          said("Lò hơi này có tiết kiệm không?")),
    InRow("file", ev("user_send_file", message={"msg_id": "m10", "attachments": [
          {"type": "file", "payload": {"url": "https://f.example/a.pdf", "name": "a.pdf"}}]}),
          said(kind="unsupported")),
    InRow("sticker", ev("user_send_sticker", message={"msg_id": "m10", "attachments": [
          {"type": "sticker", "payload": {"id": "bfe7b4a5", "url": "https://s.example/1"}}]}),
          said(kind="unsupported")),
    InRow("location", ev("user_send_location", message={"msg_id": "m10", "attachments": [
          {"type": "location", "payload": {"coordinates": {"latitude": "10.03",
                                                           "longitude": "105.78"}}}]}),
          said(kind="unsupported")),
    InRow("follow: the contact is back",
          {"app_id": APP_ID, "oa_id": "579745863508352884", "event_name": "follow",
           "follower": {"id": "2512523625412515"}, "source": "oa_profile", "timestamp": TS},
          Inbound(channel="zalo_oa", user_id="2512523625412515", kind="unblocked",
                  message_id=FOLLOW_KEY)),
    InRow("unfollow: the contact is gone",
          {"app_id": APP_ID, "oa_id": "579745863508352884", "event_name": "unfollow",
           "follower": {"id": "2512523625412515"}, "timestamp": TS},
          Inbound(channel="zalo_oa", user_id="2512523625412515", kind="blocked",
                  message_id=to_inbound(ev("unfollow", follower={"id": "2512523625412515"}))
                  .message_id)),
    InRow("user_withdraw: the same deletion as /deletedata",
          ev("user_withdraw"),
          said(payload="pv:withdraw", kind="button",
               msg_id=to_inbound(ev("user_withdraw")).message_id)),
    InRow("anonymous text", ev("anonymous_send_text", message={
          "msg_id": "m10", "text": "Cho hỏi về hội thảo", "conversation_id": "c77"}),
          Inbound(channel="zalo_oa", user_id="anon:2512523625412515",
                  text="Cho hỏi về hội thảo", message_id="m10")),
    InRow("oa_send_text echo: not a message to the bot",
          ev("oa_send_text", sender={"id": "579745863508352884", "admin_id": "a1"},
             recipient={"id": "2512523625412515"}, message={"msg_id": "m11", "text": "Chào"}),
          None),
    InRow("user_received_message", ev("user_received_message", message={"msg_id": "m9"}), None),
    InRow("user_seen_message", ev("user_seen_message", message={"msg_ids": ["m8", "m9"]}), None),
    InRow("unknown event", ev("user_sends_hologram", message={"msg_id": "m12"}), None),
    InRow("no sender", {"app_id": APP_ID, "event_name": "user_send_text", "timestamp": TS,
                        "message": {"msg_id": "m13", "text": "?"}}, None),
]  # fmt: skip


def test_follow_keys_differ_by_time_and_person():
    a = to_inbound(ev("follow", follower={"id": "1"}))
    b = to_inbound(ev("follow", follower={"id": "1"}, timestamp="1764500000001"))
    c = to_inbound(ev("follow", follower={"id": "2"}))
    assert len({a.message_id, b.message_id, c.message_id}) == 3


# -- OUT --------------------------------------------------------------------------------------
CS = "/v3.0/oa/message/cs"
REPLY_TO = {"message_id": "m1"}
MENU = [Button("❓ Hỏi đáp SXSH", "m:qa"), Button("📋 Đánh giá nhanh", "m:assess"),
        Button("☰ Menu chính", "m:main")]  # fmt: skip
SEVEN = [Button(f"Lựa chọn {i}", f"as:c:{i}") for i in range(1, 8)]
PARAGRAPHS = [f"Đoạn {i}. " + "x" * 900 for i in range(5)]
PNG = Attachment("bieu-do.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "image/png", is_image=True)
PDF = Attachment("bao-cao.pdf", b"%PDF-1.4 report", "application/pdf")
LONG_TITLE = "Tôi đồng ý cung cấp thông tin " + "rất dài " * 12
# Cut after the last whole word within 99 characters, never mid-word
LONG_TITLE_CUT = "Tôi đồng ý cung cấp thông tin " + "rất dài " * 8 + "rất…"
OVER_PAYLOAD = "as:c:" + "q" * 1000


def cs(message: dict, recipient: dict = REPLY_TO) -> Request:
    return Request(CS, {"recipient": recipient, "message": message})


def template(text: str, buttons: list[tuple[str, str]]) -> dict:
    return {"attachment": {"type": "template", "payload": {
        "template_type": "button", "text": text,
        "buttons": [{"type": "oa.query.hide", "title": t, "payload": TAP + p}
                    for t, p in buttons]}}}  # fmt: skip


OUT = [
    OutRow("text in the reply form", [Reply(text="Xin chào!")], [cs({"text": "Xin chào!"})]),
    OutRow("up to 5 buttons: a button template whose taps come back as the payload",
           [Reply(text="Anh/chị muốn làm gì?", buttons=MENU)],
           [cs(template("Anh/chị muốn làm gì?", [(b.label, b.payload) for b in MENU]))]),
    OutRow("more than 5 choices: numbered text",
           [Reply(text="Ngành nghề?", buttons=SEVEN)],
           [cs({"text": "Ngành nghề?\n\n"
                 + "\n".join(f"{i}. Lựa chọn {i}" for i in range(1, 8))})]),
    OutRow("long text cut on paragraphs at 2000, the buttons on the last part",
           [Reply(text="\n\n".join(PARAGRAPHS), buttons=MENU[2:])],
           [cs({"text": "\n\n".join(PARAGRAPHS[0:2])}), cs({"text": "\n\n".join(PARAGRAPHS[2:4])}),
            cs(template(PARAGRAPHS[4], [("☰ Menu chính", "m:main")]))]),
    OutRow("a title over 100 characters is shortened, the payload kept",
           [Reply(text="Đồng ý?", buttons=[Button(LONG_TITLE, "as:consent:yes")])],
           [cs(template("Đồng ý?", [(LONG_TITLE_CUT, "as:consent:yes")]))]),
    OutRow("a payload over the limit is left out, the rest is sent",
           [Reply(text="Câu 1/20",
                  buttons=[Button("Có", OVER_PAYLOAD), Button("Quay lại", "as:back")])],
           [cs(template("Câu 1/20", [("Quay lại", "as:back")]))]),
    OutRow("image: uploaded, sent by attachment_id, its text after it",
           [Reply(text="Biểu đồ", attachment=PNG)],
           [Request("/v2.0/oa/upload/image", {}, {"file": ("bieu-do.png", PNG.data)}),
            cs({"attachment": {"type": "template", "payload": {"template_type": "media",
                "elements": [{"media_type": "image", "attachment_id": "img1"}]}}}),
            cs({"text": "Biểu đồ"})]),
    OutRow("file: uploaded, sent by its token",
           [Reply(text="Báo cáo tháng 11", attachment=PDF)],
           [Request("/v2.0/oa/upload/file", {}, {"file": ("bao-cao.pdf", PDF.data)}),
            cs({"attachment": {"type": "file", "payload": {"token": "file1"}}}),
            cs({"text": "Báo cáo tháng 11"})]),
    OutRow("nine messages: eight free replies, then the proactive form",
           [Reply(text=f"Tin {i}") for i in range(1, 10)],
           [*(cs({"text": f"Tin {i}"}) for i in range(1, 9)),
            cs({"text": "Tin 9"}, {"user_id": "u1"})]),
]  # fmt: skip


class ZaloOAUnderTest:
    def __init__(self, srv: FakeZaloOA | None, sender: ZaloOASender | None):
        self.srv, self.sender = srv, sender

    def inbound(self, raw: dict) -> Inbound | None:
        return to_inbound(raw)

    async def send(self, replies: list[Reply]) -> list[Request]:
        mark = len(self.srv.calls)
        await self.sender.send("u1", replies)
        return [Request(c.path, c.params, c.files) for c in self.srv.calls[mark:]]

    async def refuse(self, response: dict, reply: Reply) -> BaseException | None:
        self.srv.fail(response["error"], response.get("times", 1))
        return await raised(self.sender.send("u1", [reply]))


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """One migrated database file per module; each test gets a copy (migrating takes ~1 s)."""
    path = tmp_path_factory.mktemp("zalo") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
async def zalo(tmp_path, migrated):
    clock = FrozenClock()
    shutil.copy(migrated, tmp_path / "zalo.db")
    engine = make_engine(f"sqlite:///{tmp_path / 'zalo.db'}")
    async with FakeZaloOA(clock) as srv, httpx.AsyncClient(timeout=5) as http:
        access, refresh = srv.issue_pair()
        srv.event("user_send_text", "u1", text="Xin chào", msg_id="m1")
        with session_scope(engine) as session:
            now = clock.now()
            store.store_pair(session, access, refresh, now + timedelta(hours=25), now)
            contact, _ = contacts.touch(session, "zalo_oa", "u1", now)
            store.record_inbound(session, contact.id, "m1", now)
        keeper = TokenKeeper(engine, clock, app_id=APP_ID, app_secret=APP_SECRET, oauth_url=srv.url)
        sender = ZaloOASender(ZaloOAClient(srv.url, keeper, http), engine, clock)
        yield ZaloOAUnderTest(srv, sender), clock, engine
    engine.dispose()


@pytest.fixture
async def channel(zalo):
    return zalo[0]


# -- ERROR ------------------------------------------------------------------------------------
ERRORS = [
    ErrorRow("-230 no interaction in 7 days", {"error": -230}, Unreachable),
    ErrorRow("-232 no or expired interaction", {"error": -232}, Unreachable),
    ErrorRow("-213 not a follower", {"error": -213}, Unreachable),
    ErrorRow("-227 banned or inactive: stop the contact", {"error": -227}, Blocked),
    ErrorRow("-244 restricted this message type", {"error": -244}, Unreachable),
    ErrorRow("-32 rate limited: back off a minute", {"error": -32}, Throttled,
             {"retry_after": 60.0}),
    *(ErrorRow(f"{code} channel-level: stop the lane", {"error": code}, ChannelDown)
      for code in (-211, -218, -221, -223, -224)),
    ErrorRow("-216 again after a refresh: the channel is down", {"error": -216, "times": 2},
             ChannelDown),
    *(ErrorRow(f"{code} failed, code kept", {"error": code}, Permanent)
      for code in (-201, -210, -233, -234, -240, -248)),
    ErrorRow("HTTP 502", {"error": 502}, Retryable),
]  # fmt: skip


test_in, test_out, test_error = table_tests(
    IN, OUT, ERRORS, offline=lambda: ZaloOAUnderTest(None, None)
)


async def test_permanent_errors_keep_the_code(channel):
    raised = await channel.refuse({"error": -248}, Reply(text="x"))
    assert "-248" in raised.reason


async def test_a_token_zalo_calls_expired_is_refreshed_once_and_the_message_sent(zalo):
    channel, clock, engine = zalo
    channel.srv.expire_access_tokens()
    channel.srv.clock.advance(seconds=0)  # the stored expiry is still in the future for us
    assert await channel.send([Reply(text="Nhắc lịch")]) == [
        Request(CS, {"recipient": REPLY_TO, "message": {"text": "Nhắc lịch"}, "_error": -220}),
        cs({"text": "Nhắc lịch"}),
    ]
    assert channel.srv.refreshes == 1


async def test_after_48_hours_the_proactive_form(zalo):
    channel, clock, _ = zalo
    clock.advance(hours=49)
    assert await channel.send([Reply(text="Nhắc lịch")]) == [
        cs({"text": "Nhắc lịch"}, {"user_id": "u1"})
    ]
    assert channel.srv.proactive == 1


async def test_past_7_days_not_reachable_and_zalo_is_not_called(zalo):
    channel, clock, _ = zalo
    clock.advance(days=7, minutes=1)
    mark = len(channel.srv.calls)
    with pytest.raises(Unreachable, match="7 days"):
        await channel.sender.send("u1", [Reply(text="Nhắc lịch")])
    assert channel.srv.calls[mark:] == []
    assert channel.sender.counts == {"not_reachable": 1}


async def test_a_person_who_never_wrote_is_not_reachable(zalo):
    channel, _, _ = zalo
    with pytest.raises(Unreachable):
        await channel.sender.send("u2", [Reply(text="Chào")])


async def test_an_expired_upload_is_uploaded_again(zalo):
    channel, _, _ = zalo
    channel.srv.fail(-100, path=CS)
    requests = await channel.send([Reply(attachment=PDF)])
    assert [r.method for r in requests] == ["/v2.0/oa/upload/file", CS, "/v2.0/oa/upload/file", CS]
    assert requests[-1].params["message"]["attachment"]["payload"] == {"token": "file2"}


async def test_numbered_choices_are_remembered_for_typing_the_number(zalo):
    channel, _, engine = zalo
    await channel.send([Reply(text="Ngành nghề?", buttons=SEVEN)])
    with session_scope(engine) as session:
        contact_id, _ = store.window(session, "zalo_oa", "u1")
        assert store.choices(session, contact_id) == [b.payload for b in SEVEN]
    await channel.send([Reply(text="Menu", buttons=MENU)])  # buttons again: numbers forgotten
    with session_scope(engine) as session:
        assert store.choices(session, contact_id) == []


def test_a_number_question_with_many_buttons_lists_labels_without_numbers():
    """A typed "2" under a number question is the answer: no numbered choices to press."""
    from bot.channels.zalo_oa.render import Numbered, messages

    many = [Button(f"Nút {i}", f"m:{i}") for i in range(1, 8)]
    [part] = messages([Reply(text="Bao nhiêu lao động?", buttons=many, expects_number=True)])
    assert isinstance(part, Numbered) and part.buttons == []  # the stored choices are forgotten
    assert "• Nút 2" in part.text and "2. Nút 2" not in part.text
    [numbered] = messages([Reply(text="Chọn:", buttons=many)])
    assert "2. Nút 2" in numbered.text and len(numbered.buttons) == 7
