"""A likely question is searched before the turn's transaction (handlers/qa_prepared.py): the
search (the embedding model, ~30 ms) holds no database connection, hence on SQLite not the
one write lock every other person's turn waits for (issue 13, tail latency)."""

from __future__ import annotations

from bot.app import build_conversation
from handlers import qa_prepared
from handlers.messages import Inbound
from tests.chat import Person
from tests.conftest import make_settings


def watch_searches(conv, monkeypatch) -> list[tuple[str, int]]:  # noqa: ANN001
    """(text, database connections in use) at every search of the content index."""
    index = conv.content.knowledge.index
    search, seen = index.search, []

    def watched(text: str):  # noqa: ANN202
        seen.append((text, conv.engine.pool.checkedout()))
        return search(text)

    monkeypatch.setattr(index, "search", watched)
    return seen


def test_a_question_is_searched_while_the_turn_holds_no_connection(db_url, clock, monkeypatch):
    conv = build_conversation(make_settings(db_url), clock=clock)
    try:
        seen = watch_searches(conv, monkeypatch)
        p = Person(conv, user_id="61", channel="telegram")
        p.says("máy nén khí bị rò rỉ thì sao")  # a first message: searched in the turn
        assert seen == [("máy nén khí bị rò rỉ thì sao", 1)]
        seen.clear()
        p.says("máy nén khí bị rò rỉ thì sao")
        p.says("sản xuất sạch hơn là gì")
        assert "sản xuất sạch hơn" in p.text.lower()
        assert seen == [("máy nén khí bị rò rỉ thì sao", 0), ("sản xuất sạch hơn là gì", 0)]
    finally:
        conv.engine.dispose()


def test_assessment_answers_are_not_searched_as_questions(sqlite_url, clock, monkeypatch):
    conv = build_conversation(make_settings(sqlite_url), clock=clock)
    try:
        seen = watch_searches(conv, monkeypatch)
        p = Person(conv, user_id="62", channel="telegram")
        p.says("/assess")
        p.presses("✅ Đồng ý")
        for answer in ("Công ty TNHH Thủy sản Mẫu", "1", "120 người", "KCN Trà Nóc I"):
            p.says(answer)
        assert "phường" in p.text.lower()  # the assessment took every answer
        assert seen == []
        p.says("/cancel")  # the flow is closed: the next text is a question again
        assert "Đã hủy phiếu" in p.text
        p.says("tiết kiệm nước trong chế biến thủy sản")
        assert [text for text, _ in seen] == ["tiết kiệm nước trong chế biến thủy sản"]
    finally:
        conv.engine.dispose()


def test_a_match_prepared_on_other_content_is_not_used(conversation):
    index = conversation.content.knowledge.index
    inbound = Inbound(channel="console", user_id="63", text="sxsh la gi")
    flows = qa_prepared.OpenFlows()
    assert qa_prepared.prepare(inbound, index, flows, 4096) == {}  # not seen here yet
    flows.set("console", "63", None)
    memo = qa_prepared.prepare(inbound, index, flows, 4096)
    assert qa_prepared.taken(memo, "sxsh la gi", index) is not None
    assert qa_prepared.taken(memo, "sxsh la gi", object()) is None  # content reloaded since
    assert qa_prepared.taken(memo, "tiết kiệm nước", index) is None


def test_a_question_typed_mid_assessment_is_searched_once(sqlite_url, clock, monkeypatch):
    """The assessment checks whether a typed answer is a question the bot is sure of, then
    answers it: one search (one model run), not two."""
    conv = build_conversation(make_settings(sqlite_url), clock=clock)
    try:
        p = Person(conv, user_id="64")
        p.says("/assess")
        p.says("không")  # no contact details
        p.says("Cty Thủy sản Tây Đô")
        assert "Ngành sản xuất chính" in p.text
        seen = watch_searches(conv, monkeypatch)
        p.says("tiết kiệm nước trong nhà máy thế nào?")
        assert "đồng hồ nước" in p.text  # the water answer, then the question again
        assert [text for text, _ in seen] == ["tiết kiệm nước trong nhà máy thế nào?"]
    finally:
        conv.engine.dispose()
