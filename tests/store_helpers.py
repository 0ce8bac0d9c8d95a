"""Helpers for the store tests: small articles with exact chunk spans, unit vectors, a store of either backend."""
from __future__ import annotations

import hashlib

import numpy as np

from articleqa.settings import Settings
from articleqa.types import Article, Chunk

DIM = 16


def unit(rng: np.random.Generator, n: int, dim: int = DIM) -> np.ndarray:
    v = rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def make_article(aid: str, n_chunks: int, title: str = "", collection: str = "", date: str = "",
                 source: str = "test", words: str = "") -> tuple[Article, list[Chunk]]:
    parts = [f"{aid} 第{i}段的句子。{words}" for i in range(n_chunks)]
    text = "\n\n".join(parts)
    chunks, pos = [], 0
    for i, p in enumerate(parts):
        start = text.index(p, pos)
        chunks.append(Chunk(id=f"{aid}:{i}", article_id=aid, ordinal=i, text=p, start=start, end=start + len(p),
                            heading="", n_tokens=len(p)))
        pos = start + len(p)
    art = Article(id=aid, title=title or f"title {aid}", text=text, source=source, lang="zh-Hant", date=date,
                  collection=collection, content_hash=hashlib.sha256(text.encode()).hexdigest())
    return art, chunks


def backend_settings(backend: str, tmp_path, pg_url: str | None, **overrides) -> Settings:
    """Settings for ``backend`` ("faiss" -> an index folder under tmp_path; "postgres" -> the database pg_url)."""
    values = {"index_dir": str(tmp_path / "ix"), **overrides}
    if backend == "postgres":
        values["store.url"] = pg_url
    return Settings().with_overrides(values)


def dated_news_settings(index_parent) -> Settings:
    """Settings (extractive mode) of a fresh index holding tests/data/time/dated_news.jsonl: five short dated
    articles and one undated, for the web chat's date controls."""
    from articleqa.settings import load_settings
    from ingest import ingest_paths
    from tests.datapaths import TEST_DATA, data_file

    settings = load_settings().with_overrides({"index_dir": str(index_parent / "index"), "answer.mode": "extractive"})
    report = ingest_paths([data_file(TEST_DATA / "time" / "dated_news.jsonl")], settings=settings)
    assert report.added == 5 and not report.failed, report.failed
    return settings
