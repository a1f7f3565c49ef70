"""The matcher's tunable constants, in one module so that `benchmarks/tune_qa.py` can try
values (it sets these attributes) and write the chosen ones back (`--write`).

Every other module of the package reads them as `params.NAME` at call time, never copies them.
"""

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
EMBED_MAX_CHARS = 200  # and at most this many characters reach the model
# A message longer than EMBED_MAX_WORDS: the model reads its first WHOLE_CHARS characters as
# typed, not its last asking words (False: the last asking words, as before).
WHOLE_LONG = True
WHOLE_CHARS = 100
# The model reads at most this many tokens of a question, its first whole words ("query: " and
# the special tokens included): its time grows about 1 ms a token on one core. Measured on the
# v2 even half and dev: 28 / 32 / 40 / unbounded tokens give the same top-1 and wrong answers
# (v2 even 0.870 / 0.867 / 0.867 / 0.867), CPU p99 40 ms at 28 against 49-57 ms
# (benchmarks/report.md).
MODEL_MAX_TOKENS = 28
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
# The middle tier: below the threshold but at least this sure, the best entry is answered with
# "Tôi hiểu anh/chị hỏi về ..." and the other close topics as buttons (BM25 alone / with the
# model). Chosen on the tuning data so that wrong answers stay rare (benchmarks/tune_qa.py).
MIDDLE = 0.2
MIDDLE_EMBED = 0.2
# A long message: words outside its asking sentences (the context) count this much.
CONTEXT_WEIGHT = 0.5
# A message asking several things: another part's topic is offered when BM25 alone is this sure.
ALSO_MIN = 0.5
# ... and the first asking part is answered instead of the whole message's best topic when BM25
# alone is this sure of it (and the whole message's ranking has it close).
FIRST_MIN = 0.5
ACCENT_MISS_CREDIT = 0.3
# A question with this many word pairs of its closest off-topic group that no entry writes, that
# group matching better than the entry, is refused (confidence.Decider._outside).
OFFTOPIC_PAIRS = 2
OFFTOPIC = "~offtopic"  # entry id of the off-topic examples' documents
# Bounds on the work one message can cause (issue 8): a message is cut to MAX_CHARS characters
# and each word to MAX_WORD characters before matching; at most MAX_WORDS words are analysed.
# Real questions are far below (the longest benchmark question: ~420 characters, 90 words).
MAX_CHARS = 1500
MAX_WORD = 40
MAX_WORDS = 200
