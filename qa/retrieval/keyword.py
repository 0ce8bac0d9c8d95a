"""BM25 keyword search over the store's chunks.

Text is folded to one form before indexing and querying: full-width ASCII to half width, Traditional to Simplified
(OpenCC), lower case. Runs of Han characters are segmented with jieba; everything else is split into ``\\w+`` words
(English, digits, Latin names). Punctuation is dropped. A small English stop list removes function words, which
otherwise only add noise to BM25, and English words are Snowball-stemmed (both measured to help on SQuAD dev;
Chinese function words are left to IDF).

Each chunk is indexed as ``heading + text``, and its article's title as a second field (see `BM25Corpus`), so
that a question naming the article's subject reaches its chunks even when the chunk itself does not repeat the
name, while the title (shared by every chunk of the article) does not flatten the choice among them.

The index is built lazily from ``store.iter_chunks()`` and rebuilt when ``store.version`` changes. Building is
guarded by a lock and a built corpus is read-only, so one `KeywordIndex` can serve several threads.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from articleqa.tokens import ENGLISH_STOPWORDS, normalize, stem, tokenize  # noqa: F401 (re-exported)
from articleqa.types import Chunk


def document_text(chunk: Chunk, title: str = "") -> str:
    """What the keyword index sees for a chunk: its article title, heading and text."""
    parts = [title, chunk.heading if chunk.heading and chunk.heading != title else "", chunk.text]
    return "\n".join(p for p in parts if p)


@dataclass
class KeywordHits:
    """BM25 scores for one query: the top candidates plus a lookup for any other chunk."""

    ranked: list[tuple[str, float]]  # (chunk_id, score) with score > 0, best first
    scores: dict[str, float] = field(default_factory=dict)  # every chunk with a nonzero score
    coverage: float = 0.0  # share of the query's tokens that occur anywhere in the corpus

    def score(self, chunk_id: str) -> float:
        return self.scores.get(chunk_id, 0.0)


class BM25Corpus:
    """A built BM25 index over a fixed list of chunks.

    ``title_mode`` says how the article title takes part:

    * ``"field"`` (default): titles are a second BM25 field, scored over the articles (one title each), and a
      chunk's score is ``BM25(heading + text) + title_weight * BM25(title of its article)``. The title helps pick
      the article without flattening the choice between that article's chunks.
    * ``"concat"``: the title is prepended to every chunk's text (one field).
    * ``"none"``: chunk heading and text only.
    """

    def __init__(
        self,
        chunks: Sequence[Chunk],
        titles: dict[str, str] | None = None,
        stopwords: frozenset[str] = ENGLISH_STOPWORDS,
        title_mode: str = "field",
        title_weight: float = 1.0,
        stemming: bool = True,
    ) -> None:
        import bm25s

        if title_mode not in ("field", "concat", "none"):
            raise ValueError(f"unknown title_mode {title_mode!r}")
        titles = titles or {}
        self.stopwords = stopwords
        self.stemming = stemming
        self.title_mode = title_mode
        self.title_weight = title_weight
        self.ids = [c.id for c in chunks]
        concat = title_mode == "concat"
        corpus_tokens = [
            tokenize(document_text(c, titles.get(c.article_id, "") if concat else ""), stopwords, stemming)
            for c in chunks
        ]
        self.vocab = {t for doc in corpus_tokens for t in doc}
        self._bm25 = None
        if self.ids and self.vocab:
            bm25 = bm25s.BM25()
            bm25.index(corpus_tokens, show_progress=False)
            self._bm25 = bm25
        # Title field: one document per article that has chunks here.
        self._title_bm25 = None
        self._chunk_article = np.zeros(len(chunks), dtype=np.int64)
        if title_mode == "field":
            articles = list(dict.fromkeys(c.article_id for c in chunks))
            pos = {a: i for i, a in enumerate(articles)}
            self._chunk_article = np.array([pos[c.article_id] for c in chunks], dtype=np.int64)
            title_tokens = [tokenize(titles.get(a, ""), stopwords, stemming) for a in articles]
            title_vocab = {t for doc in title_tokens for t in doc}
            if title_vocab:
                tb = bm25s.BM25()
                tb.index(title_tokens, show_progress=False)
                self._title_bm25 = tb
                self.vocab |= title_vocab
        if self._bm25 is None and self._title_bm25 is None:
            self.vocab = set()

    def __len__(self) -> int:
        return len(self.ids)

    @staticmethod
    def _scores(bm25, tokens: list[str]) -> np.ndarray | None:
        known = [t for t in tokens if t in bm25.vocab_dict]
        if not known:
            return None
        return np.asarray(bm25.get_scores(known), dtype=np.float64)

    def scores(self, query: str) -> tuple[np.ndarray, float]:
        """BM25 score of every chunk (in ``self.ids`` order) and the query's coverage."""
        tokens = tokenize(query, self.stopwords, self.stemming)
        scores = np.zeros(len(self.ids), dtype=np.float64)
        if not tokens or not self.vocab:
            return scores, 0.0
        coverage = sum(t in self.vocab for t in tokens) / len(tokens)
        if coverage == 0.0:
            return scores, 0.0
        if self._bm25 is not None:
            body = self._scores(self._bm25, tokens)
            if body is not None:
                scores += body
        if self._title_bm25 is not None and self.title_weight > 0:
            title = self._scores(self._title_bm25, tokens)
            if title is not None:
                scores += self.title_weight * title[self._chunk_article]
        return scores, coverage

    def search(self, query: str, n: int, allowed: np.ndarray | None = None) -> KeywordHits:
        """The ``n`` best chunks; ``allowed`` (a bool per chunk, in ``self.ids`` order) restricts the ranking."""
        scores, coverage = self.scores(query)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        nz = np.flatnonzero(scores > 0)
        if nz.size == 0:
            return KeywordHits(ranked=[], scores={}, coverage=coverage)
        by_id = {self.ids[i]: float(scores[i]) for i in nz}
        top = nz[np.argpartition(-scores[nz], n)[:n]] if n < nz.size else nz
        top = top[np.argsort(-scores[top], kind="stable")]
        ranked = [(self.ids[i], float(scores[i])) for i in top]
        return KeywordHits(ranked=ranked, scores=by_id, coverage=coverage)


class KeywordIndex:
    """BM25 over a store, built on first use and rebuilt when ``store.version`` changes. Thread-safe."""

    def __init__(self, store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._state: tuple[str, BM25Corpus] | None = None  # (store version, corpus), replaced as one value

    def corpus(self) -> BM25Corpus:
        version = self.store.version
        state = self._state
        if state is not None and state[0] == version:
            return state[1]
        with self._lock:
            state = self._state
            if state is None or state[0] != version:
                titles = {a["id"]: a.get("title", "") for a in self.store.list_articles()}
                state = (version, BM25Corpus(list(self.store.iter_chunks()), titles))
                self._state = state
            return state[1]

    def search(self, query: str, n: int, filters=None, article_meta: dict | None = None,
               also: Sequence[str] = ()) -> KeywordHits:
        """BM25 hits; with ``filters`` (a SearchFilter) only chunks of matching articles (``article_meta``: id ->
        ``list_articles()`` row) are ranked. A store with its own keyword search (PostgreSQL) answers itself."""
        own = getattr(self.store, "keyword_search", None)
        if own is not None:
            ranked, scores, coverage = own(query, n, filters, also)
            return KeywordHits(ranked=ranked, scores=scores, coverage=coverage)
        corpus = self.corpus()
        allowed = None
        if filters is not None and not filters.is_empty():
            ok = {a for a, row in (article_meta or {}).items() if filters.matches(row)}
            allowed = np.fromiter((cid.rsplit(":", 1)[0] in ok for cid in corpus.ids), dtype=bool,
                                  count=len(corpus.ids))
        return corpus.search(query, n, allowed)


def build_corpus(chunks: Iterable[Chunk], titles: dict[str, str] | None = None) -> BM25Corpus:
    return BM25Corpus(list(chunks), titles)
