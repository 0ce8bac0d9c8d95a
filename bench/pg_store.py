"""The PostgreSQL + pgvector store beside FAISS + SQLite: dev-set retrieval quality, and query speed at scale.

    .venv/bin/python -m bench.pg_store retrieval [--splits drcd cmrc2018 squad1] [--sample N] [--json-out F]
    .venv/bin/python -m bench.pg_store scale [--sizes 100000] [--queries 300] [--index hnsw ivfflat] [--ef 40 100 200]
        [--probes 8 16 24 32] [--query-seed 11] [--reuse] [--json-out F]

retrieval: each split's dev articles are indexed once with our pipeline into FAISS + SQLite (the eval cache,
``eval.index.ensure_index``), then copied into a PostgreSQL database with `articleqa.store.transfer.copy_store`
(the same chunks and vectors: only the backends differ). Every question is answered by both: dense top-n from the
store, keyword top-n (in-process BM25 vs the store's SQL BM25), z-score fusion with the default settings. A hit is
a chunk of the gold article overlapping the gold context and containing a gold answer (bench/retrieval_table.py).

scale: n vectors = every real chunk vector of the three dev indexes, then noisy copies of them (as in
bench/search_scale.py, which explains why), loaded with COPY into the store's tables, then each asked vector index
built (HNSW: m, ef_construction from settings; IVFFlat: ``store.ivf_lists``, auto = rows / 500). Each kind is
measured alone (the other dropped in a transaction that rolls back). Queries: real dev questions (cached e5 query
vectors; ``--query-seed`` picks the sample, so settings tuned on one can be reported on another), through
``PostgresStore.search`` (k = 10), unfiltered at each ef_search / probes and with a collection filter matching 1%,
and that filter searched exactly. recall@10 against exact search (numpy over the same vectors). FAISS IVF (the store's ``ivf``: nlist <= 1024, nprobe 16) from the same run.
The embedded server runs under ``<cache>/bench/pgdata``.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
from contextlib import contextmanager

from bench.common import EVAL, machine, percentile, publish, read_jsonl, table

SPLITS = ["drcd", "cmrc2018", "squad1"]


def _settings():
    from articleqa.settings import load_settings

    return load_settings(**{"store.url": ""})


def _server(settings) -> str:
    from articleqa.store import pg_server

    root = settings.cache_dir / "bench"
    root.mkdir(parents=True, exist_ok=True)
    return pg_server.start(root / "pgdata")


def _fresh_db(server_url: str, name: str) -> str:
    import psycopg
    from psycopg import sql

    from articleqa.store import pg_server

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    return pg_server.create_database(server_url, name)


def _faiss_index(split: str, settings):
    """The split's FAISS + SQLite index: the eval harness's cached one when finished, else our own (built once)."""
    from articleqa.store import open_store
    from bench import retrieval_table as rt
    from eval.index import MARKER, index_dir_for

    shared = index_dir_for([EVAL / split / "dev" / "articles.jsonl"], settings)
    if (shared / MARKER).exists():
        return open_store(shared, settings, read_only=True)
    # a finished index of bench/retrieval_table.py (any chunking: both backends get the same chunks)
    for done in sorted((settings.cache_dir / "bench" / "retrieval").glob(f"{split}-*/.bench-complete")):
        return open_store(done.parent, settings, read_only=True)
    cache = settings.cache_dir / "bench" / "pg-faiss"
    cache.mkdir(parents=True, exist_ok=True)
    return rt.index_for(split, settings, cache)[0]


def _query_cache(settings):
    """Our query-vector cache, seeded with bench/retrieval_table.py's (same file names: split + embedder)."""
    import shutil

    cache = settings.cache_dir / "bench" / "pg-queries"
    cache.mkdir(parents=True, exist_ok=True)
    for npz in (settings.cache_dir / "bench" / "retrieval").glob("*-queries-*.npz"):
        if not (cache / npz.name).exists():
            shutil.copyfile(npz, cache / npz.name)
    return cache


def _hybrid(dense, hits, settings) -> list[str]:
    from qa.retrieval.fusion import fuse

    r = settings.retrieval
    fused = fuse(r.fusion, dense, hits.ranked, dense_weight=r.dense_weight, rrf_k=r.rrf_k,
                 keyword_lookup=hits.score, keyword_reliability=hits.coverage)
    return [f.chunk_id for f in fused]


def _score(ranked: list[str], chunks, gold, norm, stats: dict) -> None:
    from bench.retrieval_table import is_hit

    first = next((i for i, cid in enumerate(ranked[:10]) if is_hit(chunks[cid], gold, norm[cid])), None)
    stats["n"] += 1
    if first is not None:
        stats["h1"] += first == 0
        stats["h5"] += first < 5


def retrieval_split(split: str, settings, server_url: str, sample: int, seed: int) -> dict:
    """hit@1 / hit@5 of hybrid retrieval on one dev split, FAISS + SQLite vs PostgreSQL, same chunks and vectors."""
    from articleqa.store.postgres import PostgresStore
    from articleqa.store.transfer import copy_store
    from articleqa.text import normalize_for_match
    from bench.retrieval_table import gold_for, query_vectors
    from qa.retrieval.keyword import BM25Corpus, KeywordHits

    local = _faiss_index(split, settings)
    pg_settings = settings.with_overrides({"store.url": _fresh_db(server_url, f"bench_{split}")})
    pg = PostgresStore.open(pg_settings.store.url, pg_settings, create=True)
    t = time.time()
    copied = copy_store(local, pg)
    copy_s = time.time() - t
    questions = read_jsonl(EVAL / split / "dev" / "questions.jsonl")
    if sample and sample < len(questions):
        questions = random.Random(seed).sample(questions, sample)
    chunks = {c.id: c for c in local.iter_chunks()}
    norm = {cid: normalize_for_match(c.text) for cid, c in chunks.items()}
    texts = {a["id"]: local.get_article(a["id"]).text for a in local.list_articles()}
    corpus = BM25Corpus(list(chunks.values()), {a["id"]: a["title"] for a in local.list_articles()})
    cache = _query_cache(settings)
    vecs = query_vectors(questions, settings, cache, split)
    n = settings.retrieval.candidates
    stats = {b: {"n": 0, "h1": 0, "h5": 0} for b in ("faiss", "postgres")}
    times: dict[str, list[float]] = {"pg_dense": [], "pg_keyword": []}
    for q, v in zip(questions, vecs):
        gold = gold_for(q, texts.get(q["article_id"], ""))
        if gold is None:
            continue
        dense = local.search(v, n)
        _score(_hybrid(dense, corpus.search(q["question"], n), settings), chunks, gold, norm, stats["faiss"])
        t0 = time.perf_counter()
        pdense = pg.search(v, n)
        t1 = time.perf_counter()
        ranked, scores, cov = pg.keyword_search(q["question"], n, None, [c for c, _ in pdense])
        t2 = time.perf_counter()
        times["pg_dense"].append(t1 - t0)
        times["pg_keyword"].append(t2 - t1)
        hits = KeywordHits(ranked=ranked, scores=scores, coverage=cov)
        _score(_hybrid(pdense, hits, settings), chunks, gold, norm, stats["postgres"])
    local.close()
    pg.close()
    out = {b: {"hit@1": s["h1"] / max(s["n"], 1), "hit@5": s["h5"] / max(s["n"], 1), "questions": s["n"]}
           for b, s in stats.items()}
    out["info"] = {"chunks": copied.chunks, "articles": copied.articles, "copy_s": copy_s,
                   **{f"{k}_p50_ms": 1000 * percentile(v, 50) for k, v in times.items()},
                   **{f"{k}_p95_ms": 1000 * percentile(v, 95) for k, v in times.items()}}
    print(f"[{split}] {out}", file=sys.stderr, flush=True)
    return out


def render_retrieval(res: dict) -> str:
    rows = []
    for split, r in res["splits"].items():
        f, p, i = r["faiss"], r["postgres"], r["info"]
        rows.append([split, f["questions"], i["chunks"], f["hit@1"], p["hit@1"], p["hit@1"] - f["hit@1"], f["hit@5"],
                     p["hit@5"], p["hit@5"] - f["hit@5"], i["pg_dense_p50_ms"], i["pg_keyword_p50_ms"],
                     i["pg_keyword_p95_ms"]])
    head = (f"Hybrid retrieval (z-score, dense weight {res['dense_weight']}), same chunks and vectors in both "
            f"backends; {res['machine']['cores']} cores, load average {res['machine']['load_avg']} at the start.\n\n")
    return head + table(["split", "questions", "chunks", "hit@1 FAISS", "hit@1 PG", "diff", "hit@5 FAISS", "hit@5 PG",
                         "diff", "PG dense p50 ms", "PG BM25 p50 ms", "PG BM25 p95 ms"], rows)


def _real_vectors(settings, splits: list[str]):
    import numpy as np

    vecs = []
    for split in splits:
        store = _faiss_index(split, settings)
        ids = [c.id for c in store.iter_chunks()]
        vecs.append(np.asarray(store.get_vectors(ids), dtype=np.float32))
        store.close()
    return np.concatenate(vecs)


def _query_set(settings, count: int, splits: list[str], seed: int = 11):
    import numpy as np

    from bench.retrieval_table import query_vectors

    cache = _query_cache(settings)
    out = []
    for split in splits:
        rows = read_jsonl(EVAL / split / "dev" / "questions.jsonl")
        picked = random.Random(seed).sample(rows, min(count // len(splits), len(rows)))
        out.append(query_vectors(picked, settings, cache, split))
    return np.concatenate(out)


def _bulk_load(url: str, settings, vectors) -> dict:
    """COPY n synthetic chunks (one article per 1,000; 1% of the articles in collection "rare") into the store's
    schema (the vector index follows in `_ensure_index`); returns the timing."""
    import psycopg
    from pgvector.psycopg import register_vector

    from articleqa.store import pg_schema
    from articleqa.store.postgres import init_database

    init_database(url, settings)
    n, dim = vectors.shape
    per = 1000
    with psycopg.connect(url, autocommit=True) as conn:
        register_vector(conn)
        t0 = time.time()
        with conn.transaction():
            pg_schema.set_dimension(conn, dim)
            conn.execute("INSERT INTO aq_meta VALUES ('dim', %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                         (str(dim),))
            with conn.cursor().copy("COPY aq_articles (id, collection, title, text, source, url, date, author, lang, "
                                    "path, content_hash, n_chunks, ingested_at, title_tokens, title_len) FROM STDIN") as cp:
                for a in range((n + per - 1) // per):
                    cp.write_row((f"s{a}", "rare" if a % 100 == 7 else "bulk", "", "x" * per, "", "", "", "", "", "",
                                  "", min(per, n - a * per), 0.0, "", 0))
            with conn.cursor().copy("COPY aq_chunks (id, article_id, collection, source, ordinal, text, start_char, "
                                    "end_char, heading, n_tokens, embedding, tokens, kw_len) FROM STDIN") as cp:
                for i in range(n):
                    a = i // per
                    cp.write_row((f"s{a}:{i % per}", f"s{a}", "rare" if a % 100 == 7 else "bulk", "", i % per, "x",
                                  i % per, i % per + 1, "", 1, vectors[i], "", 0))
    return {"copy_s": time.time() - t0}


def _ensure_index(url: str, settings, kind: str, n: int) -> dict:
    """Build the ``kind`` vector index (store settings) unless a previous run left it; its build time and size."""
    import psycopg

    from articleqa.store import pg_schema

    name = pg_schema.INDEXES[kind]
    st = settings.with_overrides({"store.vector_index": kind}).store
    with psycopg.connect(url, autocommit=True) as conn:
        out: dict = {"reused": True}
        if not conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()[0]:
            t = time.time()
            with conn.transaction():
                pg_schema.build_index(conn, st, n)
            out = {"build_s": time.time() - t, "load_avg_after": list(os.getloadavg())}
        out["index_mib"] = conn.execute("SELECT pg_relation_size(%s)", (name,)).fetchone()[0] / 2**20
        out["table_mib"] = conn.execute("SELECT pg_total_relation_size('aq_chunks')").fetchone()[0] / 2**20
        if kind == "ivfflat":
            out["lists"] = int(conn.execute("SELECT value FROM aq_meta WHERE key = 'ivf_lists'").fetchone()[0])
    print(f"[{n}] {kind} index: {out}", file=sys.stderr, flush=True)
    return out


@contextmanager
def _only_index(store, kind: str):
    """Search through the ``kind`` index alone: the other vector index is dropped in a transaction that rolls back."""
    from articleqa.store import pg_schema

    with store._conn.transaction(force_rollback=True):
        for other, name in pg_schema.INDEXES.items():
            if other != kind:
                store._conn.execute(f"DROP INDEX IF EXISTS {name}")
        yield


def _measure(store, queries, truth, filters=None) -> dict:
    times, recalls = [], []
    for q, want in zip(queries, truth):
        t = time.perf_counter()
        hits = store.search(q, 10, filters)
        times.append(time.perf_counter() - t)
        got = {int(cid[1:].split(":")[0]) * 1000 + int(cid.split(":")[1]) for cid, _ in hits}
        recalls.append(len(got & set(want.tolist())) / 10)
    return {"p50_ms": 1000 * percentile(times, 50), "p95_ms": 1000 * percentile(times, 95),
            "recall@10": sum(recalls) / len(recalls)}


def _faiss_ivf(vectors, queries, truth) -> dict:
    import faiss
    import numpy as np

    n, dim = vectors.shape
    nlist = min(1024, max(1, int(round(4 * np.sqrt(n)))))
    t = time.time()
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
    index.cp.max_points_per_centroid = 64
    index.train(vectors)
    index.add(vectors)
    build = time.time() - t
    index.nprobe = 16
    times, recalls = [], []
    for q, want in zip(queries, truth):
        t = time.perf_counter()
        _, ids = index.search(q.reshape(1, -1), 10)
        times.append(time.perf_counter() - t)
        recalls.append(len(set(ids[0].tolist()) & set(want.tolist())) / 10)
    return {"build_s": build, "p50_ms": 1000 * percentile(times, 50), "p95_ms": 1000 * percentile(times, 95),
            "recall@10": sum(recalls) / len(recalls), "nlist": nlist}


def _measure_kind(url: str, settings, kind: str, values: list[int], data: dict) -> dict:
    """p50/p95/recall@10 through the ``kind`` index alone: unfiltered at each ef_search (HNSW) or probes (IVFFlat),
    then the 1% collection filter with the store's defaults (10,000 rows pass, over exact_below: the index path)."""
    from articleqa.store import SearchFilter
    from articleqa.store.postgres import PostgresStore

    knob = {"hnsw": "ef_search", "ivfflat": "ivf_probes"}[kind]
    base = settings.with_overrides({"store.url": url, "store.vector_index": kind})
    rows = {}
    with PostgresStore.open(url, base) as store, _only_index(store, kind):
        for v in values:
            store.settings = base.with_overrides({f"store.{knob}": v})
            store.search(data["queries"][0], 10)  # warm the connection and caches
            rows[f"{kind} {knob}={v}"] = _measure(store, data["queries"], data["truth"])
            print(f"[{data['n']}] {kind} {knob} {v}: {rows[f'{kind} {knob}={v}']}", file=sys.stderr, flush=True)
        store.settings = base
        rows[f"{kind} filter 1% (defaults)"] = _measure(store, data["queries"], data["rtruth"],
                                                        SearchFilter.make(collections="rare"))
        print(f"[{data['n']}] {kind} filter: {rows[f'{kind} filter 1% (defaults)']}", file=sys.stderr, flush=True)
    return rows


def _exact_filter(url: str, settings, data: dict) -> dict:
    from articleqa.store import SearchFilter
    from articleqa.store.postgres import PostgresStore

    s = settings.with_overrides({"store.url": url, "store.exact_below": data["n"]})
    with PostgresStore.open(url, s) as store:
        return _measure(store, data["queries"], data["rtruth"], SearchFilter.make(collections="rare"))


def scale_size(n: int, settings, server_url: str, args) -> dict:
    """Load n synthetic chunks (or, with --reuse, query the database a previous run loaded: the synthetic vectors
    are seeded, so they are the same), build each asked index kind that is missing, measure each alone."""
    import numpy as np

    from articleqa.store import pg_server
    from bench.search_scale import _synthetic

    real = _real_vectors(settings, args.splits)
    vectors = _synthetic(real, n)
    queries = _query_set(settings, args.queries, args.splits, args.query_seed)
    rare = np.flatnonzero((np.arange(n) // 1000) % 100 == 7)
    data = {"n": n, "queries": queries, "truth": np.argsort(-(queries @ vectors.T), axis=1)[:, :10],
            "rtruth": rare[np.argsort(-(queries @ vectors[rare].T), axis=1)[:, :10]]}
    if args.reuse:
        url, load = pg_server.with_database(server_url, f"bench_scale_{n}"), {"reused": True}
    else:
        url = _fresh_db(server_url, f"bench_scale_{n}")
        load = _bulk_load(url, settings, vectors)
    print(f"[{n}] loaded: {load}", file=sys.stderr, flush=True)
    knobs = {"hnsw": args.ef, "ivfflat": args.probes}
    indexes = {kind: _ensure_index(url, settings, kind, n) for kind in args.index}
    rows = {}
    for kind in args.index:
        rows.update(_measure_kind(url, settings, kind, knobs[kind], data))
    rows["filter 1% exact (exact_below raised)"] = _exact_filter(url, settings, data)
    return {"n": n, "dim": int(vectors.shape[1]), "real": int(min(n, len(real))), "queries": int(len(queries)),
            "load": load, "indexes": indexes, "postgres": rows,
            "faiss_ivf": _faiss_ivf(vectors, queries, data["truth"]),
            "load_avg_end": list(os.getloadavg())}


def render_scale(res: dict) -> str:
    out = []
    for r in res["sizes"]:
        ld = r["load"]
        copy = "reused from an earlier run" if ld.get("reused") else f"COPY {ld['copy_s']:.0f} s"
        builds = "; ".join(f"{k} index " + ("reused" if ix.get("reused") else f"built in {ix['build_s']:.0f} s")
                           + f", {ix['index_mib']:.0f} MiB" + (f", {ix['lists']} lists" if "lists" in ix else "")
                           for k, ix in r["indexes"].items())
        out.append(f"**{r['n']:,} chunks** ({r['real']:,} real chunk vectors of {', '.join(res['splits'])} dev, the rest "
                   f"noisy copies; {r['queries']} real dev questions (sample seed {res['query_seed']}); {r['dim']} "
                   f"dimensions; HNSW m {res['hnsw']['m']}, ef_construction {res['hnsw']['ef_construction']}; "
                   f"{res['machine']['cores']} cores, load average {res['machine']['load_avg']} at the start, "
                   f"{[round(x, 2) for x in r['load_avg_end']]} at the end). Load: {copy}; {builds}.\n")
        rows = [[k, v["p50_ms"], v["p95_ms"], v["recall@10"]] for k, v in r["postgres"].items()]
        f = r["faiss_ivf"]
        rows.append([f"FAISS IVF nlist {f['nlist']} nprobe 16 (build {f['build_s']:.0f} s)", f["p50_ms"], f["p95_ms"],
                     f["recall@10"]])
        out.append(table(["search (k = 10)", "p50 ms", "p95 ms", "recall@10"], rows))
    return "\n\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=["retrieval", "scale"])
    ap.add_argument("--splits", nargs="+", default=SPLITS)
    ap.add_argument("--sample", type=int, default=0, help="questions per split (0 = all)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sizes", nargs="+", type=int, default=[100_000])
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--ef", nargs="+", type=int, default=[40, 100, 200], help="scale: HNSW ef_search values")
    ap.add_argument("--index", nargs="+", choices=["hnsw", "ivfflat"], default=["hnsw"], help="scale: index kinds")
    ap.add_argument("--probes", nargs="+", type=int, default=[8, 16, 24, 32], help="scale: IVFFlat probes values")
    ap.add_argument("--query-seed", type=int, default=11, help="scale: which dev questions (random sample seed)")
    ap.add_argument("--reuse", action="store_true", help="scale: query the database a previous run loaded")
    ap.add_argument("--json-out", default=None)
    args = ap.parse_args(argv)
    settings = _settings()
    server = _server(settings)
    res: dict = {"machine": machine(), "dense_weight": settings.retrieval.dense_weight}
    if args.what == "retrieval":
        res["splits"] = {s: retrieval_split(s, settings, server, args.sample, args.seed) for s in args.splits}
        return publish(res, render_retrieval, args.json_out)
    res["splits"] = args.splits
    res["hnsw"] = {"m": settings.store.hnsw_m, "ef_construction": settings.store.hnsw_ef_construction}
    res["query_seed"] = args.query_seed
    res["sizes"] = [scale_size(n, settings, server, args) for n in args.sizes]
    return publish(res, render_scale, args.json_out)


if __name__ == "__main__":
    sys.exit(main())
