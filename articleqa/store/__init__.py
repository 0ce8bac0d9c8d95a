"""Vector + metadata stores. ``open_store`` picks the backend from ``settings.store.url``: empty = FAISS + SQLite in
``index_dir``; ``postgresql://...`` = PostgreSQL with pgvector."""
from __future__ import annotations

import os
from pathlib import Path

from articleqa.store.base import Store, StoreError
from articleqa.store.filters import DEFAULT_COLLECTION, SearchFilter


def is_postgres_url(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def open_store(index_dir: str | os.PathLike[str] | None, settings, create: bool = False,
               read_only: bool = False) -> Store:
    """Open the store the settings name: ``settings.store.url`` when set (``index_dir`` is then ignored), else the
    index at ``index_dir`` (default ``settings.index_dir``); ``create`` makes an empty one if absent."""
    url = settings.store.url.strip()
    if url:
        if not is_postgres_url(url):
            raise StoreError(f"store.url {url!r}: expected empty (local index) or a postgresql:// URL")
        from articleqa.store.postgres import PostgresStore

        return PostgresStore.open(url, settings, create=create, read_only=read_only)
    from articleqa.store.faiss_sqlite import FaissSqliteStore

    path = Path(index_dir if index_dir is not None else settings.index_dir)
    return FaissSqliteStore.open(path, settings, create=create, read_only=read_only)


def store_location(settings) -> str:
    """What the settings point at, for messages: the PostgreSQL URL (password hidden) or the index folder."""
    if settings.store.url.strip():
        from articleqa.store.postgres import redact

        return redact(settings.store.url.strip())
    return str(settings.index_dir)


def store_exists(settings) -> bool:
    """Whether there is something to open (a PostgreSQL URL always counts: opening it says what is wrong)."""
    return bool(settings.store.url.strip()) or Path(settings.index_dir).expanduser().exists()


__all__ = ["DEFAULT_COLLECTION", "SearchFilter", "Store", "StoreError", "open_store", "store_exists",
           "store_location"]
