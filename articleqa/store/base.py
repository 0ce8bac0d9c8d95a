"""The store interface: vectors plus article/chunk metadata.

`ingest` writes through it and `qa` reads through it, so a server-backed store (PostgreSQL + pgvector) can be
added as another backend without touching either.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Iterable, Iterator

import numpy as np

from articleqa.store.filters import SearchFilter
from articleqa.types import Article, Chunk


class StoreError(RuntimeError):
    pass


def checked_vectors(article: Article, chunks: list[Chunk], vectors) -> np.ndarray:
    """``vectors`` as contiguous float32 after checking that they and ``chunks`` fit ``article`` (every backend's
    ``add`` starts here)."""
    vectors = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32))
    if vectors.ndim != 2 or vectors.shape[0] != len(chunks):
        raise StoreError(f"{article.id}: {len(chunks)} chunks but vectors of shape {vectors.shape}")
    if not chunks:
        raise StoreError(f"{article.id}: an article needs at least one chunk")
    for c in chunks:
        if c.article_id != article.id:
            raise StoreError(f"chunk {c.id} belongs to {c.article_id}, not {article.id}")
        if article.text[c.start : c.end] != c.text:
            raise StoreError(f"chunk {c.id}: text does not match article.text[{c.start}:{c.end}]")
    return vectors


class Store(ABC):
    """A vector + metadata store. Writes become visible atomically at `commit()`."""

    @property
    @abstractmethod
    def meta(self) -> dict[str, Any]:
        """Index-wide facts: embedding model and dimension, chunking settings, format version."""

    @property
    @abstractmethod
    def version(self) -> str:
        """Changes on every commit; readers use it to refresh caches such as the keyword index."""

    @abstractmethod
    def add(self, article: Article, chunks: list[Chunk], vectors: np.ndarray) -> None:
        """Add or replace an article with its chunks and their L2-normalised vectors (len(chunks) x dim)."""

    @abstractmethod
    def delete(self, article_id: str) -> None: ...

    @abstractmethod
    def search(self, vector: np.ndarray, k: int, filters: SearchFilter | None = None) -> list[tuple[str, float]]:
        """(chunk_id, inner product) of the k nearest chunks that pass ``filters``, best first. The filter is applied
        inside the search: k results come back whenever k chunks pass it."""

    @abstractmethod
    def get_chunks(self, chunk_ids: Iterable[str]) -> list[Chunk]: ...

    @abstractmethod
    def get_article(self, article_id: str) -> Article | None: ...

    @abstractmethod
    def list_articles(self) -> list[dict[str, Any]]:
        """One dict per article: the Article fields plus n_chunks and ingested_at."""

    @abstractmethod
    def iter_chunks(self) -> Iterator[Chunk]: ...

    @abstractmethod
    def commit(self) -> None: ...

    # --- Writer-side extensions (ingest uses them; readers need not). Defaults refuse, so a read-only or
    # --- test backend only has to implement the abstract methods above.

    def begin(self) -> None:
        """Become the writer now (fail fast if another process is writing) instead of at the first write."""

    def chunks_of(self, article_id: str) -> list[Chunk]:
        """An article's chunks in order (backends may override with something faster)."""
        return sorted((c for c in self.iter_chunks() if c.article_id == article_id), key=lambda c: c.ordinal)

    def get_vectors(self, chunk_ids: Iterable[str]) -> np.ndarray:
        """The stored vectors of ``chunk_ids``, one row each, in the given order."""
        raise NotImplementedError

    def set_meta(self, values: dict[str, Any]) -> None:
        """Merge ``values`` into :attr:`meta` (visible at the next commit)."""
        raise NotImplementedError

    def rollback(self) -> None:
        """Drop every change since the last commit."""
        raise NotImplementedError

    def clear(self) -> None:
        """Remove every article, chunk, source and meta entry (for a rebuild; visible at the next commit)."""
        raise NotImplementedError

    def find_by_content_hash(self, content_hash: str) -> str | None:
        """The id of a stored article whose cleaned text has this hash, if any."""
        raise NotImplementedError

    def get_source(self, path: str) -> dict[str, Any] | None:
        """The ingest manifest entry of a source file: path, file_hash, complete, ingested_at, article_ids."""
        raise NotImplementedError

    def list_sources(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def set_source(self, path: str, file_hash: str, article_ids: list[str], complete: bool = True) -> None:
        """Record that ``path`` (with this content hash) yielded ``article_ids``; ``complete`` is False when some
        of its records were bad, so that the next ingest looks at it again."""
        raise NotImplementedError

    def delete_source(self, path: str) -> None:
        """Forget a source file (its articles stay until :meth:`delete` or :meth:`delete_orphans`)."""
        raise NotImplementedError

    def delete_orphans(self, article_ids: Iterable[str]) -> list[str]:
        """Delete those of ``article_ids`` that no source refers to any more; returns the ids deleted."""
        raise NotImplementedError

    def check(self) -> list[str]:
        """Consistency problems (empty when sound): every chunk has one vector, counts agree, spans are exact."""
        raise NotImplementedError

    def count_matching(self, filters: SearchFilter | None) -> int:
        """How many chunks pass ``filters``."""
        raise NotImplementedError

    def list_collections(self) -> list[dict[str, Any]]:
        """One dict per collection: name, n_articles, n_chunks."""
        raise NotImplementedError

    def delete_collection(self, name: str) -> list[str]:
        """Delete every article of collection ``name`` (visible at the next commit); returns their ids."""
        ids = [a["id"] for a in self.list_articles() if a.get("collection") == name]
        for aid in ids:
            self.delete(aid)
        return ids

    def close(self) -> None:  # pragma: no cover - backends override when they hold resources
        pass

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
