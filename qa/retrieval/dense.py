"""Dense search: embed the question with the e5 query prompt and ask the store for its nearest chunks."""
from __future__ import annotations

import numpy as np


def embed_query(embedder, query: str) -> np.ndarray:
    """The L2-normalised query vector (``query: `` prompt), via the embedder module."""
    from articleqa.models.embedder import embed_query as _embed_query

    return np.asarray(_embed_query(embedder, query), dtype=np.float32).reshape(-1)


def dense_search(store, query_vector: np.ndarray, n: int, filters=None) -> list[tuple[str, float]]:
    """(chunk_id, cosine) of the ``n`` nearest chunks that pass ``filters``, best first (vectors are normalised,
    so IP = cosine)."""
    if n <= 0:
        return []
    hits = store.search(query_vector, n, filters) if filters is not None and not filters.is_empty() \
        else store.search(query_vector, n)
    return [(cid, float(score)) for cid, score in hits]
