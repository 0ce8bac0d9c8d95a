"""The keyword index saved with the store: built at ingest, loaded memory-mapped, rebuilt when the store moves on,
and always scoring exactly like a fresh build."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from articleqa.settings import Settings
from articleqa.store import open_store
from ingest import ingest_paths
from interfaces.cli import main as cli_main
from qa.retrieval import keyword_files
from qa.retrieval.keyword import BM25Corpus, CorpusOptions
from qa.retrieval.keyword_index import KeywordIndex

DATA = Path(__file__).resolve().parents[1] / "eval" / "datasets"
QUERIES = ["共產黨支持什麼主義?", "共产党支持什么主义?", "美國眾議院的席位如何分配?", "楊浦區面積", "Who is the CEO?",
           "完全無關的問題xyz", ""]


def _articles(n: int, skip: int = 0) -> list[dict]:
    lines = (DATA / "drcd" / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(x) for x in lines[skip : skip + n]]


def _write(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings().with_overrides({"models.embed_backend": "onnx-int8"})


@pytest.fixture(scope="module")
def built(tmp_path_factory, settings):
    """An index of four DRCD articles made by `articleqa ingest` (which saves the keyword index)."""
    root = tmp_path_factory.mktemp("kw")
    docs = _write(root / "docs" / "a.jsonl", _articles(4))
    index = root / "index"
    env = {"ARTICLEQA_MODELS__EMBED_BACKEND": settings.models.embed_backend}
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        assert cli_main(["ingest", str(docs), "--index", str(index)]) == 0
    return root, index


def _fresh(store) -> BM25Corpus:
    titles = {a["id"]: a["title"] for a in store.list_articles()}
    return BM25Corpus(list(store.iter_chunks()), titles)


def _same_scores(a: BM25Corpus, b: BM25Corpus) -> None:
    assert [str(x) for x in a.ids] == [str(x) for x in b.ids]
    for q in QUERIES:
        sa, ca = a.scores(q)
        sb, cb = b.scores(q)
        assert np.array_equal(sa, sb), q
        assert ca == cb
        assert a.search(q, 5).ranked == b.search(q, 5).ranked


def test_ingest_saves_it_and_a_new_process_loads_it_memory_mapped(built, settings):
    _, index = built
    with open_store(index, settings) as store:
        folder = index / f"keyword-{store.version}"
        assert folder.is_dir() and (folder / "meta.json").exists()
        assert len(list(index.glob("keyword-*"))) == 1
        corpus = KeywordIndex(store).corpus()
        assert isinstance(corpus.body.data, np.memmap) and isinstance(corpus.ids, np.memmap)
        assert corpus.search("共產黨支持什麼主義?", 3).ranked  # a real hit, not an empty index
        _same_scores(corpus, _fresh(store))


def test_stale_index_is_rebuilt_for_the_new_commit(built, settings, tmp_path):
    root, index = built
    copy = tmp_path / "index"
    shutil.copytree(index, copy, ignore=shutil.ignore_patterns("write.lock"))
    with open_store(copy, settings) as store:
        old_version = store.version
    more = _write(tmp_path / "more" / "b.jsonl", _articles(2, skip=10))
    ingest_paths([more], copy, settings)  # the Python API: no keyword index saved at ingest
    with open_store(copy, settings) as store:
        assert store.version != old_version
        assert (copy / f"keyword-{old_version}").is_dir()
        corpus = KeywordIndex(store).corpus()  # stale: rebuilt, saved, the old folder removed
        assert [p.name for p in copy.glob("keyword-*")] == [f"keyword-{store.version}"]
        assert len(corpus) == sum(1 for _ in store.iter_chunks())
        _same_scores(corpus, _fresh(store))
        loaded = keyword_files.load(copy / f"keyword-{store.version}", store.version, CorpusOptions())
        _same_scores(loaded, _fresh(store))


def test_rebuild_reuses_tokens_of_unchanged_chunks_only(built, settings):
    _, index = built
    with open_store(index, settings) as store:
        chunks = list(store.iter_chunks())
        same, changed = chunks[0], chunks[1]
        from qa.retrieval.keyword import document_text

        previous = {
            same.id: (keyword_files._doc_hash(document_text(same)), ["zzmarker"]),  # same text: reused as is
            changed.id: (keyword_files._doc_hash("other text"), ["yymarker"]),  # text differs: tokenised again
        }
        corpus, docs, _ = keyword_files.build(store, CorpusOptions(), previous)
    assert docs[0] == ["zzmarker"] and "yymarker" not in docs[1]
    assert [c for c, _ in corpus.search("zzmarker", 3).ranked] == [same.id]
    assert corpus.search("yymarker", 3).ranked == []


def test_truncated_or_foreign_files_are_rebuilt(built, settings, tmp_path):
    _, index = built
    copy = tmp_path / "index"
    shutil.copytree(index, copy, ignore=shutil.ignore_patterns("write.lock"))
    with open_store(copy, settings) as store:
        folder = copy / f"keyword-{store.version}"
        data = folder / "body.data.npy"
        data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])
        assert keyword_files.load(folder, store.version, CorpusOptions()) is None
        other = CorpusOptions(stemming=False)
        corpus = KeywordIndex(store).corpus()  # rebuilt and saved again
        assert keyword_files.load(folder, store.version, CorpusOptions()) is not None
        assert keyword_files.load(folder, store.version, other) is None  # saved under other options: not used
        assert keyword_files.load(folder, "not-this-version", CorpusOptions()) is None
        _same_scores(corpus, _fresh(store))
