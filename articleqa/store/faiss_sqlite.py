"""The default store: SQLite holds everything (articles, chunks, their float32 vectors, the ingest manifest, meta);
FAISS is a derived search structure, cached on disk per committed version.

Why this design rather than generation directories with a ``CURRENT`` pointer:

* One commit point. A commit is one SQLite transaction (WAL, ``synchronous=FULL``), which SQLite makes atomic
  and durable under ``kill -9`` and power loss. There is no multi-file rename protocol to get right and no window
  where a FAISS file and a metadata file disagree: after a crash SQLite rolls back to the previous commit, whose
  data (vectors included) is complete by construction.
* The FAISS file can never be inconsistent with the metadata: it is named ``vectors-<kind>-<version>.faiss`` after
  the commit it was built from and is only used when that version is SQLite's current one and its vector count
  matches; otherwise it is rebuilt from the vectors in SQLite (a copy for ``flat``, seconds for HNSW/IVF on
  tens of thousands of chunks) and rewritten atomically. A crash between the SQLite commit and the cache write
  only costs one rebuild at the next open.
* No whole-database copy per commit (the generation design copies ``store.sqlite`` every time), and readers in
  other processes (the web app) keep reading the last commit while an ingest is running (WAL), then pick up the
  new version at their next search.
* No pickle anywhere: SQLite rows, JSON meta values, ``faiss.write_index``/``read_index``.

Ids: each chunk row's ``INTEGER PRIMARY KEY AUTOINCREMENT`` is its int64 FAISS id, never reused after a delete.

One writer at a time: the first write takes an exclusive ``flock`` on ``write.lock`` (a second ingest fails at
once with a clear message instead of waiting on SQLite's lock) and holds it until commit/rollback/close.

Test hook (tiny, documented): ``ARTICLEQA_DEBUG_COMMIT_PAUSE=<stage>:<seconds>`` with stage ``before-commit`` (all
writes done, SQLite transaction still open) or ``after-commit`` (SQLite committed, FAISS cache not yet written)
prints ``articleqa-debug: paused at <stage>`` to stderr and sleeps, so tests can SIGKILL the process there.
"""
from __future__ import annotations

import json
import os
import sqlite3
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np

from articleqa.models.files import atomic_path
from articleqa.store.base import Store, StoreError, checked_vectors
from articleqa.store.filters import DEFAULT_COLLECTION, SearchFilter, iso_date
from articleqa.types import Article, Chunk

FORMAT = "articleqa-faiss-sqlite/1"
DB_NAME = "store.sqlite"
LOCK_NAME = "write.lock"
CACHE_PREFIX = "vectors-"
DEBUG_PAUSE_ENV = "ARTICLEQA_DEBUG_COMMIT_PAUSE"

_ARTICLE_FIELDS = ("id", "title", "text", "source", "url", "date", "author", "lang", "path", "content_hash",
                   "collection")
# Columns added after the first release; an index without them gets them when it is next opened for writing.
_ADDED_COLUMNS = {"collection": f"TEXT NOT NULL DEFAULT '{DEFAULT_COLLECTION}'", "pub_date": "TEXT"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, text TEXT NOT NULL, source TEXT NOT NULL, url TEXT NOT NULL,
    date TEXT NOT NULL, author TEXT NOT NULL, lang TEXT NOT NULL, path TEXT NOT NULL, content_hash TEXT NOT NULL,
    n_chunks INTEGER NOT NULL, ingested_at REAL NOT NULL,
    collection TEXT NOT NULL DEFAULT 'default', pub_date TEXT
);
CREATE INDEX IF NOT EXISTS articles_by_hash ON articles(content_hash);
CREATE TABLE IF NOT EXISTS chunks (
    fid INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, text TEXT NOT NULL, start_char INTEGER NOT NULL, end_char INTEGER NOT NULL,
    heading TEXT NOT NULL, n_tokens INTEGER NOT NULL, vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_article ON chunks(article_id, ordinal);
CREATE TABLE IF NOT EXISTS sources (
    path TEXT PRIMARY KEY, file_hash TEXT NOT NULL, complete INTEGER NOT NULL, ingested_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS source_articles (
    path TEXT NOT NULL REFERENCES sources(path) ON DELETE CASCADE, article_id TEXT NOT NULL,
    PRIMARY KEY (path, article_id)
);
CREATE INDEX IF NOT EXISTS source_articles_by_article ON source_articles(article_id);
"""

_CHUNK_COLS = "id, article_id, ordinal, text, start_char, end_char, heading, n_tokens"


def _row_to_chunk(row: tuple) -> Chunk:
    return Chunk(
        id=row[0], article_id=row[1], ordinal=row[2], text=row[3], start=row[4], end=row[5], heading=row[6],
        n_tokens=row[7],
    )


def _debug_pause(stage: str) -> None:
    spec = os.environ.get(DEBUG_PAUSE_ENV, "")
    if not spec:
        return
    name, _, seconds = spec.partition(":")
    if name == stage:
        print(f"articleqa-debug: paused at {stage}", file=sys.stderr, flush=True)
        time.sleep(float(seconds or 30))


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class FaissSqliteStore(Store):
    def __init__(self, index_dir: Path, settings, conn: sqlite3.Connection, read_only: bool = False):
        self.index_dir = Path(index_dir)
        self.settings = settings
        self._conn = conn
        self._read_only = read_only
        self._lock = threading.RLock()
        self._lock_fd: int | None = None
        self._in_txn = False
        self._index = None  # faiss.IndexIDMap or None when there are no vectors yet
        self._index_version: str | None = None  # the committed version the in-memory index was loaded for
        self._needs_rebuild = False
        self._closed = False

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, index_dir: str | os.PathLike[str], settings, create: bool = False,
             read_only: bool = False) -> "FaissSqliteStore":
        index_dir = Path(index_dir).expanduser()
        db = index_dir / DB_NAME
        if not db.exists():
            if not create:
                raise StoreError(f"{index_dir}: no index here (create one with `articleqa ingest PATH --index {index_dir}`)")
            if index_dir.exists() and not index_dir.is_dir():
                raise StoreError(f"{index_dir}: exists and is not a directory")
            index_dir.mkdir(parents=True, exist_ok=True)
        try:
            if read_only:
                conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, isolation_level=None,
                                       check_same_thread=False, timeout=30)
            else:
                conn = sqlite3.connect(str(db), isolation_level=None, check_same_thread=False, timeout=30)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            if not read_only and not conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone():
                conn.executescript(_SCHEMA)
                cur = conn.execute("SELECT value FROM meta WHERE key='format'").fetchone()
                if cur is None:
                    conn.execute("BEGIN IMMEDIATE")
                    conn.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?)", (json.dumps(FORMAT),))
                    conn.execute("INSERT OR IGNORE INTO meta VALUES ('version', ?)", (json.dumps(uuid.uuid4().hex),))
                    conn.execute("INSERT OR IGNORE INTO meta VALUES ('created_at', ?)", (json.dumps(time.time()),))
                    conn.execute("COMMIT")
            fmt = conn.execute("SELECT value FROM meta WHERE key='format'").fetchone()
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{db}: cannot open the index database ({e})") from e
        if fmt is None or json.loads(fmt[0]) != FORMAT:
            conn.close()
            raise StoreError(f"{db}: not an articleqa index (format {fmt[0] if fmt else 'missing'}, expected {FORMAT})")
        store = cls(index_dir, settings, conn, read_only=read_only)
        store._upgrade_columns()
        if not read_only:
            store._remove_stale_temp_files()
        store._load_index()
        return store

    def _upgrade_columns(self) -> None:
        """Add the collection/pub_date columns to an index made before them (read-only: read them as defaults)."""
        have = {r[1] for r in self._conn.execute("PRAGMA table_info(articles)")}
        missing = [c for c in _ADDED_COLUMNS if c not in have]
        self._article_cols = [f if f in have or not self._read_only else f"'{DEFAULT_COLLECTION}' AS {f}"
                              for f in _ARTICLE_FIELDS]
        self._pub_date_col = "pub_date" if "pub_date" in have or not self._read_only else "NULL AS pub_date"
        if self._read_only:
            return
        # An index made before English dates were read has "Mar 5, 2018" with no pub_date: read those again.
        undated = "" if missing else " WHERE pub_date IS NULL AND date != ''"
        if not missing and self._conn.execute(f"SELECT 1 FROM articles{undated} LIMIT 1").fetchone() is None:
            return
        self._conn.execute("BEGIN IMMEDIATE")
        for col in missing:
            self._conn.execute(f"ALTER TABLE articles ADD COLUMN {col} {_ADDED_COLUMNS[col]}")
        rows = self._conn.execute(f"SELECT id, date FROM articles{undated}").fetchall()
        self._conn.executemany("UPDATE articles SET pub_date = ? WHERE id = ?",
                               [(iso_date(d) or None, i) for i, d in rows])
        self._conn.execute("COMMIT")

    # ------------------------------------------------------------------ meta / version
    def _meta_rows(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self._conn.execute("SELECT key, value FROM meta")}

    @property
    def meta(self) -> dict[str, Any]:
        with self._lock:
            m = self._meta_rows()
            m["n_articles"] = self._conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
            m["n_chunks"] = self._conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
            m["index_kind"] = self.settings.index.kind
            return m

    @property
    def version(self) -> str:
        with self._lock:
            return self._db_version()

    def _db_version(self) -> str:
        row = self._conn.execute("SELECT value FROM meta WHERE key='version'").fetchone()
        return json.loads(row[0]) if row else ""

    def set_meta(self, values: dict[str, Any]) -> None:
        with self._lock:
            self._begin()
            for k, v in values.items():
                if k in ("format", "version"):
                    raise StoreError(f"meta key {k!r} is managed by the store")
                self._conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (k, json.dumps(v)))

    def _dim(self) -> int | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key='dim'").fetchone()
        return int(json.loads(row[0])) if row else None

    # ------------------------------------------------------------------ transactions
    def _acquire_write_lock(self) -> None:
        import fcntl

        fd = os.open(self.index_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise StoreError(f"{self.index_dir}: another process is writing to this index; try again when it is done")
        self._lock_fd = fd

    def _release_write_lock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor drops the flock
            self._lock_fd = None

    def begin(self) -> None:
        with self._lock:
            self._begin()

    def _begin(self) -> None:
        if self._closed:
            raise StoreError("the store is closed")
        if self._read_only:
            raise StoreError(f"{self.index_dir}: opened read-only")
        if self._in_txn:
            return
        self._acquire_write_lock()
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            self._release_write_lock()
            raise StoreError(f"{self.index_dir}: cannot start writing ({e})") from e
        self._in_txn = True
        # The index may be stale if another process committed since we loaded it.
        if self._index_version != self._db_version():
            self._load_index()

    def commit(self) -> None:
        with self._lock:
            if not self._in_txn:
                return
            if self._needs_rebuild:
                self._rebuild_index()
            n = self._conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
            have = self._index.ntotal if self._index is not None else 0
            if n != have:  # never commit an inconsistent state
                self.rollback()
                raise StoreError(f"internal error: {n} chunks but {have} vectors in the index; nothing committed")
            version = uuid.uuid4().hex
            commits = int(self._meta_rows().get("commits", 0)) + 1
            self._conn.executemany(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                [("version", json.dumps(version)), ("commits", json.dumps(commits)),
                 ("updated_at", json.dumps(time.time()))],
            )
            _debug_pause("before-commit")
            self._conn.execute("COMMIT")
            self._in_txn = False
            self._release_write_lock()
            self._index_version = version
            _debug_pause("after-commit")
            self._write_cache(version)

    def rollback(self) -> None:
        with self._lock:
            if not self._in_txn:
                return
            self._conn.execute("ROLLBACK")
            self._in_txn = False
            self._release_write_lock()
            self._needs_rebuild = False
            self._load_index()

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            if self._in_txn:
                self.rollback()
            self._conn.close()
            self._release_write_lock()
            self._index = None
            self._closed = True

    # ------------------------------------------------------------------ the FAISS side
    def _cache_tag(self) -> str:
        ix = self.settings.index
        if ix.kind == "hnsw":
            return f"hnsw{ix.hnsw_m}"
        if ix.kind == "ivf":
            return f"ivf{ix.ivf_nlist or 'auto'}"
        return "flat"

    def _cache_path(self, version: str) -> Path:
        return self.index_dir / f"{CACHE_PREFIX}{self._cache_tag()}-{version}.faiss"

    def _new_index(self, dim: int, vectors: np.ndarray):
        import faiss

        ix = self.settings.index
        if ix.kind == "flat":
            sub = faiss.IndexFlatIP(dim)
        elif ix.kind == "hnsw":
            sub = faiss.IndexHNSWFlat(dim, int(ix.hnsw_m), faiss.METRIC_INNER_PRODUCT)
        elif ix.kind == "ivf":
            n = len(vectors)
            # Auto: about 4*sqrt(n) lists, capped at 1024 so that training 1M vectors stays within seconds on 2 cores.
            target = int(ix.ivf_nlist) or min(1024, max(1, int(round(4 * np.sqrt(max(n, 1))))))
            # FAISS wants about 39 training points per list; fewer lists for small collections.
            nlist = max(1, min(target, n // 39 if n >= 39 else 1))
            quantizer = faiss.IndexFlatIP(dim)
            sub = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
            sub.cp.max_points_per_centroid = 64  # k-means on a sample: recall@10 0.97 at 1M (docs/benchmarks.md)
            if n:
                sub.train(vectors)
        else:  # pragma: no cover - pydantic validates the literal
            raise StoreError(f"unknown index kind {ix.kind!r}")
        index = faiss.IndexIDMap(sub)  # the Python wrapper keeps ``sub`` (and the quantizer) alive
        self._apply_search_params(index)
        return index

    def _apply_search_params(self, index) -> None:
        import faiss

        sub = faiss.downcast_index(index.index)
        if isinstance(sub, faiss.IndexHNSW):
            sub.hnsw.efSearch = int(self.settings.index.hnsw_ef_search)
        elif isinstance(sub, faiss.IndexIVF):
            sub.nprobe = int(self.settings.index.ivf_nprobe)

    def _all_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        dim = self._dim()
        rows = self._conn.execute("SELECT fid, vector FROM chunks ORDER BY fid").fetchall()
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        if not rows:
            return ids, np.zeros((0, dim or 0), dtype=np.float32)
        vecs = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1)
        return ids, vecs

    def _rebuild_index(self) -> None:
        ids, vecs = self._all_vectors()
        dim = self._dim()
        if dim is None or len(ids) == 0:
            self._index = self._new_index(dim, vecs) if dim else None
        else:
            if vecs.shape[1] != dim:
                raise StoreError(f"{self.index_dir}: stored vectors have dimension {vecs.shape[1]}, meta says {dim}")
            index = self._new_index(dim, vecs)
            index.add_with_ids(np.ascontiguousarray(vecs), ids)
            self._index = index
        self._needs_rebuild = False

    def _load_index(self) -> None:
        """Load the committed version's cached FAISS file, or rebuild it from SQLite (and cache it)."""
        import faiss

        # One read transaction, so that the version, the count and the vectors all belong to the same commit.
        own_read = not self._in_txn
        if own_read:
            self._conn.execute("BEGIN")
        try:
            version = self._db_version()
            n = self._conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
            dim = self._dim()
            path = self._cache_path(version)
            index = None
            if path.exists() and dim:
                try:
                    index = faiss.read_index(str(path))
                    if index.ntotal != n or index.d != dim:
                        index = None
                except Exception:  # truncated or foreign file: rebuild
                    index = None
            if index is not None:
                self._apply_search_params(index)
                self._index = index
                self._needs_rebuild = False
            else:
                self._rebuild_index()
        finally:
            if own_read:
                self._conn.execute("COMMIT")
        if index is None and own_read and not self._read_only:
            self._write_cache(version)
        self._index_version = version

    def _write_cache(self, version: str) -> None:
        import faiss

        if self._index is None or self._read_only:
            return
        target = self._cache_path(version)
        try:
            with atomic_path(target) as tmp:
                faiss.write_index(self._index, str(tmp))
                with open(tmp, "rb+") as fh:
                    os.fsync(fh.fileno())
            _fsync_dir(self.index_dir)
        except OSError:
            return  # a cache: the next open rebuilds it
        for old in self.index_dir.glob(f"{CACHE_PREFIX}*.faiss"):
            if not old.name.endswith(f"-{version}.faiss"):
                old.unlink(missing_ok=True)

    def _remove_stale_temp_files(self) -> None:
        for tmp in self.index_dir.glob(f".{CACHE_PREFIX}*.tmp"):
            try:
                if time.time() - tmp.stat().st_mtime > 60:
                    tmp.unlink()
            except OSError:
                pass

    def _refresh(self) -> None:
        """Pick up a commit made by another process (readers call this before searching)."""
        if self._in_txn:
            if self._needs_rebuild:
                self._rebuild_index()
            return
        if self._index_version != self._db_version():
            self._load_index()

    # ------------------------------------------------------------------ writes
    def add(self, article: Article, chunks: list[Chunk], vectors: np.ndarray) -> None:
        vectors = checked_vectors(article, chunks, vectors)
        with self._lock:
            self._begin()
            dim = self._dim()
            if dim is None:
                self.set_meta({"dim": int(vectors.shape[1])})
                dim = int(vectors.shape[1])
            elif vectors.shape[1] != dim:
                raise StoreError(f"{article.id}: vectors have dimension {vectors.shape[1]}, the index has {dim}")
            self._delete_rows(article.id, keep_sources=True)
            row = [getattr(article, f) for f in _ARTICLE_FIELDS[:-1]]
            self._conn.execute(
                f"INSERT INTO articles ({', '.join(_ARTICLE_FIELDS)}, pub_date, n_chunks, ingested_at) "
                f"VALUES ({', '.join('?' * (len(_ARTICLE_FIELDS) + 3))})",
                (*row, article.collection or DEFAULT_COLLECTION, iso_date(article.date) or None, len(chunks),
                 time.time()),
            )
            fids = []
            for c, v in zip(chunks, vectors):
                cur = self._conn.execute(
                    f"INSERT INTO chunks ({_CHUNK_COLS}, vector) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (c.id, c.article_id, c.ordinal, c.text, c.start, c.end, c.heading, c.n_tokens, v.tobytes()),
                )
                fids.append(cur.lastrowid)
            if self._index is None:
                self._index = self._new_index(dim, vectors)
                if self.settings.index.kind == "ivf":
                    self._needs_rebuild = True
            if self.settings.index.kind == "ivf":
                self._needs_rebuild = True  # IVF is retrained on the whole collection at commit
            elif not self._needs_rebuild:
                self._index.add_with_ids(vectors, np.asarray(fids, dtype=np.int64))

    def _delete_rows(self, article_id: str, keep_sources: bool) -> bool:
        fids = [r[0] for r in self._conn.execute("SELECT fid FROM chunks WHERE article_id=?", (article_id,))]
        self._conn.execute("DELETE FROM chunks WHERE article_id=?", (article_id,))
        cur = self._conn.execute("DELETE FROM articles WHERE id=?", (article_id,))
        if not keep_sources:
            self._conn.execute("DELETE FROM source_articles WHERE article_id=?", (article_id,))
        if fids and self._index is not None and not self._needs_rebuild:
            if self.settings.index.kind == "flat":
                self._index.remove_ids(np.asarray(fids, dtype=np.int64))
            else:  # HNSW cannot remove; IVF is retrained anyway
                self._needs_rebuild = True
        return cur.rowcount > 0

    def delete(self, article_id: str) -> None:
        with self._lock:
            self._begin()
            self._delete_rows(article_id, keep_sources=False)

    def clear(self) -> None:
        with self._lock:
            self._begin()
            for table in ("source_articles", "sources", "chunks", "articles"):
                self._conn.execute(f"DELETE FROM {table}")
            self._conn.execute("DELETE FROM meta WHERE key NOT IN ('format', 'version', 'created_at', 'commits')")
            self._index = None
            self._needs_rebuild = False

    # ------------------------------------------------------------------ manifest
    def find_by_content_hash(self, content_hash: str) -> str | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT id FROM articles WHERE content_hash=? ORDER BY id LIMIT 1", (content_hash,)
            ).fetchone()
            return row[0] if row else None

    def get_source(self, path: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT path, file_hash, complete, ingested_at FROM sources WHERE path=?", (path,)
            ).fetchone()
            if row is None:
                return None
            ids = [r[0] for r in self._conn.execute(
                "SELECT article_id FROM source_articles WHERE path=? ORDER BY rowid", (path,))]
            return {"path": row[0], "file_hash": row[1], "complete": bool(row[2]), "ingested_at": row[3],
                    "article_ids": ids}

    def list_sources(self) -> list[dict[str, Any]]:
        with self._lock:
            paths = [r[0] for r in self._conn.execute("SELECT path FROM sources ORDER BY path")]
            return [s for p in paths if (s := self.get_source(p)) is not None]

    def set_source(self, path: str, file_hash: str, article_ids: list[str], complete: bool = True) -> None:
        with self._lock:
            self._begin()
            self._conn.execute("INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?)",
                               (path, file_hash, int(complete), time.time()))
            self._conn.execute("DELETE FROM source_articles WHERE path=?", (path,))
            self._conn.executemany("INSERT OR IGNORE INTO source_articles VALUES (?, ?)",
                                   [(path, a) for a in article_ids])

    def delete_source(self, path: str) -> None:
        with self._lock:
            self._begin()
            self._conn.execute("DELETE FROM source_articles WHERE path=?", (path,))
            self._conn.execute("DELETE FROM sources WHERE path=?", (path,))

    def delete_orphans(self, article_ids: Iterable[str]) -> list[str]:
        deleted = []
        with self._lock:
            for aid in dict.fromkeys(article_ids):
                if self._conn.execute("SELECT 1 FROM source_articles WHERE article_id=? LIMIT 1", (aid,)).fetchone():
                    continue
                if self._conn.execute("SELECT 1 FROM articles WHERE id=?", (aid,)).fetchone():
                    self._begin()
                    self._delete_rows(aid, keep_sources=False)
                    deleted.append(aid)
        return deleted

    # ------------------------------------------------------------------ reads
    def search(self, vector: np.ndarray, k: int, filters: SearchFilter | None = None) -> list[tuple[str, float]]:
        with self._lock:
            self._refresh()
            if self._index is None or self._index.ntotal == 0 or k <= 0:
                return []
            q = np.ascontiguousarray(np.asarray(vector, dtype=np.float32).reshape(1, -1))
            if q.shape[1] != self._index.d:
                raise StoreError(f"query vector has dimension {q.shape[1]}, the index has {self._index.d}")
            if filters is not None and not filters.is_empty():
                pairs = self._filtered_search(q, int(k), filters)
            else:
                scores, ids = self._index.search(q, min(int(k), self._index.ntotal))
                pairs = [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
            if not pairs:
                return []
            marks = ",".join("?" * len(pairs))
            names = dict(self._conn.execute(f"SELECT fid, id FROM chunks WHERE fid IN ({marks})",
                                            [p[0] for p in pairs]))
            return [(names[i], s) for i, s in pairs if i in names]

    def _matching_sql(self, filters: SearchFilter, cols: str) -> tuple[str, list]:
        where, params = filters.where("?")
        return (f"SELECT {cols} FROM chunks JOIN (SELECT id AS article_id, collection, source, "
                f"{self._pub_date_col} FROM articles) USING (article_id) WHERE {where}"), params

    def count_matching(self, filters: SearchFilter | None) -> int:
        with self._lock:
            sql, params = self._matching_sql(filters or SearchFilter(), "COUNT(*)")
            return int(self._conn.execute(sql, params).fetchone()[0])

    def _exact_filtered(self, q: np.ndarray, k: int, filters: SearchFilter) -> list[tuple[int, float]]:
        sql, params = self._matching_sql(filters, "fid, vector")
        rows = self._conn.execute(sql, params).fetchall()
        if not rows:
            return []
        fids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        vecs = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1)
        scores = vecs @ q[0]
        top = np.argsort(-scores, kind="stable")[:k]
        return [(int(fids[i]), float(scores[i])) for i in top]

    def _filtered_search(self, q: np.ndarray, k: int, filters: SearchFilter) -> list[tuple[int, float]]:
        """The FAISS search restricted to the rows that pass ``filters`` (an ID selector), or an exact scan of
        those rows when they are few or the approximate index could not find k of them."""
        import faiss

        sql, params = self._matching_sql(filters, "fid")
        allowed = np.fromiter((r[0] for r in self._conn.execute(sql, params)), dtype=np.int64)
        if allowed.size == 0:
            return []
        if allowed.size <= int(self.settings.store.exact_below):
            return self._exact_filtered(q, k, filters)
        sel = faiss.IDSelectorBatch(allowed)
        sub = faiss.downcast_index(self._index.index)
        if isinstance(sub, faiss.IndexHNSW):
            # The graph walk only keeps allowed rows: widen it as the filter narrows (2k / share of rows allowed).
            widen = int(2 * k * self._index.ntotal / allowed.size)
            ef = max(int(self.settings.index.hnsw_ef_search), k, min(widen, 16 * 1024))
            params_ = faiss.SearchParametersHNSW(sel=sel, efSearch=ef)
        elif isinstance(sub, faiss.IndexIVF):
            params_ = faiss.SearchParametersIVF(sel=sel, nprobe=int(self.settings.index.ivf_nprobe))
        else:
            params_ = faiss.SearchParameters(sel=sel)
        scores, ids = self._index.search(q, min(k, int(allowed.size)), params=params_)
        pairs = [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
        if len(pairs) < min(k, int(allowed.size)):
            return self._exact_filtered(q, k, filters)
        return pairs

    def list_collections(self) -> list[dict[str, Any]]:
        with self._lock:
            col = self._article_cols[_ARTICLE_FIELDS.index("collection")].split(" AS ")[0]
            rows = self._conn.execute(f"SELECT {col}, COUNT(*), COALESCE(SUM(n_chunks), 0) FROM articles "
                                      f"GROUP BY 1 ORDER BY 1").fetchall()
        return [{"name": r[0], "n_articles": int(r[1]), "n_chunks": int(r[2])} for r in rows]

    def get_chunks(self, chunk_ids: Iterable[str]) -> list[Chunk]:
        ids = list(chunk_ids)
        if not ids:
            return []
        found: dict[str, Chunk] = {}
        with self._lock:
            for i in range(0, len(ids), 500):
                part = ids[i : i + 500]
                marks = ",".join("?" * len(part))
                for row in self._conn.execute(f"SELECT {_CHUNK_COLS} FROM chunks WHERE id IN ({marks})", part):
                    found[row[0]] = _row_to_chunk(row)
        return [found[i] for i in ids if i in found]

    def get_article(self, article_id: str) -> Article | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {', '.join(self._article_cols)} FROM articles WHERE id=?", (article_id,)
            ).fetchone()
        return Article(**dict(zip(_ARTICLE_FIELDS, row))) if row else None

    def list_articles(self) -> list[dict[str, Any]]:
        cols = (*_ARTICLE_FIELDS, "n_chunks", "ingested_at")
        with self._lock:
            rows = self._conn.execute(f"SELECT {', '.join([*self._article_cols, 'n_chunks', 'ingested_at'])} "
                                      "FROM articles ORDER BY id").fetchall()
        return [dict(zip(cols, r)) for r in rows]

    def iter_chunks(self) -> Iterator[Chunk]:
        with self._lock:
            rows = self._conn.execute(f"SELECT {_CHUNK_COLS} FROM chunks ORDER BY article_id, ordinal").fetchall()
        for row in rows:
            yield _row_to_chunk(row)

    def chunks_of(self, article_id: str) -> list[Chunk]:
        with self._lock:
            rows = self._conn.execute(f"SELECT {_CHUNK_COLS} FROM chunks WHERE article_id=? ORDER BY ordinal",
                                      (article_id,)).fetchall()
        return [_row_to_chunk(r) for r in rows]

    def get_vectors(self, chunk_ids: Iterable[str]) -> np.ndarray:
        """The stored vectors of ``chunk_ids`` (rows in the given order; missing ids raise)."""
        ids = list(chunk_ids)
        with self._lock:
            rows = dict(self._conn.execute(
                f"SELECT id, vector FROM chunks WHERE id IN ({','.join('?' * len(ids))})", ids).fetchall()) if ids else {}
        missing = [i for i in ids if i not in rows]
        if missing:
            raise StoreError(f"no such chunks: {missing[:5]}")
        if not ids:
            return np.zeros((0, self._dim() or 0), dtype=np.float32)
        return np.stack([np.frombuffer(rows[i], dtype=np.float32) for i in ids])

    # ------------------------------------------------------------------ consistency
    def check(self) -> list[str]:
        problems: list[str] = []
        with self._lock:
            self._refresh()
            c = self._conn
            dim = self._dim()
            n_chunks = c.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
            n_articles = c.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
            if n_chunks and dim is None:
                problems.append("chunks are stored but meta has no dimension")
            if dim:
                bad = c.execute("SELECT COUNT(*) FROM chunks WHERE length(vector) != ?", (4 * dim,)).fetchone()[0]
                if bad:
                    problems.append(f"{bad} chunks have a vector of the wrong size")
            have = self._index.ntotal if self._index is not None else 0
            if have != n_chunks:
                problems.append(f"{n_chunks} chunks but {have} vectors in FAISS")
            orphans = c.execute(
                "SELECT COUNT(*) FROM chunks WHERE article_id NOT IN (SELECT id FROM articles)").fetchone()[0]
            if orphans:
                problems.append(f"{orphans} chunks belong to no article")
            wrong = c.execute(
                "SELECT a.id, a.n_chunks, COUNT(ch.fid) FROM articles a LEFT JOIN chunks ch ON ch.article_id = a.id "
                "GROUP BY a.id HAVING a.n_chunks != COUNT(ch.fid)").fetchall()
            for aid, want, got in wrong[:5]:
                problems.append(f"article {aid}: n_chunks says {want}, {got} stored")
            empty = c.execute("SELECT COUNT(*) FROM articles WHERE n_chunks = 0").fetchone()[0]
            if empty:
                problems.append(f"{empty} articles have no chunks")
            for aid, text in c.execute("SELECT id, text FROM articles"):
                for cid, ctext, s, e in c.execute(
                        "SELECT id, text, start_char, end_char FROM chunks WHERE article_id=?", (aid,)):
                    if text[s:e] != ctext:
                        problems.append(f"chunk {cid}: span [{s}:{e}] does not match its text")
            if self._index is not None and n_chunks and have == n_chunks:
                import faiss

                stored = set(r[0] for r in c.execute("SELECT fid FROM chunks"))
                id_map = set(faiss.vector_to_array(self._index.id_map).tolist())
                if id_map != stored:
                    problems.append(f"FAISS ids differ from chunk ids ({len(id_map ^ stored)} differ)")
            dangling = c.execute(
                "SELECT COUNT(*) FROM source_articles WHERE article_id NOT IN (SELECT id FROM articles)").fetchone()[0]
            if dangling:
                problems.append(f"{dangling} manifest entries point at missing articles")
            if n_articles == 0 and n_chunks:
                problems.append("chunks without articles")
        return problems
