"""The PostgreSQL keyword side scores exactly like the in-process BM25 (same tokenizer, same formula, title field),
and keeps its statistics right through replace and delete."""
from __future__ import annotations

import numpy as np
import pytest

from articleqa.store import SearchFilter, open_store
from articleqa.types import Article, Chunk
from qa.retrieval.keyword import BM25Corpus
from tests.store_helpers import backend_settings, unit

WORDS = ["銀行", "貸款", "利率", "科技", "公司", "北京", "上海", "金融", "數據", "bank", "loans", "rates", "growing",
         "technology", "Shanghai", "2018", "盈利", "季度", "市場", "風控"]


def corpus(rng, n_articles: int = 25) -> list[tuple[Article, list[Chunk]]]:
    out = []
    for j in range(n_articles):
        paras = [" ".join(rng.choice(WORDS, size=int(rng.integers(3, 12)))) + "。" for _ in range(int(rng.integers(1, 4)))]
        text = "\n\n".join(paras)
        chunks, pos = [], 0
        for i, p in enumerate(paras):
            start = text.index(p, pos)
            chunks.append(Chunk(id=f"d{j}:{i}", article_id=f"d{j}", ordinal=i, text=p, start=start,
                                end=start + len(p), heading="小節" if i == 1 else ""))
            pos = start + len(p)
        title = " ".join(rng.choice(WORDS, size=2))
        out.append((Article(id=f"d{j}", title=title, text=text, collection="a" if j % 2 else "b"), chunks))
    return out


def test_postgres_bm25_matches_the_in_process_bm25(tmp_path, pg_url):
    rng = np.random.default_rng(3)
    docs = corpus(rng)
    settings = backend_settings("postgres", tmp_path, pg_url)
    with open_store(None, settings, create=True) as st:
        for art, chunks in docs:
            st.add(art, chunks, unit(rng, len(chunks)))
        # replace one article and delete another: the statistics must follow
        art, chunks = docs[1]
        st.add(art, chunks, unit(rng, len(chunks)))
        st.delete(docs[2][0].id)
        st.commit()
        assert st.check() == []
        kept = [d for d in docs if d[0].id != docs[2][0].id]
        bm25 = BM25Corpus([c for _, cs in kept for c in cs], {a.id: a.title for a, _ in kept})
        for query in ("上海的銀行貸款利率", "technology bank growing rates", "2018年第一季度盈利", "小節 風控", "nothing"):
            want = bm25.search(query, 10)
            assert bool(want.ranked) == (query != "nothing")
            ranked, scores, coverage = st.keyword_search(query, 10)
            assert coverage == pytest.approx(want.coverage)
            assert [s for _, s in ranked] == pytest.approx([s for _, s in want.ranked], rel=1e-4), query
            assert {c for c, _ in ranked} == {c for c, _ in want.ranked} or len(set(s for _, s in ranked)) < 10
            for cid, s in scores.items():
                assert s == pytest.approx(want.score(cid), rel=1e-4)
        # filtered: only collection "a", and the scores stay those of the whole index
        ranked, scores, _ = st.keyword_search("上海的銀行貸款利率", 50, SearchFilter.make(collections="a"))
        assert ranked and all(int(c[1:].split(":")[0]) % 2 == 1 for c, _ in ranked)
        full = bm25.search("上海的銀行貸款利率", 1000)
        assert all(s == pytest.approx(full.score(c), rel=1e-4) for c, s in ranked)
        # scores for chosen extra chunks (the dense side's candidates) come back too
        low = full.ranked[-1][0]
        _, scores, _ = st.keyword_search("上海的銀行貸款利率", 1, also=[low])
        assert scores[low] == pytest.approx(full.score(low), rel=1e-4)
