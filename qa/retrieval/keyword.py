"""BM25 keyword search over the store's chunks.

Text is folded to one form before indexing and querying: full-width ASCII to half width, Traditional to Simplified
(OpenCC), lower case. Runs of Han characters are segmented with jieba; everything else is split into ``\\w+`` words
(English, digits, Latin names). Punctuation is dropped. A small English stop list removes function words, which
otherwise only add noise to BM25, and English words are Snowball-stemmed (both measured to help on SQuAD dev;
Chinese function words are left to IDF).

Each chunk is indexed as ``heading + text``, and its article's title as a second field (see `BM25Corpus`), so
that a question naming the article's subject reaches its chunks even when the chunk itself does not repeat the
name, while the title (shared by every chunk of the article) does not flatten the choice among them.

Scoring needs no BM25 library: a built field is bm25s' precomputed score matrix (CSC: ``data``, ``indices``,
``indptr``) plus its vocabulary, and a query adds up the columns of its tokens in float32, in query order, exactly
as ``bm25s.BM25.get_scores`` does, so a corpus loaded from disk (``keyword_files.py``, memory-mapped) scores
exactly like a fresh build. bm25s (and scipy) are imported only to build.

`qa.retrieval.keyword_index.KeywordIndex` serves a store: it loads the keyword index saved in the store's folder for the store's current
commit (``keyword-<version>/``), or builds it (re-tokenising only chunks that the newest saved index lacks) and
saves it. Building is guarded by a lock and a built corpus is read-only, so one `KeywordIndex` can serve several
threads.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

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


@dataclass
class BM25Field:
    """One BM25 field as bm25s precomputes it: a [token, doc] score matrix in CSC form and the vocabulary."""

    vocab: dict[str, int]
    data: np.ndarray  # float32 scores
    indices: np.ndarray  # doc of each score
    indptr: np.ndarray  # column (token) boundaries
    num_docs: int

    @classmethod
    def build(cls, docs: list[list[str]]) -> "BM25Field | None":
        """bm25s' index of ``docs`` (token lists), or None when they hold no token."""
        import bm25s

        if not any(docs):
            return None
        bm25 = bm25s.BM25()
        bm25.index(docs, show_progress=False)
        sc = bm25.scores
        return cls(dict(bm25.vocab_dict), np.asarray(sc["data"], dtype=np.float32), np.asarray(sc["indices"]),
                   np.asarray(sc["indptr"]), int(sc["num_docs"]))

    def scores(self, tokens: list[str]) -> np.ndarray | None:
        """Per-doc float32 BM25 of ``tokens`` (repeats count again), or None when none is in the vocabulary."""
        last = len(self.indptr) - 1
        ids = [i for i in (self.vocab[t] for t in tokens if t in self.vocab) if i < last]
        if not ids:
            return None
        out = np.zeros(self.num_docs, dtype=np.float32)
        for t in ids:
            lo, hi = int(self.indptr[t]), int(self.indptr[t + 1])
            out[self.indices[lo:hi]] += self.data[lo:hi]  # indices within a column are distinct
        return out.astype(np.float64)


@dataclass(frozen=True)
class CorpusOptions:
    """How documents become tokens; a saved index is reused only under the same options."""

    stopwords: frozenset[str] = ENGLISH_STOPWORDS
    title_mode: str = "field"
    title_weight: float = 1.0
    stemming: bool = True

    def key(self) -> dict:
        return {"stopwords": sorted(self.stopwords), "title_mode": self.title_mode,
                "title_weight": self.title_weight, "stemming": self.stemming, "tokenizer": TOKENIZER_VERSION}


TOKENIZER_VERSION = 1  # bump when tokenize() changes: saved keyword indexes are then rebuilt


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
        if title_mode not in ("field", "concat", "none"):
            raise ValueError(f"unknown title_mode {title_mode!r}")
        opts = CorpusOptions(frozenset(stopwords), title_mode, title_weight, stemming)
        titles = titles or {}
        docs = [opts_tokens(opts, c, titles) for c in chunks]
        self._init_from_tokens(opts, [c.id for c in chunks], [c.article_id for c in chunks], docs, titles)

    @classmethod
    def from_tokens(cls, opts: CorpusOptions, ids: list[str], article_ids: list[str], docs: list[list[str]],
                    titles: dict[str, str]) -> "BM25Corpus":
        """A corpus from already tokenised chunk documents (the same index a fresh build of those chunks gives)."""
        self = cls.__new__(cls)
        self._init_from_tokens(opts, ids, article_ids, docs, titles)
        return self

    def _init_from_tokens(self, opts: CorpusOptions, ids: list[str], article_ids: list[str],
                          docs: list[list[str]], titles: dict[str, str]) -> None:
        self.options = opts
        self.stopwords, self.stemming = opts.stopwords, opts.stemming
        self.title_mode, self.title_weight = opts.title_mode, opts.title_weight
        self.ids = list(ids)
        self.body = BM25Field.build(docs) if self.ids else None
        self.title = None
        self.chunk_article = np.zeros(len(ids), dtype=np.int64)
        if opts.title_mode == "field":
            articles = list(dict.fromkeys(article_ids))
            pos = {a: i for i, a in enumerate(articles)}
            self.chunk_article = np.array([pos[a] for a in article_ids], dtype=np.int64)
            self.title = BM25Field.build([tokenize(titles.get(a, ""), opts.stopwords, opts.stemming)
                                          for a in articles])
        self._set_vocab()

    def _set_vocab(self) -> None:
        self.vocab = set(self.body.vocab if self.body else ()) | set(self.title.vocab if self.title else ())

    def __len__(self) -> int:
        return len(self.ids)

    def scores(self, query: str) -> tuple[np.ndarray, float]:
        """BM25 score of every chunk (in ``self.ids`` order) and the query's coverage."""
        tokens = tokenize(query, self.stopwords, self.stemming)
        scores = np.zeros(len(self.ids), dtype=np.float64)
        if not tokens or not self.vocab:
            return scores, 0.0
        coverage = sum(t in self.vocab for t in tokens) / len(tokens)
        if coverage == 0.0:
            return scores, 0.0
        if self.body is not None:
            body = self.body.scores(tokens)
            if body is not None:
                scores += body
        if self.title is not None and self.title_weight > 0:
            title = self.title.scores(tokens)
            if title is not None:
                scores += self.title_weight * title[self.chunk_article]
        return scores, coverage

    def search(self, query: str, n: int, allowed: np.ndarray | None = None) -> KeywordHits:
        """The ``n`` best chunks; ``allowed`` (a bool per chunk, in ``self.ids`` order) restricts the ranking."""
        scores, coverage = self.scores(query)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        nz = np.flatnonzero(scores > 0)
        if nz.size == 0:
            return KeywordHits(ranked=[], scores={}, coverage=coverage)
        by_id = {str(self.ids[i]): float(scores[i]) for i in nz}
        top = nz[np.argpartition(-scores[nz], n)[:n]] if n < nz.size else nz
        top = top[np.argsort(-scores[top], kind="stable")]
        ranked = [(str(self.ids[i]), float(scores[i])) for i in top]
        return KeywordHits(ranked=ranked, scores=by_id, coverage=coverage)


def opts_tokens(opts: CorpusOptions, chunk: Chunk, titles: dict[str, str]) -> list[str]:
    """The body-field tokens of ``chunk`` under ``opts`` (the title joins them only in "concat" mode)."""
    title = titles.get(chunk.article_id, "") if opts.title_mode == "concat" else ""
    return tokenize(document_text(chunk, title), opts.stopwords, opts.stemming)
