"""The PostgreSQL + pgvector store: articles, chunks, vectors (``vector(dim)``, HNSW or IVFFlat, cosine) and the
keyword side (pre-tokenized ``tsvector`` + BM25 statistics, `articleqa.store.pg_keyword`) in one database, so that
any number of app processes on any machine can answer from it while another process ingests.

* One ingest commit = one transaction. The writer takes a transaction-level advisory lock at its first write
  (``pg_try_advisory_xact_lock``): a second writer fails at once with a clear message; the lock goes with the
  transaction (commit, rollback, or a killed process's connection).
* Readers see the last committed state (MVCC) and notice a new one through ``aq_meta.version``.
* Filters become a WHERE clause on columns copied onto each chunk row (collection, source, pub_date, article_id),
  so pgvector's iterative index scan keeps walking the HNSW graph (or probing IVFFlat lists) until k rows pass; a
  filter that leaves few rows (``store.exact_below``) is searched exactly, and an index scan that still falls short
  is redone exactly.
"""
from __future__ import annotations

import threading
import time
import uuid
from typing import Any, Iterable, Iterator

import numpy as np

from articleqa.store import pg_keyword, pg_schema
from articleqa.store.base import Store, StoreError, checked_vectors
from articleqa.store.faiss_sqlite import _debug_pause
from articleqa.store.filters import DEFAULT_COLLECTION, SearchFilter, iso_date
from articleqa.types import Article, Chunk

FORMAT = "articleqa-postgres/1"
_ARTICLE_FIELDS = ("id", "title", "text", "source", "url", "date", "author", "lang", "path", "content_hash",
                   "collection")
_CHUNK_COLS = "id, article_id, ordinal, text, start_char, end_char, heading, n_tokens"


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        if parts.password:
            host = parts.netloc.rsplit("@", 1)[1]
            return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))
    except ValueError:
        pass
    return url


def _row_to_chunk(row: tuple) -> Chunk:
    return Chunk(id=row[0], article_id=row[1], ordinal=row[2], text=row[3], start=row[4], end=row[5],
                 heading=row[6], n_tokens=row[7])


def _array(v):
    return v.to_numpy() if hasattr(v, "to_numpy") else v


def _body_text(c: Chunk) -> str:
    return f"{c.heading}\n{c.text}" if c.heading else c.text


def _jsonb(value: Any):
    from psycopg.types.json import Jsonb

    return Jsonb(value)


def connect(url: str, settings):
    """A psycopg connection (autocommit; transactions are explicit), or StoreError naming the URL."""
    import psycopg

    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=int(settings.store.connect_timeout))
    except psycopg.Error as e:
        raise StoreError(f"{redact(url)}: cannot connect ({' '.join(str(e).split())})") from e


def init_database(url: str, settings) -> tuple[int, int]:
    """Create or migrate the schema at ``url``; returns (version before, version after)."""
    import psycopg

    with connect(url, settings) as conn:
        try:
            before, after = pg_schema.migrate(conn)
            conn.execute("INSERT INTO aq_meta VALUES ('format', %s), ('version', %s), ('created_at', %s) "
                         "ON CONFLICT (key) DO NOTHING",
                         (_jsonb(FORMAT), _jsonb(uuid.uuid4().hex), _jsonb(time.time())))
        except psycopg.Error as e:
            raise StoreError(f"{redact(url)}: cannot create the schema ({' '.join(str(e).split())})") from e
    return before, after


def _search_settings(st, k: int) -> str:
    """SET LOCALs for both index kinds (whichever the table has serves the query), in one round trip."""
    ivf_scan = "off" if st.iterative_scan == "off" else "relaxed_order"  # IVFFlat has no strict_order
    sets = {"hnsw.ef_search": min(max(int(st.ef_search), int(k)), 1000),  # pgvector's max
            "hnsw.iterative_scan": st.iterative_scan, "hnsw.max_scan_tuples": int(st.max_scan_tuples),
            "ivfflat.probes": max(1, int(st.ivf_probes)), "ivfflat.iterative_scan": ivf_scan,
            "ivfflat.max_probes": int(st.ivf_max_probes) or 32768}  # 0 = every list
    return "; ".join(f"SET LOCAL {name} = {value}" for name, value in sets.items())


class PostgresStore(Store):
    def __init__(self, url: str, settings, conn, read_only: bool = False) -> None:
        self.url = url
        self.settings = settings
        self._conn = conn
        self._read_only = read_only
        self._lock = threading.RLock()
        self._in_txn = False
        self._closed = False

    @classmethod
    def open(cls, url: str, settings, create: bool = False, read_only: bool = False) -> "PostgresStore":
        conn = connect(url, settings)
        try:
            version = pg_schema.current_version(conn)
            if version < pg_schema.SCHEMA_VERSION:
                if not create or read_only:
                    what = "no articleqa schema" if version == 0 else f"schema version {version}"
                    raise StoreError(f"{redact(url)}: {what} in this database (run `articleqa db init`)")
                conn.close()
                init_database(url, settings)
                conn = connect(url, settings)
            from pgvector.psycopg import register_vector

            register_vector(conn)
            fmt = conn.execute("SELECT value FROM aq_meta WHERE key = 'format'").fetchone()
        except BaseException:
            conn.close()
            raise
        if fmt is None or fmt[0] != FORMAT:
            conn.close()
            raise StoreError(f"{redact(url)}: not an articleqa store (format {fmt[0] if fmt else 'missing'})")
        store = cls(url, settings, conn, read_only=read_only)
        if not read_only:
            store._repair_pub_dates()
        return store

    def _repair_pub_dates(self) -> None:
        """Articles stored before English dates were read ("Mar 5, 2018") have no pub_date: read those again."""
        with self._lock:
            rows = self._q("SELECT id, date FROM aq_articles WHERE pub_date IS NULL AND date != ''").fetchall()
            fixed = [(iso, i) for i, d in rows if (iso := iso_date(d))]
            if not fixed:
                return
            try:
                self._begin()
            except StoreError:  # another process is writing: it stays undated until the next open
                return
            for iso, i in fixed:
                self._q("UPDATE aq_articles SET pub_date = %s WHERE id = %s", (iso, i))
                self._q("UPDATE aq_chunks SET pub_date = %s WHERE article_id = %s", (iso, i))
            self.commit()

    # ------------------------------------------------------------------ meta / version
    def _q(self, sql: str, params: Any = None):
        import psycopg

        if self._closed:
            raise StoreError("the store is closed")
        try:
            return self._conn.execute(sql, params)
        except psycopg.OperationalError as e:  # the server went away, the connection broke
            raise StoreError(f"{redact(self.url)}: {' '.join(str(e).split())}") from e

    @property
    def meta(self) -> dict[str, Any]:
        with self._lock:
            m = {k: v for k, v in self._q("SELECT key, value FROM aq_meta")}
            m["n_articles"] = self._q("SELECT count(*) FROM aq_articles").fetchone()[0]
            m["n_chunks"] = self._q("SELECT count(*) FROM aq_chunks").fetchone()[0]
            m["index_kind"] = f"pgvector-{pg_schema.existing_index(self._conn) or 'exact'}"
            return m

    @property
    def version(self) -> str:
        with self._lock:
            row = self._q("SELECT value FROM aq_meta WHERE key = 'version'").fetchone()
            return row[0] if row else ""

    def set_meta(self, values: dict[str, Any]) -> None:
        with self._lock:
            self._begin()
            for k, v in values.items():
                if k in ("format", "version"):
                    raise StoreError(f"meta key {k!r} is managed by the store")
                self._q("INSERT INTO aq_meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                        (k, _jsonb(v)))

    def _dim(self) -> int | None:
        row = self._q("SELECT value FROM aq_meta WHERE key = 'dim'").fetchone()
        return int(row[0]) if row else None

    # ------------------------------------------------------------------ transactions
    def begin(self) -> None:
        with self._lock:
            self._begin()

    def _begin(self) -> None:
        if self._closed:
            raise StoreError("the store is closed")
        if self._read_only:
            raise StoreError(f"{redact(self.url)}: opened read-only")
        if self._in_txn:
            return
        self._q("BEGIN")
        if not self._q("SELECT pg_try_advisory_xact_lock(%s)", (pg_schema.WRITE_LOCK,)).fetchone()[0]:
            self._q("ROLLBACK")
            raise StoreError(f"{redact(self.url)}: another process is writing to this index; try again when it is done")
        self._in_txn = True

    def commit(self) -> None:
        with self._lock:
            if not self._in_txn:
                return
            if self._dim() is not None:  # the vector index the settings ask for (built once, at commit)
                pg_schema.sync_index(self._conn, self.settings.store)
            commits = int((self._q("SELECT value FROM aq_meta WHERE key = 'commits'").fetchone() or [0])[0]) + 1
            for k, v in (("version", uuid.uuid4().hex), ("commits", commits), ("updated_at", time.time())):
                self._q("INSERT INTO aq_meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                        (k, _jsonb(v)))
            _debug_pause("before-commit")  # test hook, see faiss_sqlite.py
            self._q("COMMIT")
            self._in_txn = False

    def rollback(self) -> None:
        with self._lock:
            if self._in_txn:
                self._q("ROLLBACK")
                self._in_txn = False

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            try:
                if self._in_txn:
                    self.rollback()
            finally:
                self._conn.close()
                self._closed = True

    # ------------------------------------------------------------------ writes
    def _ensure_dim(self, dim: int) -> None:
        have = self._dim()
        if have is None:
            typmod = self._q("SELECT atttypmod FROM pg_attribute WHERE attrelid = 'aq_chunks'::regclass "
                             "AND attname = 'embedding'").fetchone()[0]
            if typmod != dim:
                pg_schema.set_dimension(self._conn, dim)
            self.set_meta({"dim": int(dim)})
        elif have != dim:
            raise StoreError(f"vectors have dimension {dim}, the index has {have}")

    def add(self, article: Article, chunks: list[Chunk], vectors: np.ndarray) -> None:
        from articleqa.tokens import tokenize

        vectors = checked_vectors(article, chunks, vectors)
        collection = article.collection or DEFAULT_COLLECTION
        pub_date = iso_date(article.date) or None
        title_tokens = tokenize(article.title)
        body_tokens = [tokenize(_body_text(c)) for c in chunks]
        with self._lock:
            self._begin()
            try:
                self._ensure_dim(int(vectors.shape[1]))
            except StoreError as e:
                raise StoreError(f"{article.id}: {e}") from None
            self._delete_rows(article.id, keep_sources=True)
            row = [getattr(article, f) for f in _ARTICLE_FIELDS[:-1]]
            self._q(f"INSERT INTO aq_articles ({', '.join(_ARTICLE_FIELDS)}, pub_date, n_chunks, ingested_at, "
                    f"title_tokens, title_len) VALUES ({', '.join(['%s'] * (len(_ARTICLE_FIELDS) + 3))}, "
                    "%s::tsvector, %s)",
                    (*row, collection, pub_date, len(chunks), time.time(),
                     pg_keyword.tsvector_literal(title_tokens), len(title_tokens)))
            with self._conn.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO aq_chunks ({_CHUNK_COLS}, collection, source, pub_date, embedding, tokens, kw_len) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::tsvector, %s)",
                    [(c.id, c.article_id, c.ordinal, c.text, c.start, c.end, c.heading, c.n_tokens, collection,
                      article.source, pub_date, v, pg_keyword.tsvector_literal(t), len(t))
                     for c, v, t in zip(chunks, vectors, body_tokens)])
            pg_keyword.update_stats(self._conn, article.id, +1)

    def _delete_rows(self, article_id: str, keep_sources: bool) -> bool:
        pg_keyword.update_stats(self._conn, article_id, -1)
        cur = self._q("DELETE FROM aq_articles WHERE id = %s", (article_id,))  # chunks go with it (cascade)
        if not keep_sources:
            self._q("DELETE FROM aq_source_articles WHERE article_id = %s", (article_id,))
        return cur.rowcount > 0

    def delete(self, article_id: str) -> None:
        with self._lock:
            self._begin()
            self._delete_rows(article_id, keep_sources=False)

    def clear(self) -> None:
        with self._lock:
            self._begin()
            for table in ("aq_source_articles", "aq_sources", "aq_chunks", "aq_articles", "aq_terms"):
                self._q(f"DELETE FROM {table}")
            self._q("UPDATE aq_kw_stats SET n_docs = 0, total_len = 0")
            self._q("DELETE FROM aq_meta WHERE key NOT IN ('format', 'version', 'created_at', 'commits')")

    # ------------------------------------------------------------------ manifest
    def find_by_content_hash(self, content_hash: str) -> str | None:
        with self._lock:
            row = self._q("SELECT id FROM aq_articles WHERE content_hash = %s ORDER BY id LIMIT 1",
                          (content_hash,)).fetchone()
            return row[0] if row else None

    def get_source(self, path: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._q("SELECT path, file_hash, complete, ingested_at FROM aq_sources WHERE path = %s",
                          (path,)).fetchone()
            if row is None:
                return None
            ids = [r[0] for r in self._q("SELECT article_id FROM aq_source_articles WHERE path = %s ORDER BY pos",
                                         (path,))]
        return {"path": row[0], "file_hash": row[1], "complete": bool(row[2]), "ingested_at": row[3],
                "article_ids": ids}

    def list_sources(self) -> list[dict[str, Any]]:
        with self._lock:
            paths = [r[0] for r in self._q("SELECT path FROM aq_sources ORDER BY path")]
            return [s for p in paths if (s := self.get_source(p)) is not None]

    def set_source(self, path: str, file_hash: str, article_ids: list[str], complete: bool = True) -> None:
        with self._lock:
            self._begin()
            self._q("INSERT INTO aq_sources VALUES (%s, %s, %s, %s) ON CONFLICT (path) DO UPDATE SET "
                    "file_hash = EXCLUDED.file_hash, complete = EXCLUDED.complete, ingested_at = EXCLUDED.ingested_at",
                    (path, file_hash, bool(complete), time.time()))
            self._q("DELETE FROM aq_source_articles WHERE path = %s", (path,))
            ids = list(dict.fromkeys(article_ids))
            if ids:
                with self._conn.cursor() as cur:
                    cur.executemany("INSERT INTO aq_source_articles VALUES (%s, %s, %s)",
                                    [(path, a, i) for i, a in enumerate(ids)])

    def delete_source(self, path: str) -> None:
        with self._lock:
            self._begin()
            self._q("DELETE FROM aq_sources WHERE path = %s", (path,))

    def delete_orphans(self, article_ids: Iterable[str]) -> list[str]:
        deleted = []
        with self._lock:
            for aid in dict.fromkeys(article_ids):
                if self._q("SELECT 1 FROM aq_source_articles WHERE article_id = %s LIMIT 1", (aid,)).fetchone():
                    continue
                if self._q("SELECT 1 FROM aq_articles WHERE id = %s", (aid,)).fetchone():
                    self._begin()
                    self._delete_rows(aid, keep_sources=False)
                    deleted.append(aid)
        return deleted

    # ------------------------------------------------------------------ search
    def count_matching(self, filters: SearchFilter | None) -> int:
        where, params = (filters or SearchFilter()).where("%s")
        with self._lock:
            return int(self._q(f"SELECT count(*) FROM aq_chunks WHERE {where}", params).fetchone()[0])

    def _vector_query(self, q: np.ndarray, k: int, filters: SearchFilter, exact: bool) -> list[tuple[str, float]]:
        st = self.settings.store
        where, params = filters.where("%s")
        order = "(embedding <=> %s) + 0" if exact else "embedding <=> %s"  # "+ 0": no index can serve it
        sql = (f"SELECT id, 1 - (embedding <=> %s) FROM aq_chunks WHERE {where} ORDER BY {order} LIMIT %s")
        with self._conn.transaction():  # SET LOCAL lasts until the end of this (sub)transaction
            self._q(_search_settings(st, k))
            rows = self._q(sql, [q, *params, q, int(k)]).fetchall()
        # relaxed_order may return rows slightly out of order
        return sorted(((r[0], float(r[1])) for r in rows), key=lambda p: -p[1])

    def search(self, vector: np.ndarray, k: int, filters: SearchFilter | None = None) -> list[tuple[str, float]]:
        if k <= 0:
            return []
        q = np.asarray(vector, dtype=np.float32).reshape(-1)
        f = filters if filters is not None and not filters.is_empty() else SearchFilter()
        with self._lock:
            dim = self._dim()
            if dim is None:
                return []
            if q.shape[0] != dim:
                raise StoreError(f"query vector has dimension {q.shape[0]}, the index has {dim}")
            if f.is_empty():
                return self._vector_query(q, k, f, exact=False)
            n_match = self.count_matching(f)
            if n_match == 0:
                return []
            exact = n_match <= int(self.settings.store.exact_below)
            rows = self._vector_query(q, k, f, exact)
            if not exact and len(rows) < min(k, n_match):  # the index scan gave up before k rows passed
                rows = self._vector_query(q, k, f, exact=True)
            return rows

    def keyword_search(self, query: str, n: int, filters: SearchFilter | None = None,
                       also: Iterable[str] = ()) -> tuple[list[tuple[str, float]], dict[str, float], float]:
        """BM25 in the database: (the n best (chunk_id, score), scores of those and of ``also``, coverage)."""
        from articleqa.tokens import tokenize

        tokens = tokenize(query)
        with self._lock:
            cov = pg_keyword.coverage(self._conn, tokens)
            if cov == 0.0:
                return [], {}, 0.0
            ranked, scores = pg_keyword.keyword_search(self._conn, tokens, n, filters, also)
        return ranked, scores, cov

    # ------------------------------------------------------------------ reads
    def get_chunks(self, chunk_ids: Iterable[str]) -> list[Chunk]:
        ids = list(chunk_ids)
        if not ids:
            return []
        with self._lock:
            rows = self._q(f"SELECT {_CHUNK_COLS} FROM aq_chunks WHERE id = ANY(%s)", (ids,)).fetchall()
        found = {r[0]: _row_to_chunk(r) for r in rows}
        return [found[i] for i in ids if i in found]

    def get_article(self, article_id: str) -> Article | None:
        with self._lock:
            row = self._q(f"SELECT {', '.join(_ARTICLE_FIELDS)} FROM aq_articles WHERE id = %s",
                          (article_id,)).fetchone()
        return Article(**dict(zip(_ARTICLE_FIELDS, row))) if row else None

    def list_articles(self) -> list[dict[str, Any]]:
        cols = (*_ARTICLE_FIELDS, "n_chunks", "ingested_at")
        with self._lock:
            rows = self._q(f"SELECT {', '.join(cols)} FROM aq_articles ORDER BY id").fetchall()
        return [dict(zip(cols, r)) for r in rows]

    def list_collections(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._q("SELECT collection, count(*), coalesce(sum(n_chunks), 0) FROM aq_articles "
                           "GROUP BY collection ORDER BY collection").fetchall()
        return [{"name": r[0], "n_articles": int(r[1]), "n_chunks": int(r[2])} for r in rows]

    def iter_chunks(self) -> Iterator[Chunk]:
        with self._lock:
            rows = self._q(f"SELECT {_CHUNK_COLS} FROM aq_chunks ORDER BY article_id, ordinal").fetchall()
        for row in rows:
            yield _row_to_chunk(row)

    def chunks_of(self, article_id: str) -> list[Chunk]:
        with self._lock:
            rows = self._q(f"SELECT {_CHUNK_COLS} FROM aq_chunks WHERE article_id = %s ORDER BY ordinal",
                           (article_id,)).fetchall()
        return [_row_to_chunk(r) for r in rows]

    def get_vectors(self, chunk_ids: Iterable[str]) -> np.ndarray:
        ids = list(chunk_ids)
        with self._lock:
            rows = dict(self._q("SELECT id, embedding FROM aq_chunks WHERE id = ANY(%s)", (ids,)).fetchall()) \
                if ids else {}
            dim = self._dim() or 0
        missing = [i for i in ids if i not in rows]
        if missing:
            raise StoreError(f"no such chunks: {missing[:5]}")
        if not ids:
            return np.zeros((0, dim), dtype=np.float32)
        return np.stack([np.asarray(_array(rows[i]), dtype=np.float32) for i in ids])

    def check(self) -> list[str]:
        """Consistency problems (empty when sound)."""
        checks = [
            ("SELECT count(*) FROM aq_chunks WHERE vector_dims(embedding) != "
             "coalesce((SELECT value::int FROM aq_meta WHERE key = 'dim'), vector_dims(embedding))",
             "{} chunks have a vector of the wrong size"),
            ("SELECT count(*) FROM (SELECT a.id FROM aq_articles a LEFT JOIN aq_chunks c ON c.article_id = a.id "
             "GROUP BY a.id HAVING a.n_chunks != count(c.fid)) x", "{} articles have the wrong n_chunks"),
            ("SELECT count(*) FROM aq_articles WHERE n_chunks = 0", "{} articles have no chunks"),
            ("SELECT count(*) FROM aq_chunks c JOIN aq_articles a ON a.id = c.article_id WHERE "
             "substr(a.text, c.start_char + 1, c.end_char - c.start_char) != c.text", "{} chunk spans do not match"),
            ("SELECT count(*) FROM aq_chunks c JOIN aq_articles a ON a.id = c.article_id WHERE "
             "c.collection != a.collection OR c.source != a.source OR c.pub_date IS DISTINCT FROM a.pub_date",
             "{} chunks disagree with their article's filter columns"),
            ("SELECT abs((SELECT count(*) FROM aq_chunks) - (SELECT n_docs FROM aq_kw_stats WHERE field = 'b'))",
             "keyword statistics are off by {} chunks"),
            ("SELECT count(*) FROM aq_source_articles WHERE article_id NOT IN (SELECT id FROM aq_articles)",
             "{} manifest entries point at missing articles"),
        ]
        with self._lock:
            return [msg.format(n) for sql, msg in checks if (n := self._q(sql).fetchone()[0])]
