"""Hybrid retrieval: dense (e5 + FAISS) and BM25 candidates, fused, returned as `Passage`s.

``settings.retrieval`` decides: ``candidates`` from each side, ``fusion`` ("zscore" | "rrf" | "dense"),
``dense_weight`` (z-score), ``rrf_k`` (RRF) and ``top_k`` (passages returned).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from articleqa.dates import parse_pub_date
from articleqa.settings import Settings
from articleqa.types import Passage
from qa.retrieval.dense import dense_search, embed_query
from qa.retrieval.fusion import Fused, fuse
from qa.retrieval.keyword import KeywordHits
from qa.retrieval.keyword_index import KeywordIndex


@dataclass
class Candidates:
    """Both sides' raw candidates for one query (what fusion consumes)."""

    dense: list[tuple[str, float]]
    keyword: KeywordHits


def default_filters(settings: Settings):
    """The filter every search starts from: ``settings.store.search_collections`` (empty = every collection)."""
    from articleqa.store.filters import SearchFilter

    return SearchFilter.make(collections=list(settings.store.search_collections))


class HybridRetriever:
    """``search(query, k)`` -> passages, best first. Safe to share between threads."""

    def __init__(self, store, embedder, settings: Settings) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self.keyword = KeywordIndex(store)
        self.filters = default_filters(settings)  # search_collections from the settings; per-call filters replace it
        self._lock = threading.Lock()
        self._articles: tuple[str, dict[str, dict[str, Any]]] | None = None

    # -- pieces -------------------------------------------------------------------------------------------------
    def candidates(self, query: str, n: int | None = None, query_vector: np.ndarray | None = None,
                   filters=None) -> Candidates:
        """Both sides' candidates; ``filters`` (a SearchFilter) is applied inside each search."""
        n = n or self.settings.retrieval.candidates
        if query_vector is None:
            query_vector = embed_query(self.embedder, query)
        dense = dense_search(self.store, query_vector, n, filters)
        meta = self._article_meta() if filters is not None and not filters.is_empty() else None
        keyword = self.keyword.search(query, n, filters, meta, also=[c for c, _ in dense])
        return Candidates(dense=dense, keyword=keyword)

    def rank(self, cands: Candidates, method: str | None = None, dense_weight: float | None = None) -> list[Fused]:
        r = self.settings.retrieval
        return fuse(
            method or r.fusion,
            cands.dense,
            cands.keyword.ranked,
            dense_weight=r.dense_weight if dense_weight is None else dense_weight,
            rrf_k=r.rrf_k,
            keyword_lookup=cands.keyword.score,
            keyword_reliability=cands.keyword.coverage,
        )

    def _article_meta(self) -> dict[str, dict[str, Any]]:
        version = self.store.version
        cached = self._articles
        if cached is not None and cached[0] == version:
            return cached[1]
        with self._lock:
            cached = self._articles
            if cached is None or cached[0] != version:
                cached = (version, {a["id"]: a for a in self.store.list_articles()})
                self._articles = cached
            return cached[1]

    def refresh(self) -> None:
        """Rebuild the keyword index and the article table now if the store's version moved (else the next search
        does it)."""
        self.keyword.refresh()
        self._article_meta()

    def to_passages(self, fused: list[Fused]) -> list[Passage]:
        if not fused:
            return []
        chunks = {c.id: c for c in self.store.get_chunks([f.chunk_id for f in fused])}
        meta = self._article_meta()
        out = []
        for f in fused:
            chunk = chunks.get(f.chunk_id)
            if chunk is None:  # deleted between search and fetch
                continue
            art = meta.get(chunk.article_id, {})
            out.append(
                Passage(
                    chunk=chunk,
                    title=art.get("title", ""),
                    source=art.get("source", ""),
                    score=float(f.score),
                    dense_score=f.dense,
                    keyword_score=f.keyword,
                    date=parse_pub_date(art.get("date") or ""),  # ISO, also from an index made before ISO dates
                    lang=art.get("lang", ""),
                )
            )
        return out

    # -- public -------------------------------------------------------------------------------------------------
    def search(self, query: str, k: int | None = None, filters=None) -> list[Passage]:
        """The ``k`` (default ``settings.retrieval.top_k``) best passages for ``query`` among those that pass
        ``filters`` (a SearchFilter; None = ``self.filters``), best first."""
        k = k or self.settings.retrieval.top_k
        if not query or not query.strip():
            return []
        n = max(self.settings.retrieval.candidates, k)
        qv = embed_query(self.embedder, query)
        filters = self.filters if filters is None else filters
        cands = self.candidates(query, n, query_vector=qv, filters=filters)
        top = self.rank(cands)[:k]
        self._fill_dense_scores(top, qv)
        plain = self.to_passages(top)
        if self.settings.retrieval.cross_lingual != "off":  # a corpus mixing languages (qa/retrieval/crosslingual.py)
            from qa.retrieval.crosslingual import cross_lingual_search

            mixed = cross_lingual_search(self, query, k, filters, qv, plain, self.translator())
            if mixed is not None:
                return mixed
        return plain

    def translator(self):
        """The question translator for cross-lingual retrieval (loads the generator's weights on first use only)."""
        if self.settings.retrieval.cross_lingual != "translate":
            return None
        from qa.retrieval.translate import shared_translator

        return shared_translator(self.settings)

    def _fill_dense_scores(self, fused: list[Fused], query_vector: np.ndarray) -> None:
        """Give keyword-only hits their true cosine, so callers can always judge relevance by ``dense_score``."""
        missing = [f for f in fused if f.dense is None]
        get_vectors = getattr(self.store, "get_vectors", None)
        if not missing or get_vectors is None:
            return
        from articleqa.store import StoreError

        try:
            vectors = np.asarray(get_vectors([f.chunk_id for f in missing]), dtype=np.float32)
        except StoreError:  # a chunk deleted since the search; to_passages drops it
            return
        for f, v in zip(missing, vectors):
            f.dense = float(np.dot(query_vector, v))

