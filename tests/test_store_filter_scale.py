"""A filter matching 1% of a 100,000-chunk index still returns k results, from inside the search: the FAISS ID
selector and pgvector's iterative HNSW scan (exact search of the allowed rows switched off, so the index path is
the one tested), on random 16-dimensional unit vectors written through the store API."""
from __future__ import annotations

import numpy as np
import pytest

from articleqa.store import SearchFilter, open_store
from articleqa.types import Article, Chunk
from tests.store_helpers import backend_settings, unit

N_ARTICLES, PER_ARTICLE = 100, 1000  # 100,000 chunks; 1 article of 100 = 1%


def big_article(j: int) -> tuple[Article, list[Chunk]]:
    text = "x" * PER_ARTICLE
    chunks = [Chunk(id=f"b{j}:{i}", article_id=f"b{j}", ordinal=i, text="x", start=i, end=i + 1)
              for i in range(PER_ARTICLE)]
    return Article(id=f"b{j}", title=f"t{j}", text=text, collection="rare" if j == 42 else "bulk",
                   date=f"2020-01-{j % 28 + 1:02d}"), chunks


@pytest.mark.parametrize("backend,kind", [("faiss", "flat"), ("faiss", "hnsw"), ("postgres", "")])
def test_one_percent_filter_on_100k_chunks_returns_k(tmp_path, request, backend, kind):
    url = request.getfixturevalue("pg_url") if backend == "postgres" else None
    settings = backend_settings(backend, tmp_path, url, **{"store.exact_below": 0, "index.kind": kind or "flat",
                                                           "store.hnsw_m": 16, "store.hnsw_ef_construction": 64})
    rng = np.random.default_rng(5)
    vectors = {}
    with open_store(None, settings, create=True) as st:
        for j in range(N_ARTICLES):
            art, chunks = big_article(j)
            v = unit(rng, PER_ARTICLE)
            vectors[j] = v
            st.add(art, chunks, v)
        st.commit()
        assert st.meta["n_chunks"] == N_ARTICLES * PER_ARTICLE
        rare = SearchFilter.make(collections="rare")
        assert st.count_matching(rare) == PER_ARTICLE
        for q in unit(rng, 5):
            hits = st.search(q, 10, rare)
            assert len(hits) == 10 and all(h[0].startswith("b42:") for h in hits)
            exact = np.argsort(-(vectors[42] @ q))[:10]
            recall = len({f"b42:{i}" for i in exact} & {h[0] for h in hits}) / 10
            assert recall >= 0.9
        one_day = SearchFilter.make(date_from="2020-01-05", date_to="2020-01-05")  # 4 articles of 100
        assert len(st.search(unit(rng, 1)[0], 10, one_day)) == 10
        assert st.search(unit(rng, 1)[0], 10, SearchFilter.make(collections="none")) == []
