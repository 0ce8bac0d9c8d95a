"""Two processes share one PostgreSQL store: an Assistant opened in this process answers about an article that a
CLI ingest in another process added after it was opened, without a restart; collections and filters limit what it
searches. Then the index is exported to a FAISS + SQLite folder and imported back without embedding again."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from articleqa.settings import Settings
from articleqa.store import SearchFilter, StoreError, open_store
from ingest import ingest_paths

SAMPLES = Path(__file__).resolve().parents[1] / "articleqa" / "samples" / "articles.jsonl"


def sample(article_id: str) -> dict:
    for line in SAMPLES.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        if d["id"] == article_id:
            return d
    raise KeyError(article_id)


def write(path: Path, *rows: dict) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "interfaces.cli", *args], env=env, capture_output=True,
                          text=True, timeout=600, cwd=Path(__file__).resolve().parents[1])


@pytest.fixture
def pg_settings(pg_url, tmp_path) -> Settings:
    return Settings().with_overrides({"store.url": pg_url, "index_dir": str(tmp_path / "unused"),
                                      "answer.mode": "extractive", "models.generator": "none"})


def test_cli_ingest_in_another_process_is_seen_without_restart(pg_settings, pg_url, tmp_path):
    from qa.assistant import Assistant

    lake = dict(sample("cmrc2018-DEV_1933"), date="2018-03-01")
    station = dict(sample("cmrc2018-DEV_1989"), date="2019-07-15")
    report = ingest_paths([write(tmp_path / "lakes.jsonl", lake)], settings=pg_settings, collection="lakes")
    assert report.added == 1
    question = "株洲北站位于湖南省哪个城市?"
    with Assistant.open(settings=pg_settings) as assistant:
        before = assistant.retrieve(question)
        assert all(p.chunk.article_id != station["id"] for p in before)
        env = dict(os.environ, ARTICLEQA_STORE__URL=pg_url)
        done = cli("ingest", str(write(tmp_path / "stations.jsonl", station)), "--collection", "stations", env=env)
        assert done.returncode == 0, done.stderr
        after = assistant.retrieve(question)  # the same process, the same open store: no restart
        assert after[0].chunk.article_id == station["id"]
        ans = assistant.ask(question)
        assert not ans.refused and ans.citations and ans.citations[0].article_id == station["id"]
        assert "株洲" in ans.text
        only_lakes = assistant.retrieve(question, filters=SearchFilter.make(collections="lakes"))
        assert only_lakes and all(p.chunk.article_id == lake["id"] for p in only_lakes)
        by_date = assistant.retrieve(question, filters=SearchFilter.make(date_to="2018-12-31"))
        assert by_date and all(p.chunk.article_id == lake["id"] for p in by_date)
        none = assistant.ask(question, filters=SearchFilter.make(sources=["no such source"]))
        assert none.refused and any("No article matches the filter" in n for n in none.notes)
    with Assistant.open(settings=pg_settings, collections=["lakes"]) as lakes_only:
        assert all(p.chunk.article_id == lake["id"] for p in lakes_only.retrieve(question))
    asked = cli("ask", question, "--mode", "extractive", "--collection", "stations", "--json",
                env=dict(env, ARTICLEQA_MODELS__GENERATOR="none"))
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout)["citations"][0]["article_id"] == station["id"]


def test_export_and_import_between_backends_keep_vectors(pg_settings, pg_url, tmp_path, pg_server):
    from articleqa.store import pg_server as server

    lake = sample("cmrc2018-DEV_1933")
    ingest_paths([write(tmp_path / "a.jsonl", lake)], settings=pg_settings, collection="lakes")
    env = dict(os.environ, ARTICLEQA_STORE__URL=pg_url)
    folder = tmp_path / "exported"
    done = cli("export", str(folder), env=env)
    assert done.returncode == 0 and "copied 1 articles" in done.stdout, done.stderr
    again = cli("export", str(folder), env=env)
    assert again.returncode == 2 and "--replace" in again.stderr
    target = server.create_database(pg_server, f"import{os.getpid()}")
    back = cli("import", str(folder), env=dict(os.environ, ARTICLEQA_STORE__URL=target))
    assert back.returncode == 0, back.stderr
    local = Settings().with_overrides({"index_dir": str(folder)})
    with open_store(None, pg_settings) as a, open_store(None, local) as b, \
            open_store(None, pg_settings.with_overrides({"store.url": target})) as c:
        ids = [ch.id for ch in a.iter_chunks()]
        assert ids and [ch.id for ch in b.iter_chunks()] == ids == [ch.id for ch in c.iter_chunks()]
        np.testing.assert_array_equal(a.get_vectors(ids), b.get_vectors(ids))
        np.testing.assert_array_equal(a.get_vectors(ids), c.get_vectors(ids))
        assert b.get_article(lake["id"]).collection == "lakes" == c.get_article(lake["id"]).collection
        assert a.meta["embedder"] == b.meta["embedder"] == c.meta["embedder"]
        assert b.check() == [] and c.check() == []
        assert b.get_source(a.list_sources()[0]["path"]) == {**a.list_sources()[0],
                                                              "ingested_at": b.list_sources()[0]["ingested_at"]}


def test_unchanged_file_into_another_collection_moves_without_embedding(pg_settings, tmp_path):
    lake = sample("cmrc2018-DEV_1933")
    path = write(tmp_path / "a.jsonl", lake)
    assert ingest_paths([path], settings=pg_settings, collection="lakes").added == 1
    again = ingest_paths([path], settings=pg_settings, collection="lakes")
    assert again.unchanged == 1 and again.chunks == 0
    moved = ingest_paths([path], settings=pg_settings, collection="archive")
    assert moved.updated == 1 and moved.chunks == 0  # nothing embedded again
    with open_store(None, pg_settings) as st:
        assert st.get_article(lake["id"]).collection == "archive"
        assert st.list_collections() == [{"name": "archive", "n_articles": 1, "n_chunks": st.meta["n_chunks"]}]
        assert st.check() == []


def test_killed_ingest_leaves_nothing_and_frees_the_writer_lock(pg_settings, pg_url, tmp_path):
    import signal

    lake, station = sample("cmrc2018-DEV_1933"), sample("cmrc2018-DEV_1989")
    ingest_paths([write(tmp_path / "a.jsonl", lake)], settings=pg_settings)
    env = dict(os.environ, ARTICLEQA_STORE__URL=pg_url, ARTICLEQA_DEBUG_COMMIT_PAUSE="before-commit:120")
    proc = subprocess.Popen([sys.executable, "-m", "interfaces.cli", "ingest", str(write(tmp_path / "b.jsonl", station))],
                            env=env, stderr=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[1])
    try:
        for line in proc.stderr:  # wait until everything is written and the transaction is still open
            if "paused at before-commit" in line:
                break
        assert proc.poll() is None
        with open_store(None, pg_settings) as other:
            with pytest.raises(StoreError, match="another process is writing"):
                other.begin()
            assert other.get_article(station["id"]) is None  # uncommitted: invisible
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    with open_store(None, pg_settings) as st:
        assert st.get_article(station["id"]) is None and [a["id"] for a in st.list_articles()] == [lake["id"]]
        assert st.check() == []
        st.begin()  # the lock went with the killed connection
        st.rollback()
