"""Vector + metadata stores. ``open_store`` picks the backend (FAISS + SQLite is the only one so far)."""
from __future__ import annotations

import os
from pathlib import Path

from articleqa.store.base import Store, StoreError


def open_store(index_dir: str | os.PathLike[str] | None, settings, create: bool = False,
               read_only: bool = False) -> Store:
    """Open the index at ``index_dir`` (default ``settings.index_dir``); ``create`` makes an empty one if absent."""
    from articleqa.store.faiss_sqlite import FaissSqliteStore

    path = Path(index_dir if index_dir is not None else settings.index_dir)
    return FaissSqliteStore.open(path, settings, create=create, read_only=read_only)


__all__ = ["Store", "StoreError", "open_store"]
