"""The store interface: vectors plus article/chunk metadata.

`ingest` writes through it and `qa` reads through it, so a server-backed store (PostgreSQL + pgvector) can be
added as another backend without touching either.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Iterable, Iterator

import numpy as np

from articleqa.types import Article, Chunk


class StoreError(RuntimeError):
    pass


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
    def search(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """(chunk_id, inner product) of the k nearest chunks, best first."""

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

    def close(self) -> None:  # pragma: no cover - backends override when they hold resources
        pass

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
