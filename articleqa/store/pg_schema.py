"""The PostgreSQL schema, versioned: ``MIGRATIONS[i]`` takes a database from version i to i + 1.

`articleqa db init` (and the first ingest) applies the missing ones in one transaction, under an advisory lock so
that two processes cannot migrate at once. The vector column gets its dimension (``vector(384)`` for e5-small)
and its vector index (HNSW or IVFFlat, `store.vector_index`) at the commit of the first vectors, because the store
does not know the embedder before that (and IVFFlat needs rows to train on).
"""
from __future__ import annotations

SCHEMA_LOCK = 0x61716D67  # advisory lock key while migrating ("aqmg")
WRITE_LOCK = 0x61717772  # advisory lock key held by the one writer ("aqwr")

MIGRATIONS: list[str] = [
    """
    CREATE EXTENSION IF NOT EXISTS vector;
    CREATE TABLE aq_meta (key text PRIMARY KEY, value jsonb NOT NULL);
    CREATE TABLE aq_articles (
        id text PRIMARY KEY, collection text NOT NULL, title text NOT NULL, text text NOT NULL,
        source text NOT NULL, url text NOT NULL, date text NOT NULL, pub_date text, author text NOT NULL,
        lang text NOT NULL, path text NOT NULL, content_hash text NOT NULL, n_chunks integer NOT NULL,
        ingested_at double precision NOT NULL, title_tokens tsvector NOT NULL, title_len integer NOT NULL
    );
    CREATE INDEX aq_articles_by_hash ON aq_articles (content_hash);
    CREATE INDEX aq_articles_by_collection ON aq_articles (collection);
    CREATE INDEX aq_articles_title_tokens ON aq_articles USING gin (title_tokens);
    CREATE TABLE aq_chunks (
        fid bigserial PRIMARY KEY, id text NOT NULL UNIQUE,
        article_id text NOT NULL REFERENCES aq_articles (id) ON DELETE CASCADE,
        collection text NOT NULL, source text NOT NULL, pub_date text,
        ordinal integer NOT NULL, text text NOT NULL, start_char integer NOT NULL, end_char integer NOT NULL,
        heading text NOT NULL, n_tokens integer NOT NULL,
        embedding vector NOT NULL, tokens tsvector NOT NULL, kw_len integer NOT NULL
    );
    CREATE INDEX aq_chunks_by_article ON aq_chunks (article_id, ordinal);
    CREATE INDEX aq_chunks_by_collection ON aq_chunks (collection);
    CREATE INDEX aq_chunks_by_source ON aq_chunks (source);
    CREATE INDEX aq_chunks_by_date ON aq_chunks (pub_date);
    CREATE INDEX aq_chunks_tokens ON aq_chunks USING gin (tokens);
    -- BM25 statistics over the same tokens as the in-process BM25: document frequency per term and field
    -- ('b' = chunk heading + text, 't' = article title), documents and total length per field.
    CREATE TABLE aq_terms (field "char" NOT NULL, term text NOT NULL, df integer NOT NULL,
                           PRIMARY KEY (field, term));
    CREATE TABLE aq_kw_stats (field "char" PRIMARY KEY, n_docs bigint NOT NULL, total_len bigint NOT NULL);
    INSERT INTO aq_kw_stats VALUES ('b', 0, 0), ('t', 0, 0);
    CREATE TABLE aq_sources (path text PRIMARY KEY, file_hash text NOT NULL, complete boolean NOT NULL,
                             ingested_at double precision NOT NULL);
    CREATE TABLE aq_source_articles (
        path text NOT NULL REFERENCES aq_sources (path) ON DELETE CASCADE, article_id text NOT NULL,
        pos integer NOT NULL, PRIMARY KEY (path, article_id)
    );
    CREATE INDEX aq_source_articles_by_article ON aq_source_articles (article_id);
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


def current_version(conn) -> int:
    """The schema version of the connected database (0 = no articleqa schema)."""
    row = conn.execute("SELECT to_regclass('aq_schema') IS NOT NULL").fetchone()
    if not row[0]:
        return 0
    got = conn.execute("SELECT max(version) FROM aq_schema").fetchone()
    return int(got[0] or 0)


def migrate(conn) -> tuple[int, int]:
    """Apply the missing migrations in one transaction; returns (version before, version after)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        before = current_version(conn)
        if before > SCHEMA_VERSION:
            from articleqa.store.base import StoreError

            raise StoreError(f"the database has schema version {before}, this articleqa knows {SCHEMA_VERSION}: "
                             "upgrade articleqa")
        conn.execute("CREATE TABLE IF NOT EXISTS aq_schema (version integer NOT NULL, applied_at timestamptz "
                      "NOT NULL DEFAULT now())")
        for version in range(before, SCHEMA_VERSION):
            conn.execute(MIGRATIONS[version])
            conn.execute("INSERT INTO aq_schema (version) VALUES (%s)", (version + 1,))
    return before, SCHEMA_VERSION


INDEXES = {"hnsw": "aq_chunks_hnsw", "ivfflat": "aq_chunks_ivfflat"}  # the vector index's name per kind


def set_dimension(conn, dim: int) -> None:
    """Give the (empty) vector column its dimension; the vector index follows at commit (`sync_index`)."""
    for name in INDEXES.values():
        conn.execute(f"DROP INDEX IF EXISTS {name}")
    conn.execute(f"ALTER TABLE aq_chunks ALTER COLUMN embedding TYPE vector({int(dim)})")


def ivf_lists(rows: int, store_settings) -> int:
    """IVFFlat lists: the setting, or (0 = auto) rows / 500 up to 1M rows and 2 sqrt(rows) above. pgvector advises
    rows / 1000; at 1M, 2,000 lists at 16 probes beat 1,000 lists at 16 probes here (docs/benchmarks.md)."""
    if int(store_settings.ivf_lists) > 0:
        return min(int(store_settings.ivf_lists), 32768)
    return max(1, min(32768, rows // 500 if rows <= 1_000_000 else int(2 * rows ** 0.5)))


def build_index(conn, store_settings, rows: int = 0, name: str = "") -> None:
    """Build the vector index (cosine) of kind ``store.vector_index`` over the rows there. HNSW: pgvector builds
    far faster than it inserts one by one (0.66 vs 2.4 ms a row at 16 dimensions on this loaded 2-core machine).
    IVFFlat: k-means lists trained on these ``rows``; later rows go to the nearest list without retraining."""
    import re

    memory = str(store_settings.build_memory).strip()
    if not re.fullmatch(r"\d+\s*(kB|MB|GB)", memory):
        from articleqa.store.base import StoreError

        raise StoreError(f"store.build_memory {memory!r}: expected a size such as 512MB")
    conn.execute(f"SET LOCAL maintenance_work_mem = '{memory}'")
    kind = store_settings.vector_index
    name = name or INDEXES[kind]
    if kind == "ivfflat":
        lists = ivf_lists(rows, store_settings)
        conn.execute(f"CREATE INDEX {name} ON aq_chunks USING ivfflat (embedding vector_cosine_ops) "
                     f"WITH (lists = {lists})")
        conn.execute("INSERT INTO aq_meta VALUES ('ivf_rows', %s), ('ivf_lists', %s) ON CONFLICT (key) DO UPDATE "
                     "SET value = EXCLUDED.value", (str(int(rows)), str(lists)))
        return
    conn.execute(
        f"CREATE INDEX {name} ON aq_chunks USING hnsw (embedding vector_cosine_ops) "
        f"WITH (m = {int(store_settings.hnsw_m)}, ef_construction = {int(store_settings.hnsw_ef_construction)})"
    )


def existing_index(conn) -> str | None:
    """The kind of vector index the table has now (None = none: searches scan exactly)."""
    for kind, name in INDEXES.items():
        if conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()[0]:
            return kind
    return None


def _ivf_is_current(conn, store_settings, rows: int) -> bool:
    built = conn.execute("SELECT value FROM aq_meta WHERE key = 'ivf_rows'").fetchone()
    return rows <= float(store_settings.ivf_retrain_growth) * (int(built[0]) if built else 0)


def sync_index(conn, store_settings) -> str | None:
    """At a writer's commit, once the column has its dimension: make the vector index the kind the settings ask for.
    HNSW is built when missing (the first load after init/clear, or a switch from IVFFlat) and then kept up row by
    row. IVFFlat needs rows to train its lists: below ``ivf_min_rows`` there is none (exact scan); it is built once
    that many rows are there and rebuilt (retrained) when the table has grown ``ivf_retrain_growth`` times since.
    A new index is built under a temporary name before the old one goes: readers keep using the old one meanwhile
    (CREATE INDEX blocks writes, not reads; the DROP's exclusive lock lasts only until the commit that follows).
    Returns the kind built, if any."""
    want, have = store_settings.vector_index, existing_index(conn)
    rows = int(conn.execute("SELECT count(*) FROM aq_chunks").fetchone()[0]) if want == "ivfflat" else 0
    if want == have and (want == "hnsw" or (rows >= int(store_settings.ivf_min_rows)
                                           and _ivf_is_current(conn, store_settings, rows))):
        return None
    built = None
    if want == "hnsw" or rows >= int(store_settings.ivf_min_rows):
        build_index(conn, store_settings, rows, name="aq_chunks_vec_new")
        built = want
    for name in INDEXES.values():
        conn.execute(f"DROP INDEX IF EXISTS {name}")
    if built:
        conn.execute(f"ALTER INDEX aq_chunks_vec_new RENAME TO {INDEXES[want]}")
    return built


def drop_dimension(conn) -> None:
    """Back to an untyped vector column (after clear(), so that another embedder can fill it)."""
    for name in INDEXES.values():
        conn.execute(f"DROP INDEX IF EXISTS {name}")
    conn.execute("ALTER TABLE aq_chunks ALTER COLUMN embedding TYPE vector")
