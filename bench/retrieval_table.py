"""Retrieval quality on the dev splits: hit@1 / hit@5 / MRR@10 for dense, BM25, RRF and z-score fusion.

    .venv/bin/python bench/retrieval_table.py                      # all three splits, full question sets
    .venv/bin/python bench/retrieval_table.py --splits squad1 --sample 1000 --weights 0.5 0.6 0.7 0.8

Each split's ``articles.jsonl`` is ingested with our pipeline (``ingest.ingest_paths``) into
``<cache>/bench/retrieval/<split>-<key>/`` where the key covers the chunking settings, the embedder and the
articles file, so reruns reuse the index. Query vectors are cached in ``<split>-queries-<embedder key>.npz``
beside it (batched encoding with the ``query: `` prompt).

A hit is a retrieved chunk from the gold article whose span overlaps the gold ``context`` (an exact substring
of the article text) and which contains a gold answer (both compared after Simplified conversion, width folding
and lower-casing).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from articleqa.settings import Settings, load_settings  # noqa: E402
from articleqa.text import normalize_for_match  # noqa: E402
from qa.retrieval.fusion import fuse  # noqa: E402
from qa.retrieval.keyword import ENGLISH_STOPWORDS, BM25Corpus  # noqa: E402

EVAL = Path(os.environ.get("ARTICLEQA_EVAL_DIR", Path(__file__).resolve().parents[2] / "shared" / "eval"))
SPLITS = ["drcd", "cmrc2018", "squad1"]
# The plain LangChain pipeline (hit@1, hit@5), from /work/shared/notes/retrieval-baseline.md.
PLAIN = {"drcd": (0.78, 0.97), "cmrc2018": (0.75, 0.98), "squad1": (0.72, 0.94)}


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def _sha(*parts: object) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(str(p).encode())
        h.update(b"\0")
    return h.hexdigest()[:12]


def index_for(split: str, settings: Settings, cache: Path, rebuild: bool = False):
    """The split's index, ingested once and cached; returns the open store."""
    from articleqa.store import open_store
    from ingest import ingest_paths

    articles = EVAL / split / "dev" / "articles.jsonl"
    key = _sha(
        settings.chunking.model_dump_json(), settings.models.embedder, settings.index.kind,
        hashlib.sha256(articles.read_bytes()).hexdigest(), *_backend_key(settings),
    )
    index_dir = cache / f"{split}-{key}"
    done = index_dir / ".bench-complete"
    if rebuild or not done.exists():
        import shutil

        shutil.rmtree(index_dir, ignore_errors=True)
        t = time.time()
        report = ingest_paths([articles], index_dir, settings)
        n_articles = len(_jsonl(articles))
        with open_store(index_dir, settings) as store:
            stored = len(store.list_articles())
        if report.failed or stored != n_articles:
            raise SystemExit(f"{articles}: ingest stored {stored} of {n_articles} articles; failed: {report.failed}")
        done.write_text(f"ingested in {time.time() - t:.1f}s: {report}\n")
        print(f"[{split}] ingested into {index_dir} in {time.time() - t:.1f}s", file=sys.stderr)
    return open_store(index_dir, settings), index_dir


def _backend_key(settings: Settings) -> tuple:
    """The embedder backend, for cache keys (torch's cached files keep their old names)."""
    return () if settings.models.embed_backend == "torch" else (settings.models.embed_backend,)


def query_vectors(questions: list[dict], settings: Settings, cache: Path, split: str) -> np.ndarray:
    """Query embeddings for ``questions``, cached by question text (per split and embedder, shared by indexes)."""
    path = cache / f"{split}-queries-{_sha(settings.models.embedder, *_backend_key(settings))}.npz"
    cached: dict[str, np.ndarray] = {}
    if path.exists():
        with np.load(path, allow_pickle=False) as z:
            cached = dict(zip(z["texts"].tolist(), z["vectors"]))
    todo = sorted({q["question"] for q in questions} - cached.keys())
    if todo:
        from articleqa.models import embedder as emb

        model = emb.load_embedder(settings)
        t = time.time()
        prefix = getattr(emb, "_prefix", None)
        if prefix is not None:  # batched: the same vectors as embed_query, several times faster
            for i in range(0, len(todo), 256):
                part = todo[i : i + 256]
                vecs = model.encode(part, batch_size=32, normalize_embeddings=True, convert_to_numpy=True,
                                    show_progress_bar=False, **prefix(model, "query"))
                cached.update(zip(part, np.asarray(vecs, dtype=np.float32)))
                np.savez(path, texts=np.array(list(cached)), vectors=np.stack(list(cached.values())))
        else:
            for text in todo:
                cached[text] = emb.embed_query(model, text)
        print(f"embedded {len(todo)} queries in {time.time() - t:.1f}s", file=sys.stderr)
        texts = list(cached)
        np.savez(path, texts=np.array(texts), vectors=np.stack([cached[t] for t in texts]))
    return np.stack([cached[q["question"]] for q in questions])


@dataclass
class Gold:
    article_id: str
    start: int
    end: int
    answers: list[str]


def gold_for(q: dict, article_text: str) -> Gold | None:
    start = article_text.find(q["context"])
    if start < 0:
        return None
    return Gold(q["article_id"], start, start + len(q["context"]), [normalize_for_match(a) for a in q["answers"]])


def is_hit(chunk, gold: Gold, norm_text: str) -> bool:
    return (
        chunk.article_id == gold.article_id
        and chunk.start < gold.end
        and gold.start < chunk.end
        and any(a and a in norm_text for a in gold.answers)
    )


def parse_method(spec: str) -> tuple[str, dict]:
    """"dense", "bm25", "rrf", "zscore:0.7", "zscore:0.7:nocov" (no query-coverage scaling)."""
    name, *rest = spec.split(":")
    opts: dict = {}
    if name == "zscore":
        opts["dense_weight"] = float(rest[0]) if rest else None
        opts["coverage"] = "nocov" not in rest
    elif name == "rrf":
        opts["coverage"] = "nocov" not in rest
    return name, opts


def rank(spec: str, dense, hits, settings: Settings) -> list[str]:
    name, opts = parse_method(spec)
    if name == "bm25":
        return [c for c, _ in hits.ranked]
    rel = hits.coverage if opts.get("coverage", True) else 1.0
    fused = fuse(
        name, dense, hits.ranked,
        dense_weight=opts.get("dense_weight") or settings.retrieval.dense_weight,
        rrf_k=settings.retrieval.rrf_k, keyword_lookup=hits.score, keyword_reliability=rel,
    )
    return [f.chunk_id for f in fused]


def evaluate(split: str, methods: list[str], settings: Settings, cache: Path, sample: int, seed: int,
             title_mode: str = "field", title_weight: float = 1.0, stopwords: bool = True, stemming: bool = True,
             rebuild: bool = False) -> dict[str, dict]:
    store, index_dir = index_for(split, settings, cache, rebuild)
    questions = _jsonl(EVAL / split / "dev" / "questions.jsonl")
    if sample and sample < len(questions):
        questions = random.Random(seed).sample(questions, sample)
    chunks = {c.id: c for c in store.iter_chunks()}
    norm = {cid: normalize_for_match(c.text) for cid, c in chunks.items()}
    arts = {a["id"]: a for a in store.list_articles()}
    texts = {aid: store.get_article(aid).text for aid in arts}
    titles = {aid: a["title"] for aid, a in arts.items()}
    t = time.time()
    corpus = BM25Corpus(list(chunks.values()), titles, ENGLISH_STOPWORDS if stopwords else frozenset(),
                        title_mode=title_mode, title_weight=title_weight, stemming=stemming)
    bm25_build = time.time() - t
    vecs = query_vectors(questions, settings, cache, split)
    n = settings.retrieval.candidates
    stats = {m: {"h1": 0, "h5": 0, "mrr": 0.0} for m in methods}
    skipped = 0
    t_kw = 0.0
    top1: dict[str, float] = {}  # question id -> best dense cosine (what the refusal gate reads)
    for q, v in zip(questions, vecs):
        gold = gold_for(q, texts.get(q["article_id"], ""))
        if gold is None:
            skipped += 1
            continue
        dense = store.search(v, n)
        if dense:
            top1[q["id"]] = dense[0][1]
        t0 = time.perf_counter()
        hits = corpus.search(q["question"], n)
        t_kw += time.perf_counter() - t0
        for m in methods:
            ranked = rank(m, dense, hits, settings)[:10]
            first = next((i for i, cid in enumerate(ranked) if is_hit(chunks[cid], gold, norm[cid])), None)
            if first is not None:
                s = stats[m]
                s["h1"] += first == 0
                s["h5"] += first < 5
                s["mrr"] += 1.0 / (first + 1)
    total = len(questions) - skipped
    out = {}
    for m, s in stats.items():
        out[m] = {"hit@1": s["h1"] / total, "hit@5": s["h5"] / total, "mrr@10": s["mrr"] / total}
    out["_info"] = {
        "questions": total, "skipped": skipped, "chunks": len(chunks), "articles": len(arts),
        "bm25_build_s": bm25_build, "bm25_ms": 1000 * t_kw / max(total, 1),
        "mean_chunk_chars": sum(len(c.text) for c in chunks.values()) / max(len(chunks), 1),
        "top1_cosine_median": float(np.median(list(top1.values()))) if top1 else None,
    }
    out["_top1"] = top1
    store.close()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--splits", nargs="+", default=SPLITS, choices=SPLITS)
    ap.add_argument("--methods", nargs="+", default=["dense", "bm25", "rrf"])
    ap.add_argument("--weights", nargs="+", type=float, default=[0.5, 0.6, 0.7, 0.8],
                    help="z-score dense weights to add to --methods")
    ap.add_argument("--sample", type=int, default=0, help="questions per split (0 = all), drawn with --seed")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--candidates", type=int, default=None)
    ap.add_argument("--chunk-size", type=int, default=None, help="override settings.chunking.size")
    ap.add_argument("--backend", default=None, choices=["torch", "onnx-int8", "onnx-fp32"],
                    help="override settings.models.embed_backend")
    ap.add_argument("--title-mode", default="field", choices=["field", "concat", "none"],
                    help="article title in BM25: a second field (default), prepended to each chunk, or left out")
    ap.add_argument("--title-weight", type=float, default=1.0, help="weight of the title field")
    ap.add_argument("--no-stopwords", action="store_true", help="keep English stop words in BM25")
    ap.add_argument("--no-stemming", action="store_true", help="no English stemming in BM25")
    ap.add_argument("--rebuild", action="store_true", help="re-ingest even when a cached index exists")
    ap.add_argument("--cache", type=Path, default=None, help="default: <settings cache>/bench/retrieval")
    ap.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = ap.parse_args(argv)

    overrides = {"retrieval.candidates": args.candidates, "chunking.size": args.chunk_size,
                 "models.embed_backend": args.backend}
    settings = load_settings(**overrides)
    cache = (args.cache or settings.cache_dir / "bench" / "retrieval").expanduser()
    cache.mkdir(parents=True, exist_ok=True)
    methods = list(args.methods) + [f"zscore:{w:g}" for w in args.weights]

    results = {}
    for split in args.splits:
        results[split] = evaluate(split, methods, settings, cache, args.sample, args.seed,
                                  title_mode=args.title_mode, title_weight=args.title_weight,
                                  stopwords=not args.no_stopwords, stemming=not args.no_stemming,
                                  rebuild=args.rebuild)
        print(f"[{split}] {json.dumps(results[split]['_info'])}", file=sys.stderr)

    print(f"chunk size {settings.chunking.size}, candidates {settings.retrieval.candidates}, "
          f"BM25 title: {args.title_mode} (weight {args.title_weight:g}), English stop words: {not args.no_stopwords}, "
          f"English stemming: {not args.no_stemming}, "
          f"sample: {args.sample or 'all'}\n")
    header = "| method | " + " | ".join(f"{s} hit@1 / hit@5 / MRR@10" for s in args.splits) + " |"
    print(header)
    print("|---" * (len(args.splits) + 1) + "|")
    print("| plain LangChain (notes) | " + " | ".join(f"{PLAIN[s][0]:.2f} / {PLAIN[s][1]:.2f} / -" for s in args.splits) + " |")
    for m in methods:
        cells = []
        for s in args.splits:
            r = results[s][m]
            cells.append(f"{r['hit@1']:.3f} / {r['hit@5']:.3f} / {r['mrr@10']:.3f}")
        print(f"| {m} | " + " | ".join(cells) + " |")
    print("\n" + " ".join(f"{s}: {results[s]['_info']['questions']} questions, {results[s]['_info']['chunks']} chunks"
                          f" (~{results[s]['_info']['mean_chunk_chars']:.0f} chars)" for s in args.splits))
    if args.json:
        args.json.write_text(json.dumps({"settings": {"chunk_size": settings.chunking.size,
                                                      "candidates": settings.retrieval.candidates},
                                         "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
