"""The FAISS + SQLite store: add/search/delete/get, the three index kinds, reopen, atomic commits, no pickle."""
from __future__ import annotations

import pickle
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from articleqa.settings import Settings
from articleqa.store import StoreError, open_store
from tests.store_helpers import DIM, make_article, unit

def settings_for(kind: str) -> Settings:
    return Settings().with_overrides({"index.kind": kind, "index.ivf_nprobe": 64})


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf"])
def test_add_search_get_delete_reopen(tmp_path: Path, rng, kind):
    s = settings_for(kind)
    vecs = {}
    with open_store(tmp_path / "ix", s, create=True) as st:
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
        assert st.get_article("nope") is None
        st.delete("a3")
        st.commit()
        assert st.get_article("a3") is None
        assert all(not h[0].startswith("a3:") for h in st.search(vecs["a3:1"], 90))
        assert st.check() == []
        version = st.version
    with open_store(tmp_path / "ix", s) as st:
        assert st.version == version
        assert st.check() == []
        assert len(st.list_articles()) == 29 and sum(1 for _ in st.iter_chunks()) == 87
        assert st.search(vecs["a17:2"], 1)[0][0] == "a17:2"
        row = next(r for r in st.list_articles() if r["id"] == "a5")
        assert row["n_chunks"] == 3 and row["ingested_at"] > 0 and row["title"] == "title a5"


def test_replace_article_keeps_counts_consistent(tmp_path, rng):
    with open_store(tmp_path, Settings(), create=True) as st:
        art, chunks = make_article("x", 4)
        st.add(art, chunks, unit(rng, 4))
        art2, chunks2 = make_article("x", 2)
        v2 = unit(rng, 2)
        st.add(art2, chunks2, v2)
        st.commit()
        assert st.check() == []
        assert st.meta["n_chunks"] == 2
        assert st.search(v2[1], 1)[0][0] == "x:1"
        np.testing.assert_allclose(st.get_vectors(["x:1", "x:0"]), v2[::-1], atol=1e-6)


def test_uncommitted_changes_are_dropped(tmp_path, rng):
    s = Settings()
    with open_store(tmp_path, s, create=True) as st:
        a, c = make_article("keep", 2)
        st.add(a, c, unit(rng, 2))
        st.commit()
        v0 = st.version
        b, d = make_article("lost", 2)
        st.add(b, d, unit(rng, 2))
        st.delete("keep")
        # closing without commit rolls back
    with open_store(tmp_path, s) as st:
        assert st.version == v0
        assert [r["id"] for r in st.list_articles()] == ["keep"]
        assert st.check() == []
        b, d = make_article("lost", 2)
        st.add(b, d, unit(rng, 2))
        st.rollback()
        assert [r["id"] for r in st.list_articles()] == ["keep"]
        assert st.check() == []


def test_second_writer_is_refused(tmp_path, rng):
    s = Settings()
    with open_store(tmp_path, s, create=True) as w1, open_store(tmp_path, s) as w2:
        a, c = make_article("a", 1)
        w1.add(a, c, unit(rng, 1))
        with pytest.raises(StoreError, match="another process is writing"):
            w2.begin()
        w1.commit()
        w2.begin()  # free again after the commit
        w2.rollback()


def test_reader_sees_commits_of_another_writer(tmp_path, rng):
    s = Settings()
    with open_store(tmp_path, s, create=True) as w:
        a, c = make_article("a", 2)
        va = unit(rng, 2)
        w.add(a, c, va)
        w.commit()
        with open_store(tmp_path, s, read_only=True) as r:
            assert r.search(va[0], 1)[0][0] == "a:0"
            b, d = make_article("b", 2)
            vb = unit(rng, 2)
            w.add(b, d, vb)
            assert r.search(vb[0], 1)[0][0] != "b:0"  # not committed yet: invisible
            w.commit()
            assert r.search(vb[0], 1)[0][0] == "b:0"
            assert r.version == w.version


def test_missing_or_stale_faiss_cache_is_rebuilt(tmp_path, rng):
    s = Settings()
    with open_store(tmp_path, s, create=True) as st:
        a, c = make_article("a", 3)
        v = unit(rng, 3)
        st.add(a, c, v)
        st.commit()
    caches = list(tmp_path.glob("vectors-*.faiss"))
    assert len(caches) == 1
    caches[0].write_bytes(caches[0].read_bytes()[:100])  # truncated
    with open_store(tmp_path, s) as st:
        assert st.check() == [] and st.search(v[2], 1)[0][0] == "a:2"
    caches[0].unlink(missing_ok=True)
    for p in tmp_path.glob("vectors-*.faiss"):
        p.unlink()
    with open_store(tmp_path, s) as st:
        assert st.check() == [] and st.search(v[1], 1)[0][0] == "a:1"
    assert len(list(tmp_path.glob("vectors-*.faiss"))) == 1


def test_switching_index_kind_on_an_existing_index(tmp_path, rng):
    with open_store(tmp_path, settings_for("flat"), create=True) as st:
        for j in range(5):
            a, c = make_article(f"a{j}", 2)
            st.add(a, c, unit(rng, 2))
        st.commit()
        probe = st.get_vectors(["a4:1"])[0]
    for kind in ("hnsw", "ivf"):
        with open_store(tmp_path, settings_for(kind)) as st:
            assert st.check() == []
            assert st.search(probe, 1)[0][0] == "a4:1"


def test_bad_input_to_add_is_refused(tmp_path, rng):
    with open_store(tmp_path, Settings(), create=True) as st:
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


def test_open_missing_index_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="no index here"):
        open_store(tmp_path / "nothing", Settings())
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "store.sqlite").write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError):
        open_store(tmp_path / "junk", Settings())


def test_manifest_and_orphans(tmp_path, rng):
    with open_store(tmp_path, Settings(), create=True) as st:
        for aid in ("a", "b", "c"):
            art, ch = make_article(aid, 1)
            st.add(art, ch, unit(rng, 1))
        st.set_source("/x/one.jsonl", "h1", ["a", "b"])
        st.set_source("/x/two.txt", "h2", ["b", "c"], complete=False)
        st.commit()
        assert st.get_source("/x/one.jsonl") == {
            "path": "/x/one.jsonl", "file_hash": "h1", "complete": True,
            "ingested_at": st.get_source("/x/one.jsonl")["ingested_at"], "article_ids": ["a", "b"]}
        assert st.get_source("/x/two.txt")["complete"] is False
        st.delete_source("/x/one.jsonl")
        assert st.delete_orphans(["a", "b"]) == ["a"]  # b is still linked from two.txt
        st.commit()
        assert [r["id"] for r in st.list_articles()] == ["b", "c"]
        assert st.find_by_content_hash(st.get_article("c").content_hash) == "c"
        assert st.check() == []


def test_no_pickle_on_disk_or_when_opening(tmp_path, rng, monkeypatch):
    for kind in ("flat", "hnsw", "ivf"):
        d = tmp_path / kind
        with open_store(d, settings_for(kind), create=True) as st:
            for j in range(3):
                a, c = make_article(f"a{j}", 2)
                st.add(a, c, unit(rng, 2))
            st.set_source("/f", "h", ["a0"])
            st.commit()
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files
    for p in files:
        data = p.read_bytes()
        assert b"pickle" not in data.lower()
        with pytest.raises(Exception):
            pickle.loads(data)
        if p.name == "store.sqlite":
            con = sqlite3.connect(p)
            for (meta,) in con.execute("SELECT value FROM meta"):
                assert not meta.startswith("\x80")
            con.close()

    def no_pickle(*a, **k):
        raise AssertionError("pickle used")

    monkeypatch.setattr(pickle, "load", no_pickle)
    monkeypatch.setattr(pickle, "loads", no_pickle)
    monkeypatch.setattr(pickle, "Unpickler", no_pickle)
    for kind in ("flat", "hnsw", "ivf"):
        with open_store(tmp_path / kind, settings_for(kind)) as st:
            assert st.check() == []
            assert st.search(st.get_vectors(["a1:1"])[0], 1)[0][0] == "a1:1"
    src = Path(__file__).resolve().parents[1] / "articleqa" / "store"
    for py in src.glob("*.py"):
        text = py.read_text(encoding="utf-8")
        assert "import pickle" not in text and "pickle.load" not in text, py


def test_clear_then_commit_is_atomic(tmp_path, rng):
    with open_store(tmp_path, Settings(), create=True) as st:
        a, c = make_article("old", 2)
        st.add(a, c, unit(rng, 2))
        st.set_meta({"embedder": "m1"})
        st.commit()
        st.clear()
        st.set_meta({"embedder": "m2"})
        b, d = make_article("new", 1)
        st.add(b, d, np.ones((1, 8), np.float32) / np.sqrt(8))  # another dimension after clear
        st.rollback()
        assert st.meta["embedder"] == "m1" and st.meta["dim"] == DIM
        assert [r["id"] for r in st.list_articles()] == ["old"]
        st.clear()
        st.set_meta({"embedder": "m2"})
        st.add(b, d, np.ones((1, 8), np.float32) / np.sqrt(8))
        st.commit()
        assert st.meta["embedder"] == "m2" and st.meta["dim"] == 8
        assert [r["id"] for r in st.list_articles()] == ["new"]
        assert st.check() == []
