"""The hybrid retriever passes filters into both of its searches (dense and keyword) on both backends: every
candidate passes, and the keyword side still finds the chunks that match the words."""
from __future__ import annotations

import numpy as np
import pytest

from articleqa.store import SearchFilter, open_store
from qa.retrieval import HybridRetriever
from tests.store_helpers import backend_settings, make_article, unit


@pytest.mark.parametrize("backend", ["faiss", "postgres"])
def test_filters_reach_the_dense_and_the_keyword_side(tmp_path, request, backend):
    url = request.getfixturevalue("pg_url") if backend == "postgres" else None
    settings = backend_settings(backend, tmp_path, url)
    rng = np.random.default_rng(9)
    with open_store(None, settings, create=True) as st:
        for j in range(12):
            words = "銀行 貸款 利率" if j % 3 == 0 else "長城 城牆 明朝"
            art, chunks = make_article(f"a{j}", 2, collection="x" if j % 2 else "y", words=words,
                                       date=f"2021-05-{j + 1:02d}", source="s1" if j < 6 else "s2")
            st.add(art, chunks, unit(rng, 2))
        st.commit()
        retriever = HybridRetriever(st, None, settings)
        q = unit(rng, 1)[0]
        unfiltered = retriever.candidates("銀行貸款利率", 50, query_vector=q)
        assert len(unfiltered.dense) == 24
        assert {c.split(":")[0] for c, _ in unfiltered.keyword.ranked} == {"a0", "a3", "a6", "a9"}
        f = SearchFilter.make(collections="x", sources="s2")  # a7, a9, a11
        cands = retriever.candidates("銀行貸款利率", 50, query_vector=q, filters=f)
        assert {c.split(":")[0] for c, _ in cands.dense} == {"a7", "a9", "a11"}
        assert {c.split(":")[0] for c, _ in cands.keyword.ranked} == {"a9"}
        scoped = HybridRetriever(st, None, settings.with_overrides({"store.search_collections": ["y"]}))
        cands = scoped.candidates("銀行貸款利率", 50, query_vector=q, filters=scoped.filters)
        assert {c.split(":")[0] for c, _ in cands.keyword.ranked} == {"a0", "a6"}
        assert all(int(c.split(":")[0][1:]) % 2 == 0 for c, _ in cands.dense)
