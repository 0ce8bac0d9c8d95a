"""Helpers for the contract tests (tests/test_contract_*.py): the bundled sample index on either store backend,
without embedding twice: the local index is built once per session, a PostgreSQL copy is made with
`articleqa.store.transfer.copy_store` (vectors included)."""
from __future__ import annotations

import itertools
import os
from pathlib import Path

from articleqa.settings import Settings, load_settings

BACKENDS = ("faiss", "postgres")
_n = itertools.count()


def shared_sample_index(tmp_path_factory) -> Path:
    """The session's sample index (the same folder tests/test_api.py uses, so it is built once)."""
    from interfaces.webui.testing import build_sample_index

    return build_sample_index(tmp_path_factory.getbasetemp() / "aq-sample-index", load_settings())


def sample_store_settings(backend: str, tmp_path_factory, pg_server: str | None, **overrides) -> Settings:
    """Settings whose store holds the sample articles: a private copy of the local index ("faiss"), or a fresh
    PostgreSQL database on ``pg_server`` filled from it ("postgres"). Extractive answers, no generator."""
    from articleqa.store import open_store
    from interfaces.webui.testing import copy_index

    shared = shared_sample_index(tmp_path_factory)
    index = copy_index(shared, tmp_path_factory.mktemp(f"contract-{backend}") / "index")
    values = {"index_dir": str(index), "answer.mode": "extractive", "models.generator": "none", **overrides}
    local = load_settings().with_overrides(values)
    if backend == "faiss":
        return local
    from articleqa.store import pg_server as server
    from articleqa.store.transfer import copy_store

    url = server.create_database(pg_server, f"contract{os.getpid()}_{next(_n)}")
    settings = local.with_overrides({"store.url": url})
    with open_store(index, local, read_only=True) as src, open_store(None, settings, create=True) as dst:
        copy_store(src, dst)
    return settings
