"""Query latency, build time, memory and file size of the vector index at 10k, 100k and 1M chunks.

    .venv/bin/python -m bench.search_scale [--quick] [--sizes 10000 100000] [--queries 200] [--json-out FILE]

Vectors: every real chunk vector of the three dev indexes (DRCD, CMRC 2018, SQuAD, as ingested by
``bench/retrieval_table.py``), then synthetic ones up to n: a real chunk vector plus Gaussian noise (norm 0.4 to
1.0), normalised again. Noisy copies keep the real vectors' anisotropy (e5 vectors all sit in a narrow cone), so
they compete with the real neighbours and recall@10 is a hard test; uniformly random unit vectors would be near
orthogonal to every query and never enter the top 10, which would flatter an approximate index.

Queries: real dev questions of the three sets, embedded by the real embedder (that time is measured per query).

Per query: embed + dense search (FAISS, ``settings.retrieval.candidates`` results, plus the store's SQLite
``fid -> chunk id`` look-up on a table of n rows, as ``FaissSqliteStore.search`` does) + BM25 + z-score fusion.
BM25 over 1M synthetic chunks is not meaningful (there is no text), so the keyword side is the real BM25 index of
the real chunks (a few thousand) returning the same number of candidates; its time is measured on that corpus and
grows with the collection (posting lists), which these numbers do not show.

Indexes: exact (``IndexFlatIP``, as the store's ``flat``) and IVF (``IndexIVFFlat``, the store's ``ivf``:
inner product, nlist = round(4*sqrt(n)) capped at ``--max-nlist``, trained on at most 64 points per list;
nprobe from settings and a sweep). HNSW is left out: building it at 1M on 2 cores takes far longer than the
budget. recall@10 = share of the exact top 10 found in the approximate top 10. Each n runs in its own process.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from bench.common import DATASETS, machine, peak_rss_mib, percentile, publish, read_jsonl, rss_mib, run_child, table, write_json
from bench.common import EVAL

MODULE = "bench.search_scale"
NPROBES = (4, 8, 16, 32, 64)


def _real_corpus(settings):
    """(chunk ids, vectors, chunks, titles) of the three dev indexes, ingesting any that are not cached yet."""
    import numpy as np

    from bench import retrieval_table as rt

    # Our own cache (not retrieval_table's default one, which its runs may be rebuilding at the same time).
    cache = settings.cache_dir / "bench" / "speed-retrieval"
    cache.mkdir(parents=True, exist_ok=True)
    ids, vecs, chunks, titles = [], [], [], {}
    for split in DATASETS:
        store, _ = rt.index_for(split, settings, cache)
        cs = list(store.iter_chunks())
        ids += [c.id for c in cs]
        chunks += cs
        if not cs:
            raise RuntimeError(f"the cached {split} index under {cache} is empty: delete it and run again")
        vecs.append(np.asarray(store.get_vectors([c.id for c in cs]), dtype=np.float32))
        titles.update({a["id"]: a["title"] for a in store.list_articles()})
        store.close()
    return ids, np.concatenate(vecs), chunks, titles


def _synthetic(real, n: int, seed: int = 7):
    import numpy as np

    rng = np.random.default_rng(seed)
    r, d = real.shape
    out = np.empty((n, d), dtype=np.float32)
    m = min(r, n)
    out[:m] = real[:m]
    for lo in range(m, n, 65536):
        hi = min(n, lo + 65536)
        src = real[rng.integers(0, r, hi - lo)]
        noise = rng.standard_normal((hi - lo, d)).astype(np.float32)
        noise *= (rng.uniform(0.4, 1.0, (hi - lo, 1)) / np.linalg.norm(noise, axis=1, keepdims=True)).astype(np.float32)
        block = src + noise
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[lo:hi] = block
    return out


def _queries(count: int, seed: int = 11) -> list[str]:
    import random

    qs = []
    per = max(1, count // len(DATASETS))
    for split in DATASETS:
        rows = read_jsonl(EVAL / split / "dev" / "questions.jsonl")
        qs += [q["question"] for q in random.Random(seed).sample(rows, min(per, len(rows)))]
    return qs[:count]


def _file_mib(index) -> float:
    import faiss

    with tempfile.NamedTemporaryFile(suffix=".faiss") as fh:
        faiss.write_index(index, fh.name)
        return Path(fh.name).stat().st_size / 2**20


class _IdTable:
    """The store's ``fid -> chunk id`` look-up (``FaissSqliteStore.search``), on a SQLite table of n rows."""

    def __init__(self, names: list[str]) -> None:
        import sqlite3

        self._tmp = tempfile.TemporaryDirectory(prefix="bench-scale-")
        self.conn = sqlite3.connect(str(Path(self._tmp.name) / "ids.sqlite"))
        self.conn.execute("CREATE TABLE chunks (fid INTEGER PRIMARY KEY, id TEXT NOT NULL)")
        self.conn.executemany("INSERT INTO chunks VALUES (?, ?)", ((i + 1, x) for i, x in enumerate(names)))
        self.conn.commit()

    def lookup(self, fids) -> list[str]:
        marks = ",".join("?" * len(fids))
        got = dict(self.conn.execute(f"SELECT fid, id FROM chunks WHERE fid IN ({marks})",
                                     [int(f) + 1 for f in fids]))
        return [got[int(f) + 1] for f in fids if int(f) + 1 in got]

    def close(self) -> None:
        self.conn.close()
        self._tmp.cleanup()


def _timed(fn, items) -> tuple[list, list[float]]:
    """(fn(item) for each item, seconds each took)."""
    out, secs = [], []
    for x in items:
        t = time.perf_counter()
        out.append(fn(x))
        secs.append(time.perf_counter() - t)
    return out, secs


class _Run:
    """One n: the queries (embedded, keyword hits) and the look-up table shared by every index measured."""

    def __init__(self, n: int, settings, Q, t_embed: list[float], kw_hits: list, t_kw: list[float], ids: _IdTable):
        self.n, self.settings, self.Q, self.t_embed, self.kw_hits, self.t_kw, self.ids = (
            n, settings, Q, t_embed, kw_hits, t_kw, ids)
        self.cands = settings.retrieval.candidates

    def _one(self, index, i: int) -> tuple[float, float, object]:
        """(dense seconds, fusion seconds, top-10 fids) for query i."""
        from qa.retrieval.fusion import fuse

        r = self.settings.retrieval
        hits = self.kw_hits[i]
        t = time.perf_counter()
        scores, fids = index.search(self.Q[i].reshape(1, -1), self.cands)
        keep = fids[0] >= 0
        dense = list(zip(self.ids.lookup(fids[0][keep]), scores[0][keep].tolist()))
        t1 = time.perf_counter()
        fuse("zscore", dense, hits.ranked, dense_weight=r.dense_weight, rrf_k=r.rrf_k, keyword_lookup=hits.score,
             keyword_reliability=hits.coverage)
        return t1 - t, time.perf_counter() - t1, fids[0][:10]

    def measure(self, kind: str, index, build_s: float, rss_before: float, nprobe: int | None,
                truth=None) -> dict:
        import numpy as np

        per = [self._one(index, i) for i in range(len(self.Q))]
        t_dense, t_fuse, found = [p[0] for p in per], [p[1] for p in per], [p[2] for p in per]
        search_only = [d + k + f for d, k, f in zip(t_dense, self.t_kw, t_fuse)]
        totals = [e + s for e, s in zip(self.t_embed, search_only)]
        rec = None
        if truth is not None:
            rec = float(np.mean([len(set(a.tolist()) & set(b.tolist())) / 10 for a, b in zip(found, truth)]))
        ms = {f"{name}_p{q}_ms": 1e3 * percentile(vals, q)
              for name, vals in (("dense", t_dense), ("total", totals), ("search", search_only)) for q in (50, 95)}
        return {"n": self.n, "index": kind, "nprobe": nprobe, "build_s": build_s,
                "memory_mib": max(0.0, rss_mib() - rss_before), "file_mib": _file_mib(index),
                **ms, "fuse_p50_ms": 1e3 * percentile(t_fuse, 50), "recall@10": rec, "_found": found}


def _exact_rows(run: _Run, X) -> tuple[list[dict], list]:
    """The exact index's row, and its top 10 per query (the truth for recall)."""
    import faiss
    import numpy as np

    rb = rss_mib()
    t = time.perf_counter()
    flat = faiss.IndexIDMap(faiss.IndexFlatIP(X.shape[1]))
    flat.add_with_ids(X, np.arange(len(X), dtype=np.int64))
    exact = run.measure("flat", flat, time.perf_counter() - t, rb, None)
    truth = exact.pop("_found")
    exact["recall@10"] = 1.0
    return [exact], truth


def _ivf_rows(run: _Run, X, max_nlist: int, truth) -> list[dict]:
    """IVF, built like the store's (IndexIDMap(IndexIVFFlat), inner product), one row per nprobe."""
    import faiss
    import numpy as np

    n, d = X.shape
    nlist = max(1, min(int(round(4 * np.sqrt(n))), max_nlist, n // 39))
    rb = rss_mib()
    t = time.perf_counter()
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, nlist, faiss.METRIC_INNER_PRODUCT)
    ivf.cp.max_points_per_centroid = 64
    ivf.train(X)
    train_s = time.perf_counter() - t
    index = faiss.IndexIDMap(ivf)
    index.add_with_ids(X, np.arange(n, dtype=np.int64))
    build_s = time.perf_counter() - t
    default_np = int(run.settings.index.ivf_nprobe)
    rows = []
    for nprobe in sorted(set(NPROBES) | {default_np}):
        ivf.nprobe = nprobe
        r = run.measure("ivf", index, build_s, rb, nprobe, truth)
        r.pop("_found")
        r.update(nlist=nlist, train_s=train_s, default=nprobe == default_np)
        rows.append(r)
    return rows


def run_size(n: int, n_queries: int, max_nlist: int) -> dict:
    import numpy as np

    from articleqa.models.embedder import embed_query, load_embedder
    from articleqa.settings import load_settings
    from qa.retrieval.keyword import BM25Corpus

    settings = load_settings()
    ids, real, chunks, titles = _real_corpus(settings)
    model = load_embedder(settings)
    questions = _queries(n_queries)
    embed_query(model, "warm up")
    qvecs, t_embed = _timed(lambda q: embed_query(model, q), questions)
    corpus = BM25Corpus(chunks, titles)
    rss0 = rss_mib()
    X = _synthetic(real, n)
    table_ = _IdTable(ids + [f"syn:{i}" for i in range(len(ids), n)])
    # keyword side and fusion: per query, on the real corpus
    kw_hits, t_kw = _timed(lambda q: corpus.search(q, settings.retrieval.candidates), questions)
    run = _Run(n, settings, np.stack(qvecs).astype(np.float32), t_embed, kw_hits, t_kw, table_)
    rows, truth = _exact_rows(run, X)
    rows += _ivf_rows(run, X, max_nlist, truth)
    table_.close()
    return {"n": n, "real_chunks": len(ids), "queries": len(questions), "candidates": run.cands,
            "embed_p50_ms": 1e3 * percentile(t_embed, 50), "embed_p95_ms": 1e3 * percentile(t_embed, 95),
            "bm25_p50_ms": 1e3 * percentile(t_kw, 50), "bm25_p95_ms": 1e3 * percentile(t_kw, 95),
            "vectors_mib": X.nbytes / 2**20, "rss_before_vectors_mib": rss0, "rows": rows,
            "peak_rss_mib": peak_rss_mib()}


def render(res: dict) -> str:
    out, rows, notes = [], [], []
    for r in res["sizes"]:
        if "error" in r:
            notes.append(f"- FAILED: {r['error'].splitlines()[0]} {r['error'].strip().splitlines()[-1]}")
            continue
        notes.append(f"- n={r['n']:,}: {r['real_chunks']:,} real chunk vectors + synthetic; {r['queries']} real "
                     f"queries; embed p50/p95 {r['embed_p50_ms']:.1f}/{r['embed_p95_ms']:.1f} ms, BM25 (real corpus, "
                     f"{r['candidates']} candidates) p50 {r['bm25_p50_ms']:.2f} ms; peak RSS {r['peak_rss_mib']:.0f} MiB")
        for x in r["rows"]:
            label = "exact (flat)" if x["index"] == "flat" else f"IVF nlist={x['nlist']} nprobe={x['nprobe']}" + (
                " (settings)" if x.get("default") else "")
            rows.append([f"{x['n']:,}", label, x["total_p50_ms"], x["total_p95_ms"], x.get("search_p50_ms", "-"),
                         x.get("search_p95_ms", "-"), x["dense_p50_ms"], x["recall@10"], x["build_s"],
                         x["memory_mib"], x["file_mib"]])
    out.append(table(["chunks", "index", "query p50 ms", "query p95 ms", "search p50 ms", "search p95 ms",
                      "dense+lookup p50 ms", "recall@10", "build s", "index RAM MiB", "index file MiB"], rows))
    notes.append("- query = embed + search; search = dense (FAISS + SQLite id look-up) + BM25 + z-score fusion, "
                 "the part that grows with the collection")
    # targets
    for r in res["sizes"]:
        if "error" in r:
            continue
        target = 50.0 if r["n"] <= 100_000 else 150.0
        ivf = [x for x in r["rows"] if x["index"] == "ivf" and (x["recall@10"] or 0) >= 0.95]
        best = min(ivf, key=lambda x: x["nprobe"]) if ivf else None  # the cheapest setting that reaches 0.95
        flat = next(x for x in r["rows"] if x["index"] == "flat")
        if best:
            notes.append(f"- n={r['n']:,}: target query p50 <= {target:.0f} ms; exact {flat['total_p50_ms']:.1f} ms "
                         f"({'met' if flat['total_p50_ms'] <= target else 'missed'}; search alone "
                         f"{flat.get('search_p50_ms', float('nan')):.1f} ms); IVF nprobe={best['nprobe']} "
                         f"(recall@10 {best['recall@10']:.3f}) {best['total_p50_ms']:.1f} ms "
                         f"({'met' if best['total_p50_ms'] <= target else 'missed'}; search alone "
                         f"{best.get('search_p50_ms', float('nan')):.1f} ms)")
        else:
            notes.append(f"- n={r['n']:,}: no IVF setting reached recall@10 >= 0.95; exact {flat['total_p50_ms']:.1f} ms")
    out.append("\n".join(notes))
    return "\n\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--quick", action="store_true", help="10k and 100k, 60 queries")
    ap.add_argument("--sizes", type=int, nargs="+", default=None)
    ap.add_argument("--queries", type=int, default=None)
    ap.add_argument("--max-nlist", type=int, default=1024)
    ap.add_argument("--json-out", default=None)
    args = ap.parse_args(argv)
    queries = args.queries or (60 if args.quick else 200)
    if args.n:
        write_json(args.json_out, run_size(args.n, queries, args.max_nlist))
        return 0
    sizes = args.sizes or ([10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000])
    res = {"machine": machine(), "queries": queries, "sizes": []}
    for n in sizes:
        res["sizes"].append(run_child(MODULE, ["--n", str(n), "--queries", str(queries), "--max-nlist",
                                               str(args.max_nlist)], timeout=1500))
    return publish(res, render, args.json_out)


if __name__ == "__main__":
    sys.exit(main())
