"""A filter matching 1% of a 100,000-chunk index still returns k results, from inside the search: the FAISS ID
selector and pgvector's iterative HNSW scan (exact search of the allowed rows switched off, so the index path is
the one tested), on random 16-dimensional unit vectors written through the store API. Then pgvector's IVFFlat option
(``store.vector_index = "ivfflat"``) on a small index: its build, retraining, exactness and filters."""
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


def _article(j: int, per: int, rare: int) -> tuple[Article, list[Chunk]]:
    chunks = [Chunk(id=f"i{j}:{i}", article_id=f"i{j}", ordinal=i, text="x", start=i, end=i + 1) for i in range(per)]
    return Article(id=f"i{j}", title=f"t{j}", text="x" * per, collection="rare" if j == rare else "bulk"), chunks


def _exact_top(vectors: dict, q: np.ndarray, k: int, ids=None) -> list[str]:
    keys = [(j, i) for j in (ids or sorted(vectors)) for i in range(len(vectors[j]))]
    scores = np.concatenate([vectors[j] @ q for j in (ids or sorted(vectors))])
    return [f"i{keys[t][0]}:{keys[t][1]}" for t in np.argsort(-scores)[:k]]


def test_pgvector_ivfflat_option(tmp_path, pg_url):
    """store.vector_index = "ivfflat": no index (exact scan) below ivf_min_rows, built at the commit that reaches it,
    retrained when the table doubles; probing every list equals exact search; a 5% filter returns k results through
    the iterative list scan, and through the exact redo when the scan may not probe enough lists."""
    per, rare = 250, 3
    settings = backend_settings("postgres", tmp_path, pg_url, **{
        "store.vector_index": "ivfflat", "store.ivf_min_rows": 2000, "store.ivf_lists": 20, "store.ivf_probes": 20,
        "store.exact_below": 0})
    rng = np.random.default_rng(9)
    vectors = {}
    with open_store(None, settings, create=True) as st:
        for j in range(4):  # 1,000 rows: under ivf_min_rows
            vectors[j] = unit(rng, per)
            st.add(*_article(j, per, rare), vectors[j])
        st.commit()
        assert st.meta["index_kind"] == "pgvector-exact"
        q = unit(rng, 1)[0]
        assert [h[0] for h in st.search(q, 10)] == _exact_top(vectors, q, 10)
        for j in range(4, 10):  # 2,500 rows: the lists are trained now
            vectors[j] = unit(rng, per)
            st.add(*_article(j, per, rare), vectors[j])
        st.commit()
        assert st.meta["index_kind"] == "pgvector-ivfflat" and st.meta["ivf_rows"] == 2500
        for q in unit(rng, 5):  # ivf_probes = ivf_lists: every list is scanned
            hits = st.search(q, 10)
            assert [h[0] for h in hits] == _exact_top(vectors, q, 10)
            assert abs(hits[0][1] - float(max(v @ q for vs in vectors.values() for v in vs))) < 1e-5
        st.settings = settings.with_overrides({"store.ivf_lists": 100})
        for j in range(10, 21):  # 5,250 rows > 2 x 2,500: retrained (into 100 lists) at this commit
            vectors[j] = unit(rng, per)
            st.add(*_article(j, per, rare), vectors[j])
        st.commit()
        assert st.meta["ivf_rows"] == 5250 and st.meta["ivf_lists"] == 100
        f = SearchFilter.make(collections="rare")  # 250 of 5,250 rows, about 1 in 20 of each list
        st.settings = settings.with_overrides({"store.ivf_probes": 1})
        # 250 rows pass: left alone the planner sorts them exactly (collection index), so the index path is forced
        st._conn.execute("SET enable_sort = off")
        plan = st._conn.execute("EXPLAIN SELECT id FROM aq_chunks WHERE collection = 'rare' ORDER BY embedding <=> "
                                "%s LIMIT 10", (unit(rng, 1)[0],)).fetchall()
        assert "aq_chunks_ivfflat" in " ".join(r[0] for r in plan)
        for q in unit(rng, 5):
            scan = st._vector_query(q, 10, f, exact=False)  # the index path alone: the iterative list scan
            assert len(scan) == 10 and all(cid.startswith(f"i{rare}:") for cid, _ in scan)
        st.settings = settings.with_overrides({"store.ivf_probes": 1, "store.ivf_max_probes": 1})
        for q in unit(rng, 5):  # one list holds 2-3 rare rows of its ~50: too few, so the exact redo steps in
            assert len(st._vector_query(q, 10, f, exact=False)) < 10
            assert [h[0] for h in st.search(q, 10, f)] == _exact_top(vectors, q, 10, [rare])
    switched = settings.with_overrides({"store.vector_index": "hnsw"})
    with open_store(None, switched) as st:
        vectors[21] = unit(rng, per)
        st.add(*_article(21, per, rare), vectors[21])
        st.commit()
        assert st.meta["index_kind"] == "pgvector-hnsw"
