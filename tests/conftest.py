"""Shared fixtures. ``pg_server``: ONE embedded PostgreSQL 18 + pgvector for the whole session (started on first
use, in a temporary folder, stopped at the end); ``pg_url``: a fresh empty database on it for one test."""
from __future__ import annotations

import itertools
import os

import pytest

_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory):
    from articleqa.store import pg_server as server

    data = tmp_path_factory.mktemp("pg") / "data"
    url = server.start(data)
    yield url
    server.stop(data)


@pytest.fixture
def pg_url(pg_server):
    from articleqa.store import pg_server as server

    return server.create_database(pg_server, f"t{os.getpid()}_{next(_counter)}")


def pytest_collection_modifyitems(config, items):
    """A test that uses the embedded PostgreSQL (``pg_url`` / ``pg_server``) is marked ``pg``, so that
    ``make test-fast`` (``-m "not slow and not browser and not pg"``) leaves it out without a list to keep."""
    for item in items:
        if {"pg_url", "pg_server"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.pg)
