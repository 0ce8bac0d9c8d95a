"""`articleqa eval` searches where its articles are, says where, and never reports a zero it did not measure: on
PostgreSQL (``store.url``) the --articles are indexed into that database (their own collection) and give the same
figures as the local index; a store that lacks the questions' articles, or a database without the schema, is a
one-line error (exit 2), not a report of misses or a traceback."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from articleqa.settings import load_settings
from eval.datasets import article_paths, questions_path
from interfaces.cli import main

SEED_Q = str(questions_path("seed"))
SEED_A = [str(p) for p in article_paths("seed")]
CMRC_Q = str(questions_path("cmrc2018"))


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """Eval indexes go to a temporary cache; the converted models are the user's model cache, linked."""
    real = load_settings().cache_dir
    cache = tmp_path_factory.getbasetemp() / "eval-store-cache"
    if not cache.exists():
        cache.mkdir()
        for name in ("models", "tiktoken"):
            (real / name).mkdir(parents=True, exist_ok=True)
            (cache / name).symlink_to(real / name, target_is_directory=True)
    monkeypatch.setenv("ARTICLEQA_CACHE", str(cache))
    return cache


def _eval(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["eval", *args, "--no-progress", "--mode", "retrieval"])
    out, err = capsys.readouterr()
    return code, out, err


def _one_line_error(code: int, err: str, *words: str) -> None:
    lines = [x for x in err.splitlines() if x.startswith("error:")]
    assert code == 2 and len(lines) == 1, err
    assert "Traceback" not in err, err
    for w in words:
        assert w in lines[0], lines[0]


def test_eval_on_postgres_matches_the_local_index(tmp_path, capsys, monkeypatch, pg_url):
    # the local run first: it leaves the cached local index that main then named while searching PostgreSQL
    code, out, err = _eval(capsys, SEED_Q, "--articles", *SEED_A, "--out", str(tmp_path / "local"))
    assert code == 0, err
    local = json.loads((tmp_path / "local" / "report.json").read_text(encoding="utf-8"))
    local_out = out

    monkeypatch.setenv("ARTICLEQA_STORE__URL", pg_url)  # a fresh database: no schema yet
    code, out, err = _eval(capsys, SEED_Q, "--articles", *SEED_A, "--out", str(tmp_path / "pg"))
    assert code == 0, err
    assert "reusing the index" not in err and "Traceback" not in err
    pg = json.loads((tmp_path / "pg" / "report.json").read_text(encoding="utf-8"))
    for metric in ("hit@1", "hit@5", "mrr@10"):
        assert pg["metrics"][metric]["n"] == local["metrics"][metric]["n"] == 5
        assert abs(pg["metrics"][metric]["value"] - local["metrics"][metric]["value"]) <= 0.01, metric
    assert local["metrics"]["hit@5"]["value"] >= 0.8  # a real measurement, not a silent zero
    # each report says what it searched
    assert local["searched"]["backend"] == "faiss-sqlite" and local["searched"]["articles_files"] == SEED_A
    assert "searched " in local_out and "1 articles" in local_out
    assert pg["searched"]["backend"] == "postgresql" and pg["searched"]["collections"][0].startswith("eval-")
    assert pg["searched"]["n_articles"] == 1 and "postgresql" in out

    # a rerun finds the articles already in the database and embeds nothing
    code, _, err = _eval(capsys, SEED_Q, "--articles", *SEED_A, "--out", str(tmp_path / "pg2"))
    assert code == 0 and "unchanged" in err, err


def test_a_store_without_the_questions_articles_is_refused(tmp_path, capsys, monkeypatch, pg_url):
    # local: an index of the seed article, asked CMRC 2018's questions
    code, _, err = _eval(capsys, SEED_Q, "--articles", *SEED_A, "--out", str(tmp_path / "seed"))
    assert code == 0, err
    from eval.index import index_dir_for

    seed_index = index_dir_for([Path(p) for p in SEED_A], load_settings())
    code, _, err = _eval(capsys, CMRC_Q, "--index", str(seed_index), "--out", str(tmp_path / "x"))
    _one_line_error(code, err, "157 answerable questions have no gold article", str(seed_index))
    assert not (tmp_path / "x").exists()

    # PostgreSQL: a database without the schema (main: a traceback), then one holding other articles
    monkeypatch.setenv("ARTICLEQA_STORE__URL", pg_url)
    code, _, err = _eval(capsys, SEED_Q, "--out", str(tmp_path / "y"))
    _one_line_error(code, err, "no articleqa schema")
    code, _, err = _eval(capsys, SEED_Q, "--articles", *SEED_A, "--out", str(tmp_path / "z"))
    assert code == 0, err
    code, _, err = _eval(capsys, CMRC_Q, "--out", str(tmp_path / "w"))
    _one_line_error(code, err, "have no gold article in postgresql://", "every collection")
    # the questions' own articles searched through --collection of another name: refused too
    code, _, err = _eval(capsys, SEED_Q, "--collection", "news", "--out", str(tmp_path / "v"))
    _one_line_error(code, err, "5 of 5 answerable questions", "collection news")


def test_eval_articles_already_in_another_collection_are_not_moved(tmp_path, capsys, monkeypatch, pg_url):
    monkeypatch.setenv("ARTICLEQA_STORE__URL", pg_url)
    assert main(["ingest", *SEED_A, "--collection", "news"]) == 0
    capsys.readouterr()
    code, _, err = _eval(capsys, SEED_Q, "--articles", *SEED_A, "--out", str(tmp_path / "a"))
    _one_line_error(code, err, "already in collection 'news'", "--collection news")
    code, out, err = _eval(capsys, SEED_Q, "--collection", "news", "--out", str(tmp_path / "b"))
    assert code == 0, err
    assert json.loads((tmp_path / "b" / "report.json").read_text())["metrics"]["hit@5"]["value"] >= 0.8
