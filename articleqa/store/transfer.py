"""Copy a whole index between stores (FAISS + SQLite <-> PostgreSQL), vectors included: no re-embedding.

The destination gets every article (with its collection), its chunks and their stored vectors, the ingest manifest
and the index identity (embedder, chunking), in ONE transaction: a copy that fails half-way leaves it as it was.
"""
from __future__ import annotations

from dataclasses import dataclass

from articleqa.store.base import Store, StoreError

# Meta entries that describe the content (the rest: format, version, counts, dim are the destination's own).
COPIED_META = ("embedder", "chunking")


@dataclass
class TransferReport:
    articles: int = 0
    chunks: int = 0
    sources: int = 0

    def summary(self) -> str:
        return f"copied {self.articles} articles, {self.chunks} chunks (with their vectors), {self.sources} sources"


def copy_store(src: Store, dst: Store, replace: bool = False) -> TransferReport:
    """Copy everything in ``src`` into ``dst`` and commit. ``dst`` must be empty unless ``replace`` (then it is
    cleared in the same transaction)."""
    report = TransferReport()
    dst.begin()
    try:
        if dst.meta.get("n_articles"):
            if not replace:
                raise StoreError("the destination already holds articles (use --replace to overwrite it)")
            dst.clear()
        for row in src.list_articles():
            article = src.get_article(row["id"])
            chunks = src.chunks_of(row["id"])
            if article is None or not chunks:
                continue
            dst.add(article, chunks, src.get_vectors([c.id for c in chunks]))
            report.articles += 1
            report.chunks += len(chunks)
        for entry in src.list_sources():
            dst.set_source(entry["path"], entry["file_hash"], entry["article_ids"], complete=entry["complete"])
            report.sources += 1
        meta = src.meta
        dst.set_meta({k: meta[k] for k in COPIED_META if k in meta})
        dst.commit()
    except BaseException:
        dst.rollback()
        raise
    return report
