"""Find the curated answer for a question as people really type it.

Method (measured in benchmarks/report.md): BM25 over diacritic-folded syllables plus bigrams,
with a bonus for accented syllables so "bao bì" prefers entries that say "bao bì" over "báo
bị". Every entry is indexed in both languages, as two kinds of documents: its title and the
ways people ask it (one document each; the best one counts), and its answer text (a weaker
signal). Before scoring, a question is normalised (NFC, one tone-mark placement, lower case),
abbreviations are expanded from content/synonyms.yaml, and unknown words are repaired: Telex
or VNI keys typed without an input method ("sanr xuaats"), words run together
("sanxuatsachhon"), and small typos (edit distance against the index's vocabulary). Synonym
groups add their other terms at a lower weight, so an English word also finds its Vietnamese
counterpart.

The confidence is not the raw BM25 score (which grows with the question's length) but a number
in 0..1 from a logistic function of a few features: the share of the question's informative
words that the best entry knows, the best score relative to a perfect match, and the margin
over the runner-up. Below the threshold the bot says it is not sure.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rapidfuzz import process
from rapidfuzz.distance import OSA

from content.textnorm import fold, normalize

if TYPE_CHECKING:
    from content.knowledge import KnowledgeBase

_WORD = re.compile(r"[^\W_]+(?:[&'][^\W_]+)?")

# BM25 and fusion parameters, tuned on the content's question variants (leave-one-out) and the
# dev questions in tests/qa_dev.yaml; see benchmarks/tune_qa.py.
K1 = 0.9
B = 0.75
VARIANT_WEIGHT = 1.0  # the best single question variant (or title)
ANSWER_WEIGHT = 0.75  # the answer text (title, short answer, details)
ASKED_WEIGHT = 1.0  # all the ways of asking of an entry together, as one document
ACCENT_WEIGHT = 0.3  # weight of an accented-syllable term relative to its folded form
BIGRAM_WEIGHT = 1.0
SYNONYM_WEIGHT = 0.2
REPAIR_WEIGHT = 0.7  # a repaired (typo) word counts this much
STOP_WEIGHT = 0.25

# Confidence: logistic regression over the features of the best entry: (bias, coverage of the
# question's words by the entry's ways of asking, by all its text, share of word pairs found,
# best score relative to a perfect match, margin over the runner-up).
CONFIDENCE = (-3.614, 0.195, 1.01, 3.617, 1.529, 3.387, -2.3)
THRESHOLD = 0.5
ACCENT_MISS_CREDIT = 0.3

# Filler and function words in both languages (folded). They still match, at low weight, and do
# not count when judging how much of a question an entry covers.
STOPWORDS = frozenset(
    """
    la gi cua co khong thi ma va cac nhung cho voi de duoc nao the sao vay a oi nhe nha anh chi
    em minh toi ban hoi xin cai nay do kia thu ra vao nhu bi o tai tu trong ve len neu khi roi
    chua hay hoac cung rat qua lai nua dang se da muon phai biet giup dum ah uh ok oke ha hen
    mot nhieu it con day kieu ben phia thoi luon dau sau truoc gium vs ay e u ui uk uhm thay
    bay gio nhi chu vi nen nhung tai sao
    what is are the a an of to in on for and or do does did how can could i we my our you your
    it its this that there be with about please me any have has should would will at by from as
    so if when which who why get tell want us they them was were been being some more much many
    one also just know need
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
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, d in enumerate(docs):
            for t, tf in d.terms.items():
                df[t] += 1
                self.postings[t].append((i, tf))
        n = len(docs)
        self.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self.max_idf = math.log(1 + (n - 0.5) / 1.5) if n else 1.0

    def scores(self, query: dict[str, float]) -> dict[int, float]:
        out: dict[int, float] = defaultdict(float)
        docs, avg = self.docs, self.avg
        for term, w in query.items():
            post = self.postings.get(term)
            if not post:
                continue
            idf = self.idf[term] * w
            for i, tf in post:
                norm = K1 * (1 - B + B * docs[i].length / avg)
                out[i] += idf * tf * (K1 + 1) / (tf + norm)
        return out

    def self_score(self, query: dict[str, float]) -> float:
        """The score of a document that holds every query term once: a perfect match."""
        total = 0.0
        for term, w in query.items():
            idf = self.idf.get(term, self.max_idf)
            total += w * idf
        return total


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
        self._repairs: dict[str, tuple[str, ...] | None] = {}

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
        # Vocabulary first (from the expanded words), then the documents' terms.
        expanded = []
        for entry_id, lang, text, target in raw_docs:
            words = self._expand([fold(t) for t in tokens(text)], tokens(text))
            expanded.append((entry_id, lang, words, target))
            for folded, _acc in words:
                self.vocab.add(folded)
                if lang == "en":
                    self.en_vocab.add(folded)
        for entry_id, lang, words, target in expanded:
            terms = self._terms(words, accented=True, weights=None)
            doc = _Doc(entry_id, lang, float(sum(terms.values())), terms)
            target.append(doc)
            self.entry_terms.setdefault(entry_id, set()).update(terms)
            if target is qdocs:
                self.asked_terms.setdefault(entry_id, set()).update(terms)
            for t in {f for f, _ in words}:
                self.df[t] += 1
        self.vocab_list = sorted(t for t in self.vocab if len(t) >= 3 and not t.isdigit())
        self.questions = _Bm25(qdocs)
        self.answers = _Bm25(adocs)
        self.asked = _Bm25(edocs)
        return self

    def _expand(self, folded: list[str], accented: list[str]) -> list[tuple[str, str]]:
        """Expand abbreviations (longest key first); returns (folded, accented) word pairs."""
        out: list[tuple[str, str]] = []
        i = 0
        while i < len(folded):
            for n in range(min(self.abbrev_max, len(folded) - i), 0, -1):
                key = tuple(folded[i : i + n])
                meanings = self.abbrev.get(key)
                if meanings:
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
        return Analysis(dict(terms), content, accented, lang, repaired, bigrams)

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
        a = self.analyse(question)
        if not a.terms:
            return Match(None, None, 0.0, False, a.lang, [])
        qscores = self.questions.scores(a.terms)
        ascores = self.answers.scores(a.terms)
        best: dict[str, float] = defaultdict(float)
        for i, s in qscores.items():
            e = self.questions.docs[i].entry
            best[e] = max(best[e], s)
        ans: dict[str, float] = defaultdict(float)
        for i, s in ascores.items():
            e = self.answers.docs[i].entry
            ans[e] = max(ans[e], s)
        asked: dict[str, float] = defaultdict(float)
        for i, s in self.asked.scores(a.terms).items():
            e = self.asked.docs[i].entry
            asked[e] = max(asked[e], s)
        fused = {
            e: VARIANT_WEIGHT * best.get(e, 0.0)
            + ANSWER_WEIGHT * ans.get(e, 0.0)
            + ASKED_WEIGHT * asked.get(e, 0.0)
            for e in best.keys() | ans.keys() | asked.keys()
        }
        ranked = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))
        if not ranked:
            return Match(None, None, 0.0, False, a.lang, [])
        top, s1 = ranked[0]
        s2 = ranked[1][1] if len(ranked) > 1 else 0.0
        perfect = self.questions.self_score(a.terms) or 1.0
        features = (
            self._coverage(a, self.asked_terms.get(top, set())),
            self._coverage(a, self.entry_terms.get(top, set())),
            self._bigram_coverage(a, self.entry_terms.get(top, set())),
            min(s1 / perfect, 1.5),
            (s1 - s2) / s1 if s1 > 0 else 0.0,
            self._unknown_share(a),
        )
        z = CONFIDENCE[0] + sum(w * x for w, x in zip(CONFIDENCE[1:], features, strict=True))
        conf = 1 / (1 + math.exp(-max(min(z, 30.0), -30.0)))
        confident = conf >= THRESHOLD
        alts = [e for e, _ in ranked[1:4]] if confident else [e for e, _ in ranked[:3]]
        return Match(
            topic=top if confident else None,
            best=top,
            score=round(conf, 4),
            confident=confident,
            lang=a.lang,
            alternatives=alts,
            raw=s1,
            features=features,
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
            if f not in self.vocab or (
                marked is not None
                and marked not in self.questions.idf
                and marked not in self.answers.idf
            ):
                unknown += 1
        return unknown / len(a.content)

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
