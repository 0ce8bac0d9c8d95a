"""The store contract, run against both backends: FAISS + SQLite and PostgreSQL + pgvector (one embedded server
for the session, a fresh database per test)."""
from __future__ import annotations

import numpy as np
import pytest

from articleqa.store import SearchFilter, StoreError, open_store
from tests.store_helpers import DIM, backend_settings, make_article, unit


@pytest.fixture(params=["faiss", "postgres"])
def settings(request, tmp_path):
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    return backend_settings(request.param, tmp_path, url)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_add_search_get_delete_reopen(settings, rng):
    vecs = {}
    with open_store(None, settings, create=True) as st:
        for j in range(30):
            art, chunks = make_article(f"a{j}", 3)
            v = unit(rng, 3)
            vecs.update({c.id: v[i] for i, c in enumerate(chunks)})
            st.add(art, chunks, v)
        st.commit()
        assert st.check() == []
        assert st.meta["dim"] == DIM and st.meta["n_chunks"] == 90 and st.meta["n_articles"] == 30
        for cid in ("a0:0", "a17:2", "a29:1"):
            hits = st.search(vecs[cid], 5)
            assert hits[0][0] == cid and hits[0][1] == pytest.approx(1.0, abs=1e-4)
            assert [h[1] for h in hits] == sorted((h[1] for h in hits), reverse=True)
        got = st.get_chunks(["a3:1", "missing", "a3:0"])
        assert [c.id for c in got] == ["a3:1", "a3:0"]
        art3 = st.get_article("a3")
        assert art3 is not None and art3.text[got[0].start : got[0].end] == got[0].text
        assert art3.collection == "default" and st.get_article("nope") is None
        st.delete("a3")
        st.commit()
        assert st.get_article("a3") is None
        assert all(not h[0].startswith("a3:") for h in st.search(vecs["a3:1"], 90))
        assert st.check() == []
        version = st.version
    with open_store(None, settings) as st:
        assert st.version == version and st.check() == []
        assert len(st.list_articles()) == 29 and sum(1 for _ in st.iter_chunks()) == 87
        assert st.search(vecs["a17:2"], 1)[0][0] == "a17:2"
        row = next(r for r in st.list_articles() if r["id"] == "a5")
        assert row["n_chunks"] == 3 and row["ingested_at"] > 0 and row["title"] == "title a5"
        assert [c.id for c in st.chunks_of("a5")] == ["a5:0", "a5:1", "a5:2"]
        np.testing.assert_allclose(st.get_vectors(["a5:2", "a5:0"]), np.stack([vecs["a5:2"], vecs["a5:0"]]),
                                   atol=1e-6)


def test_replace_and_uncommitted_changes(settings, rng):
    with open_store(None, settings, create=True) as st:
        art, chunks = make_article("x", 4)
        st.add(art, chunks, unit(rng, 4))
        art2, chunks2 = make_article("x", 2)
        v2 = unit(rng, 2)
        st.add(art2, chunks2, v2)
        st.commit()
        assert st.check() == [] and st.meta["n_chunks"] == 2
        assert st.search(v2[1], 1)[0][0] == "x:1"
        v0 = st.version
        b, d = make_article("lost", 2)
        st.add(b, d, unit(rng, 2))
        st.delete("x")
        # closing without commit rolls back
    with open_store(None, settings) as st:
        assert st.version == v0 and [r["id"] for r in st.list_articles()] == ["x"] and st.check() == []
        b, d = make_article("lost", 2)
        st.add(b, d, unit(rng, 2))
        st.rollback()
        assert [r["id"] for r in st.list_articles()] == ["x"] and st.check() == []


def test_one_writer_and_readers_see_commits(settings, rng):
    with open_store(None, settings, create=True) as w1, open_store(None, settings) as w2:
        a, c = make_article("a", 2)
        va = unit(rng, 2)
        w1.add(a, c, va)
        with pytest.raises(StoreError, match="another process is writing"):
            w2.begin()
        assert all(h[0] != "a:0" for h in w2.search(va[0], 5))  # not committed: invisible
        w1.commit()
        assert w2.search(va[0], 1)[0][0] == "a:0" and w2.version == w1.version
        w2.begin()  # free again after the commit
        w2.rollback()


def test_bad_input_to_add_is_refused(settings, rng):
    with open_store(None, settings, create=True) as st:
        a, c = make_article("a", 2)
        with pytest.raises(StoreError):
            st.add(a, c, unit(rng, 3))  # 2 chunks, 3 vectors
        c[0].text = "not the article text"
        with pytest.raises(StoreError, match="does not match"):
            st.add(a, c, unit(rng, 2))
        a, c = make_article("b", 1)
        st.add(a, c, unit(rng, 1))
        with pytest.raises(StoreError, match="dimension"):
            a2, c2 = make_article("c", 1)
            st.add(a2, c2, np.ones((1, DIM + 1), np.float32))


def test_manifest_orphans_and_clear(settings, rng):
    with open_store(None, settings, create=True) as st:
        for aid in ("a", "b", "c"):
            art, ch = make_article(aid, 1)
            st.add(art, ch, unit(rng, 1))
        st.set_source("/x/one.jsonl", "h1", ["a", "b"])
        st.set_source("/x/two.txt", "h2", ["b", "c"], complete=False)
        st.set_meta({"embedder": "m1"})
        st.commit()
        one = st.get_source("/x/one.jsonl")
        assert one["file_hash"] == "h1" and one["complete"] is True and one["article_ids"] == ["a", "b"]
        assert st.get_source("/x/two.txt")["complete"] is False
        assert [s["path"] for s in st.list_sources()] == ["/x/one.jsonl", "/x/two.txt"]
        st.delete_source("/x/one.jsonl")
        assert st.delete_orphans(["a", "b"]) == ["a"]  # b is still linked from two.txt
        st.commit()
        assert [r["id"] for r in st.list_articles()] == ["b", "c"]
        assert st.find_by_content_hash(st.get_article("c").content_hash) == "c"
        assert st.check() == []
        st.clear()
        st.set_meta({"embedder": "m2"})
        n, d = make_article("new", 1)
        st.add(n, d, np.ones((1, 8), np.float32) / np.sqrt(8))  # another dimension after clear
        st.rollback()
        assert st.meta["embedder"] == "m1" and st.meta["dim"] == DIM
        assert [r["id"] for r in st.list_articles()] == ["b", "c"]
        st.clear()
        st.add(n, d, np.ones((1, 8), np.float32) / np.sqrt(8))
        st.commit()
        assert st.meta["dim"] == 8 and [r["id"] for r in st.list_articles()] == ["new"] and st.check() == []
        assert st.search(np.ones(8, np.float32) / np.sqrt(8), 1)[0][0] == "new:0"


def test_collections_and_filters(settings, rng):
    vecs = {}
    with open_store(None, settings, create=True) as st:
        for j in range(20):
            art, chunks = make_article(f"a{j}", 2, collection="news" if j % 2 else "papers",
                                       date=f"2024-03-{j + 1:02d}" if j < 18 else "", source=f"s{j % 3}")
            v = unit(rng, 2)
            vecs.update({c.id: v[i] for i, c in enumerate(chunks)})
            st.add(art, chunks, v)
        st.commit()
        assert st.list_collections() == [{"name": "news", "n_articles": 10, "n_chunks": 20},
                                         {"name": "papers", "n_articles": 10, "n_chunks": 20}]
        q = vecs["a3:0"]
        cases = [
            (SearchFilter.make(collections="papers"), lambda j: j % 2 == 0),
            (SearchFilter.make(collections=["papers", "news"]), lambda j: True),
            (SearchFilter.make(sources=["s1"]), lambda j: j % 3 == 1),
            (SearchFilter.make(date_from="2024-03-05", date_to="2024/3/9"), lambda j: 4 <= j <= 8),
            (SearchFilter.make(date_to="2024-03-02"), lambda j: j <= 1),  # undated articles never match a date
            (SearchFilter.make(article_ids=["a3", "a7"], collections="news"), lambda j: j in (3, 7)),
        ]
        for f, want in cases:
            allowed = {f"a{j}:{i}" for j in range(20) if want(j) for i in range(2)}
            hits = st.search(q, 10, f)
            assert len(hits) == min(10, len(allowed)), f.describe()
            assert {h[0] for h in hits} <= allowed
            best = sorted(allowed, key=lambda cid: -float(vecs[cid] @ q))[: len(hits)]
            assert [h[0] for h in hits] == best, f.describe()
            assert st.count_matching(f) == len(allowed)
        nothing = SearchFilter.make(collections="nope")
        assert st.search(q, 10, nothing) == [] and st.count_matching(nothing) == 0
        assert st.delete_collection("news") and st.commit() is None
        assert st.list_collections() == [{"name": "papers", "n_articles": 10, "n_chunks": 20}]
        assert st.check() == []
    with pytest.raises(ValueError, match="not a date"):
        SearchFilter.make(date_from="last tuesday")
