"""The search index: built once per content version from the knowledge base (every entry in
both languages, the off-topic examples, the synonyms), then asked per question.

Every entry is indexed as three kinds of documents: each way of asking (and the title; the best
one counts), all of them together, and the answer text (a weaker signal). The off-topic
examples of content/offtopic.yaml are documents too: a question they match better than any
entry is probably not for this bot.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from content.search import params
from content.search.analysis import Analyser, Analysis
from content.search.bm25 import Bm25, Doc
from content.search.confidence import Candidates, Decider, Match
from content.search.embeddings import Embedder
from content.search.marks import Marks
from content.search.parts import Cues, questions, wants_person
from content.search.tokens import STOPWORDS, bounded, stem, tokens
from content.textnorm import fold

if TYPE_CHECKING:
    from content.knowledge import KnowledgeBase

log = logging.getLogger(__name__)


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


# Dropped from the text given to the embedding model: politeness and particles (as typed).
_EMBED_DROP = frozenset(
    """a ạ à oi ơi nhe nhé nhá ah uh ừ ok oke ha hả hen nè ne nhỉ nhi ad admin nhen thắc mắc
    thac mac""".split()  # noqa: SIM905
)


def _squeeze(text: str) -> str:
    """The message on one line, runs of spaces as one (what the model reads of it)."""
    return " ".join(bounded(text).split())


class SearchIndex(Analyser, Decider):
    def __init__(self) -> None:
        self.abbrev: dict[tuple[str, ...], list[list[str]]] = {}
        self.abbrev_max = 1
        # The written forms of each abbreviation key: a word typed with other marks is a word
        # of its own ("hỏng", broken, is not "hong" for "không").
        self.abbrev_forms: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
        self.synonyms: list[list[tuple[str, ...]]] = []
        self.vocab: set[str] = set()
        self.vocab_list: list[str] = []
        self.df: Counter[str] = Counter()
        self.en_vocab: set[str] = set()
        self.entry_terms: dict[str, set[str]] = {}  # every term of an entry
        self.asked_terms: dict[str, set[str]] = {}  # terms of its title and ways of asking
        self.questions: Bm25
        self.answers: Bm25
        self.entries: list[str] = []
        self.entry_vocab: set[str] = set()  # folded words and accented terms of the entries
        self.ways: dict[str, list[tuple[dict[str, float], float]]] = {}  # entry -> ways of asking
        self.pairs: Counter[str] = Counter()  # folded word pairs of the entries: documents
        self._repairs: dict[str, tuple[str, ...] | None] = {}
        self.embedder: Embedder | None = None
        self.marks: Marks | None = None
        self.emb_vectors: Any = None  # (n, dim): ways of asking and titles of the entries
        self.emb_owner: Any = None  # (n,): the entry (position in self.entries) of each vector
        self.emb_starts: Any = None  # (entries,): where each entry's vectors start
        self.emb_offtopic: Any = None  # (m, dim): the off-topic examples
        self.emb_offtopic_group: list[int] = []  # (m,): each example's group
        self.cues = Cues()
        self.offtopic_pairs: list[set[str]] = []  # per off-topic group: pairs no entry writes
        self.title_words: dict[str, set[str]] = {}  # entry -> folded words of its titles
        self.names: dict[str, list[str]] = {}  # entry -> its folded `names` (faq_schema.Entry)

    # -- building ---------------------------------------------------------------------------
    @classmethod
    def build(cls, kb: KnowledgeBase, *, embeddings: bool = True) -> SearchIndex:
        """The index of a loaded knowledge base; with `embeddings=False` (or when the model is
        turned off in the settings or cannot load) BM25 alone decides."""
        self = cls()
        for key, value in kb.synonyms.abbreviations.items():
            values = [value] if isinstance(value, str) else value
            k = tuple(fold(w) for w in tokens(key))
            if k:
                self.abbrev[k] = [tokens(v) for v in values]
                self.abbrev_forms.setdefault(k, set()).add(tuple(w.lower() for w in tokens(key)))
                self.abbrev_max = max(self.abbrev_max, len(k))
        for group in kb.synonyms.synonyms:
            phrases = [tuple(stem(fold(w)) for w in tokens(g)) for g in group]
            self.synonyms.append([p for p in phrases if p])
        qdocs: list[Doc] = []
        adocs: list[Doc] = []
        edocs: list[Doc] = []
        raw_docs: list[tuple[str, str, str, list[Doc]]] = []
        marks_texts: list[str] = []
        for entry in kb.entries.values():
            self.entries.append(entry.id)
            if entry.names:
                self.names[entry.id] = [" ".join(fold(w) for w in tokens(n)) for n in entry.names]
            for lang in ("vi", "en"):
                text = entry.text(lang)
                words = {fold(t) for t in tokens(text.title)}
                titled = self.title_words.setdefault(entry.id, set())
                titled.update(words | {stem(w) for w in words})
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
        # Each group is an "entry" of its own (~offtopic:<n>), so a refusal can say where to ask.
        offtopic = []
        for n, group in enumerate(kb.offtopic):
            for ex in group.examples:
                raw_docs.append((f"{params.OFFTOPIC}:{n}", "", ex, qdocs))
                offtopic.append(ex)
        marks_texts += offtopic
        i = kb.intents
        self.cues = Cues.from_lists(
            question_words=i.question_words,
            question_ends=i.question_ends,
            clause_joins=i.clause_joins,
            person_phrases=i.person_phrases,
            person_nouns=i.person_nouns,
            person_asks=i.person_asks,
        )
        marks_texts += [v for vs in kb.synonyms.abbreviations.values() for v in _as_list(vs)]
        # Vocabulary first (from the expanded words), then the documents' terms.
        expanded = []
        for entry_id, lang, text, target in raw_docs:
            words = self._expand([fold(t) for t in tokens(text)], tokens(text))
            expanded.append((entry_id, lang, words, target))
            for folded, _acc in words:
                self.vocab.add(folded)
                if not entry_id.startswith(params.OFFTOPIC):
                    self.entry_vocab.add(folded.lstrip("+"))
                if lang == "en":
                    self.en_vocab.add(folded)
        for entry_id, lang, words, target in expanded:
            terms = self._terms(words, accented=True, weights=None)
            doc = Doc(entry_id, lang, float(sum(terms.values())), terms)
            target.append(doc)
            if entry_id.startswith(params.OFFTOPIC):
                continue
            self.entry_terms.setdefault(entry_id, set()).update(terms)
            self.entry_vocab.update(t for t in terms if t.startswith("~"))
            if target is qdocs:
                self.asked_terms.setdefault(entry_id, set()).update(terms)
            for t in {f for f, _ in words}:
                self.df[t] += 1
        self.vocab_list = sorted(t for t in self.vocab if len(t) >= 3 and not t.isdigit())
        self.pairs = Counter()
        groups: dict[int, set[str]] = {}
        entry_pairs: set[str] = set()
        for entry_id, _l, words, _t in expanded:
            pairs = [t for t in self._terms(words, accented=False, weights=None) if "_" in t]
            self.pairs.update(pairs)
            if entry_id.startswith(params.OFFTOPIC):
                groups.setdefault(int(entry_id.rpartition(":")[2]), set()).update(pairs)
            else:
                entry_pairs.update(pairs)
        # The word pairs of each off-topic group that no entry writes ("giá đất", "thuê đất").
        self.offtopic_pairs = [groups.get(n, set()) - entry_pairs for n in range(len(kb.offtopic))]
        self.questions = Bm25(qdocs)
        self.answers = Bm25(adocs)
        self.asked = Bm25(edocs)
        # Each way of asking as its informative words with their rarity, to tell how much of it
        # a (long) question contains.
        idf = self.questions.idf
        for doc in qdocs:
            if doc.entry.startswith(params.OFFTOPIC):
                continue
            words = {
                t: idf[t]
                for t in doc.terms
                if "_" not in t and not t.startswith("~") and t not in STOPWORDS
            }
            if words:
                self.ways.setdefault(doc.entry, []).append((words, sum(words.values())))
        if embeddings:
            self._build_embeddings(raw_docs, qdocs, marks_texts)
        return self

    def _build_embeddings(
        self, raw_docs: list[tuple[str, str, str, list[Doc]]], qdocs: list[Doc], marks: list[str]
    ) -> None:
        """Vectors of every way of asking (and title) of every entry, and of the off-topic
        examples, each read as the question would be (abbreviations expanded, marks restored)."""
        self.embedder = Embedder.get()
        if self.embedder is None:
            return
        import numpy as np

        self.marks = Marks(marks)
        position = {e: i for i, e in enumerate(self.entries)}
        texts: list[str] = []
        owners: list[int] = []
        groups: list[int] = []
        for entry_id, _lang, text, target in raw_docs:
            if target is not qdocs:
                continue
            texts.append(self.embed_text(self._analyse(bounded(text))))
            owners.append(position.get(entry_id, -1))
            if entry_id.startswith(params.OFFTOPIC):
                groups.append(int(entry_id.rpartition(":")[2]))
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
        self.emb_offtopic_group = groups  # the raw_docs order is kept by the stable sort

    def embed_text(self, a: Analysis) -> str:
        """The question as the embedding model reads it: abbreviations expanded, filler dropped,
        and for Vietnamese typed without marks, the marks put back."""
        words = [(f, acc) for f, acc in a.words if not f.startswith("+") and acc not in _EMBED_DROP]
        if len(words) > params.EMBED_MAX_WORDS:
            # A long question: its filler goes first, then its beginning (the ask is mostly at
            # the end, after the context).
            words = [(f, acc) for f, acc in words if f not in STOPWORDS][-params.EMBED_MAX_WORDS :]
        if a.lang == "en" or a.accented or self.marks is None:
            text = " ".join(acc for _f, acc in words)
        else:
            text = " ".join(self.marks.restore([(fold(acc), acc) for _f, acc in words]))
        return text[: params.EMBED_MAX_CHARS]

    def model_text(self, question: str, a: Analysis) -> str:
        """What the embedding model reads of a message: a short one as `embed_text` makes it; a
        message of more than EMBED_MAX_WORDS words as typed, on one line, its first WHOLE_CHARS
        characters (and at most MODEL_MAX_TOKENS tokens: Embedder.query). Owners describe their
        situation first, and that context helps the model more than the last asking words
        alone (measured on the tuning data, v2 even half: top-1 0.857 -> 0.867, wrong 0.073 ->
        0.060 at 120 characters; 80 / 100 / 120 / 160 / 200 characters and the last 120 were
        tried; benchmarks/report.md)."""
        if params.WHOLE_LONG and len(a.words) > params.EMBED_MAX_WORDS:
            return _squeeze(question)[: params.WHOLE_CHARS]
        return self.embed_text(a)

    def search(self, question: str) -> Match:
        """The decision for a message, with the other topics it asks about (`also`) and whether
        it asks for a person. A message asking several things is answered with the first thing
        it asks when BM25 alone is sure of it and the whole message's ranking agrees it is
        close (people ask the main thing first); the others are offered. But a whole message
        the decision is sure of keeps its topic unless another asking clause asks it too: one
        generic asking clause ("có phải là giải pháp sản xuất sạch hơn không") is sure of a
        broad entry where the context names the matter (benchmarks/method.md, round 4)."""
        text = bounded(question)
        m = self.decide(self.candidates(text))
        m.person = wants_person(text, self.cues)
        parts = questions(text, self.cues)
        if len(parts) < 2 or m.best is None:
            return m
        found: list[Match] = []
        for part in parts:
            pm = self._decide(self.candidates(part, cascade=False, embed=False), embed=False)
            if pm.best and pm.score >= params.ALSO_MIN and pm.best not in {f.best for f in found}:
                found.append(pm)
        # The first part sure enough to be the main question (people ask the main thing first).
        first = next((f for f in found if f.score >= params.FIRST_MIN), None)
        if (
            first is not None
            and first.best != m.best
            and first.score >= params.THRESHOLD
            and (m.topic is None or m.best in {f.best for f in found})
            and (first.best in [m.best, *m.alternatives] or (m.topic is None and not m.middle))
        ):
            answered = m.topic or (m.best if m.middle else None)
            m = replace(
                m,
                topic=first.best,
                best=first.best,
                confident=True,
                middle=False,
                score=first.score,
                alternatives=[e for e in [m.best, *m.alternatives] if e != first.best][:3],
                offtopic_group=None,
                also=[answered] if answered else [],
            )
        for pm in found:
            if pm.best not in (m.best, *m.also):
                m.also.append(pm.best)
        return m

    def candidates(self, question: str, *, cascade: bool = True, embed: bool = True) -> Candidates:
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
        off = {e: best.pop(e) for e in [e for e in best if e.startswith(params.OFFTOPIC)]}
        if off:
            key = max(off, key=off.__getitem__)
            c.offtopic, c.offtopic_group = off[key], int(key.rpartition(":")[2])
        c.variant = dict(best)
        c.bm25 = {
            e: params.VARIANT_WEIGHT * best.get(e, 0.0)
            + params.ANSWER_WEIGHT * ans.get(e, 0.0)
            + params.ASKED_WEIGHT * asked.get(e, 0.0)
            for e in best.keys() | ans.keys() | asked.keys()
        }
        c.perfect = self.questions.self_score(a.terms) or 1.0
        if (
            embed
            and self.embedder is not None
            and self.emb_vectors is not None
            and not (cascade and self._decide(c, embed=False).score >= params.CASCADE)
        ):
            import numpy as np

            q = self.embedder.query(self.model_text(question, a))
            # einsum, not a BLAS product: BLAS threads left spinning after a call slow down the
            # model's own threads on the next question (measured: 3x the latency on 2 cores).
            sims = np.einsum("ij,j->i", self.emb_vectors, q)
            per_entry = np.maximum.reduceat(sims, self.emb_starts)
            c.cosine = dict(zip(self.entries, per_entry.tolist(), strict=True))
            if len(self.emb_offtopic):
                off_sims = np.einsum("ij,j->i", self.emb_offtopic, q)
                k = int(off_sims.argmax())
                c.cosine_offtopic = float(off_sims[k])
                c.cosine_offtopic_group = self.emb_offtopic_group[k]
        return c
