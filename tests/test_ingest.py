"""ingest_paths end to end with the real embedder, tiktoken, FAISS and SQLite: incremental re-ingest, updates,
prune, dedupe, refusal of a mismatched index, and bad files next to good ones."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import articleqa.models.embedder as embedder_mod
from interfaces.cli import main as cli_main
from articleqa.progress import ProgressEvent
from articleqa.settings import Settings
from articleqa.store import open_store
from ingest import IndexMismatch, ingest_paths
from tests.datapaths import SEED_PAGE, dataset_file

SEED = SEED_PAGE
DRCD = dataset_file("drcd")


def drcd_articles(n: int, paragraphs: int = 2) -> list[dict]:
    """The first ``n`` DRCD dev articles, cut to their first paragraphs (keeps embedding cheap)."""
    out = []
    with open(DRCD, encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            d["text"] = "\n\n".join(d["text"].split("\n\n")[:paragraphs])
            out.append(d)
            if len(out) == n:
                break
    return out


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


class EmbedCounter:
    def __init__(self) -> None:
        self.texts = 0
        self.calls = 0

    def install(self, monkeypatch) -> "EmbedCounter":
        real = embedder_mod.embed_passages

        def counting(model, texts, batch_size=32):
            texts = list(texts)
            self.texts += len(texts)
            self.calls += 1
            return real(model, texts, batch_size)

        monkeypatch.setattr(embedder_mod, "embed_passages", counting)
        return self


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="module")
def base(tmp_path_factory, settings):
    """A corpus folder (the seed page + a jsonl of three DRCD articles) and its index, built once; a pristine copy
    of both is kept so that each test can start from them at the same paths (the manifest keys on paths)."""
    root = tmp_path_factory.mktemp("base")
    docs = root / "docs"
    docs.mkdir()
    shutil.copy(SEED, docs / "seed.txt")
    write_jsonl(docs / "drcd.jsonl", drcd_articles(3))
    report = ingest_paths([docs], root / "index", settings)
    shutil.copytree(docs, root / "pristine-docs")
    shutil.copytree(root / "index", root / "pristine-index")
    return root, report


@pytest.fixture
def corpus(base):
    """The base corpus and index, restored for one test."""
    root, _ = base
    for name in ("docs", "index"):
        shutil.rmtree(root / name, ignore_errors=True)
        shutil.copytree(root / f"pristine-{name}", root / name)
    return root / "docs", root / "index"


def ids(index: Path, settings: Settings) -> set[str]:
    with open_store(index, settings) as st:
        return {r["id"] for r in st.list_articles()}


def test_first_ingest(base, settings):
    root, report = base
    assert report.ok, report.failed
    assert (report.added, report.updated, report.unchanged, report.deleted) == (4, 0, 0, 0)
    assert report.chunks == report.total_chunks > 4 and report.total_articles == 4
    with open_store(root / "index", settings) as st:
        assert st.check() == []
        meta = st.meta
        assert meta["embedder"] == settings.models.embedder and meta["dim"] == 384
        assert meta["chunking"]["size"] == settings.chunking.size
        arts = {r["id"]: r for r in st.list_articles()}
        assert {"drcd-6012"} <= set(arts)
        seed = next(r for r in arts.values() if r["path"].endswith("seed.txt"))
        assert "京東金融" in seed["title"]
        chunk = st.chunks_of(seed["id"])[0]
        art = st.get_article(seed["id"])
        assert art.text[chunk.start : chunk.end] == chunk.text
        assert not chunk.text.startswith(art.title)  # the title is not repeated in what users see
        # Dense search with a real query finds the seed article.
        from articleqa.models.embedder import embed_query, load_embedder

        q = embed_query(load_embedder(settings), "京東金融在哪一年實現單季盈利？")
        top = st.get_chunks([st.search(q, 1)[0][0]])[0]
        assert top.article_id == seed["id"]


def test_reingest_embeds_nothing(corpus, settings, monkeypatch):
    docs, index = corpus
    counter = EmbedCounter().install(monkeypatch)
    with open_store(index, settings) as st:
        v0 = st.version
    report = ingest_paths([docs], index, settings)
    assert counter.texts == 0 and report.chunks == 0
    assert (report.added, report.updated, report.unchanged, report.failed) == (0, 0, 4, [])
    with open_store(index, settings) as st:
        assert st.version == v0  # nothing committed


def test_changed_file_is_updated_and_only_it_is_embedded(corpus, settings, monkeypatch):
    docs, index = corpus
    before = ids(index, settings)
    seed = docs / "seed.txt"
    raw = seed.read_text(encoding="utf-8")
    old_sentence = "京東金融的快速增長受到資本的青睞。"
    assert old_sentence in raw
    seed.write_text(raw.replace(old_sentence, old_sentence + "京東金融表示，將繼續加大科技投入。"), encoding="utf-8")
    rows = drcd_articles(3)
    rows[1]["text"] += "\n\n這是新加入的一段文字。"
    write_jsonl(docs / "drcd.jsonl", rows)
    counter = EmbedCounter().install(monkeypatch)
    report = ingest_paths([docs], index, settings)
    assert report.ok, report.failed
    assert (report.added, report.updated, report.unchanged, report.deleted) == (0, 2, 2, 0)
    assert counter.texts == report.chunks > 0
    after = ids(index, settings)
    assert len(after) == 4 and rows[1]["id"] in after and rows[0]["id"] in after
    assert len(after - before) == 1  # the seed's id is a hash of its text: replaced, not duplicated
    with open_store(index, settings) as st:
        assert st.check() == []
        assert st.get_article(rows[1]["id"]).text.endswith("這是新加入的一段文字。")
        assert any("加大科技投入" in c.text for c in st.iter_chunks())


def test_prune_removes_articles_of_deleted_files(corpus, settings):
    docs, index = corpus
    (docs / "seed.txt").unlink()
    report = ingest_paths([docs], index, settings)  # without --prune: kept
    assert report.deleted == 0 and len(ids(index, settings)) == 4
    report = ingest_paths([docs], index, settings, prune=True)
    assert report.deleted == 1 and report.unchanged == 3
    left = ids(index, settings)
    assert left == {r["id"] for r in drcd_articles(3)}
    with open_store(index, settings) as st:
        assert st.check() == [] and len(st.list_sources()) == 1


def test_identical_text_is_stored_once(corpus, settings, monkeypatch):
    docs, index = corpus
    shutil.copy(docs / "seed.txt", docs / "seed-copy.txt")
    rows = drcd_articles(1)
    rows[0]["id"] = "same-text-other-id"
    write_jsonl(docs / "again.jsonl", rows)
    counter = EmbedCounter().install(monkeypatch)
    report = ingest_paths([docs], index, settings)
    assert counter.texts == 0
    assert report.duplicates == 2 and report.added == 0 and report.ok
    assert len(ids(index, settings)) == 4
    # The original goes away but the copy still holds the article.
    (docs / "seed.txt").unlink()
    report = ingest_paths([docs], index, settings, prune=True)
    assert report.deleted == 0 and len(ids(index, settings)) == 4
    with open_store(index, settings) as st:
        assert st.check() == []


def test_mismatched_index_is_refused(corpus, settings, capsys):
    docs, index = corpus
    other_model = settings.with_overrides({"models.embedder": "sentence-transformers/all-MiniLM-L6-v2"})
    with pytest.raises(IndexMismatch, match="--rebuild"):
        ingest_paths([docs], index, other_model)
    other_chunks = settings.with_overrides({"chunking.size": 128})
    with pytest.raises(IndexMismatch, match=r"chunking.*size 256 -> 128"):
        ingest_paths([docs], index, other_chunks)
    # The CLI says so in one line and exits 2; the index is untouched.
    (docs / "new.txt").write_text("一篇新的文章。內容很短。", encoding="utf-8")
    code = cli_main(["ingest", str(docs), "--index", str(index)])  # same settings: fine
    assert code == 0
    import os

    os.environ["ARTICLEQA_CHUNKING__SIZE"] = "128"
    try:
        code = cli_main(["ingest", str(docs), "--index", str(index)])
    finally:
        del os.environ["ARTICLEQA_CHUNKING__SIZE"]
    err = capsys.readouterr().err
    assert code == 2 and "--rebuild" in err
    with open_store(index, settings) as st:
        assert st.meta["chunking"]["size"] == 256 and st.check() == []


def test_rebuild_starts_fresh_with_new_settings(tmp_path, settings):
    docs = tmp_path / "docs"
    docs.mkdir()
    write_jsonl(docs / "one.jsonl", drcd_articles(1, paragraphs=1))
    index = tmp_path / "index"
    ingest_paths([docs], index, settings)
    small = settings.with_overrides({"chunking.size": 64})
    with pytest.raises(IndexMismatch):
        ingest_paths([docs], index, small)
    report = ingest_paths([docs], index, small, rebuild=True)
    assert report.added == 1 and report.ok
    with open_store(index, small) as st:
        assert st.meta["chunking"]["size"] == 64 and st.check() == []
        assert all(c.n_tokens <= 64 for c in st.iter_chunks())


def test_bad_files_next_to_good_ones(corpus, settings, capsys):
    docs, index = corpus
    before = ids(index, settings)
    bad = docs / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "binary.txt").write_bytes(bytes(range(256)) * 40)
    good_row = {"id": "good-line", "title": "好的一行", "text": "這一行是正常的文章。它應該被收錄。"}
    (bad / "mixed.jsonl").write_text(json.dumps(good_row, ensure_ascii=False) + "\n{not json\n", encoding="utf-8")
    (bad / "good.md").write_text("# 一篇好文章\n\n這篇文章沒有問題。它有兩句話。\n", encoding="utf-8")
    # A file that was ingested before and is now broken keeps its stored article.
    (docs / "drcd.jsonl").write_bytes(b"\x00\x01\x02 garbage \xff\xfe" * 50)
    capsys.readouterr()
    missing = docs / "missing.txt"
    code = cli_main(["ingest", str(docs), str(missing), "--index", str(index)])
    out, err = capsys.readouterr()
    assert code == 1
    err_lines = [ln for ln in err.splitlines() if ln.startswith("error: ")]
    named = {name: [ln for ln in err_lines if name in ln] for name in
             ("empty.txt", "binary.txt", "mixed.jsonl", "drcd.jsonl", "missing.txt")}
    for name, lines in named.items():
        assert len(lines) == 1, (name, err_lines)
    assert ":2:" in named["mixed.jsonl"][0]  # the bad line's number
    assert len(err_lines) == 5
    assert "2 added" in out and "5 failed" in out and "chunks embedded" in out
    after = ids(index, settings)
    assert before <= after  # nothing stored before is lost
    assert "good-line" in after and len(after) == len(before) + 2
    with open_store(index, settings) as st:
        assert st.check() == []
        assert st.get_source(str((bad / "mixed.jsonl").resolve()))["complete"] is False
    assert not missing.exists()


def test_progress_callback(tmp_path, settings):
    docs = tmp_path / "docs"
    docs.mkdir()
    write_jsonl(docs / "a.jsonl", drcd_articles(2, paragraphs=1))
    calls = []
    report = ingest_paths([docs], tmp_path / "index", settings, progress=calls.append)
    assert report.ok and report.chunks > 0
    assert all(isinstance(e, ProgressEvent) for e in calls)
    embedding = [e for e in calls if e.stage == "embed"]
    assert embedding and embedding[-1].done == embedding[-1].total == report.chunks
    assert embedding[-1].unit == "chunk" and "chunks/s" in embedding[-1].message
    assert [e.stage for e in calls if e.stage == "read"] and calls[-1].stage == "done"
    assert calls[-1].message.startswith("done:")
