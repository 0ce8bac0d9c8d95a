"""Ingest speed: our pipeline (torch and ONNX int8 embedder) against the plain LangChain way, on the dev articles.

    .venv/bin/python -m bench.ingest_speed [--quick] [--limit N] [--json-out FILE]

Each side runs in its own process (so peak RSS is its own) over the same ``articles.jsonl`` files of DRCD,
CMRC 2018 and SQuAD dev, with the same converted model folder (``prepare_embedder``):

* ours: ``ingest.ingest_paths`` into a fresh index per dataset; time split by stage by wrapping the stage
  functions: clean (``ingest.loaders.load_path``: read, decode, parse, clean), chunk (``chunk_article`` +
  ``embedding_text``), embed (``ingest.embed.embed_texts``), store (``FaissSqliteStore.add`` + ``commit``),
  other (file hashing, manifest look-ups). Then the same files again, unchanged (nothing should be re-embedded).
* plain: ``RecursiveCharacterTextSplitter.from_tiktoken_encoder`` (cl100k_base, 256/32), ``HuggingFaceEmbeddings``
  (langchain_huggingface) on the same folder with the ``passage: `` prompt, ``FAISS.from_documents`` (done as
  ``embed_documents`` + ``FAISS.from_embeddings``, which is what ``from_documents`` does, so that embedding and
  storing are timed apart).

Rates: articles/s, chunks/s and tokens/s over the whole run (model loading excluded and reported apart); tokens
are the embedder's own (XLM-R) tokens of exactly the texts embedded, prompt included, so the two chunkers'
different chunk sizes are compared fairly. ``--quality`` children measure DRCD dev hit@5 for each backend with
``bench/retrieval_table.py``'s ``evaluate`` (ingest + hybrid retrieval).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from bench.common import (DATASETS, publish, articles_path, machine, peak_rss_mib, read_jsonl, rss_mib, run_child, table,
                          write_json)

MODULE = "bench.ingest_speed"


# ------------------------------------------------------------------------------------------------- children
def _settings(backend: str):
    from articleqa.settings import load_settings

    return load_settings(**{"models.embed_backend": backend})


def _dataset(f: Path) -> str:
    """``drcd`` for ``.../drcd/dev/articles.jsonl`` (and for the copies under ``<tmp>/drcd/``)."""
    return f.parent.parent.name if f.parent.name == "dev" else f.parent.name


def _count_tokens(model, texts: list[str], prompt: str) -> int:
    counter = getattr(model, "token_counts", None)
    if counter is not None:  # OnnxEmbedder
        return sum(counter(texts, prompt))
    tok = model.tokenizer
    n = 0
    for lo in range(0, len(texts), 256):
        enc = tok([prompt + t for t in texts[lo:lo + 256]], add_special_tokens=True, truncation=True,
                  max_length=model.max_seq_length)
        n += sum(len(ids) for ids in enc["input_ids"])
    return n


def run_ours(files: list[Path], backend: str) -> dict:
    import ingest.embed
    import ingest.loaders
    import ingest.pipeline
    from articleqa.models.embedder import load_embedder
    from articleqa.store.faiss_sqlite import FaissSqliteStore
    from ingest import ingest_paths

    settings = _settings(backend)
    t = time.monotonic()
    model = load_embedder(settings)
    from articleqa.models.embedder import embed_passages

    embed_passages(model, ["warm up", "預熱一下"])
    load_s = time.monotonic() - t
    rss_model = rss_mib()

    stages = {"clean": 0.0, "chunk": 0.0, "embed": 0.0, "store": 0.0}
    texts_seen: list[str] = []

    def timed(stage, fn, keep_texts=False):
        def wrapper(*a, **kw):
            t0 = time.perf_counter()
            try:
                out = fn(*a, **kw)
            finally:
                stages[stage] += time.perf_counter() - t0
            if keep_texts:
                texts_seen.extend(a[1])
            return out
        return wrapper

    ingest.loaders.load_path = timed("clean", ingest.loaders.load_path)
    import ingest.chunk

    # The plan phase imports these at call time (and runs in its own thread, overlapping the embed stage: the
    # stage times of ours may add up to more than the wall time).
    ingest.chunk.chunk_article = timed("chunk", ingest.chunk.chunk_article)
    ingest.chunk.embedding_text = timed("chunk", ingest.chunk.embedding_text)
    ingest.embed.embed_texts = timed("embed", ingest.embed.embed_texts, keep_texts=True)
    FaissSqliteStore.add = timed("store", FaissSqliteStore.add)
    FaissSqliteStore.commit = timed("store", FaissSqliteStore.commit)

    per = []
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        for f in files:
            for k in stages:
                stages[k] = 0.0
            texts_seen.clear()
            index_dir = Path(tmp) / _dataset(f)
            c0 = time.process_time()
            rep = ingest_paths([f], index_dir, settings)
            cpu = time.process_time() - c0
            if rep.failed:
                raise RuntimeError(f"ingest failed: {rep.failed[:3]}")
            total = rep.seconds
            row = {"dataset": _dataset(f), "articles": rep.added + rep.updated, "chunks": rep.chunks,
                   "seconds": total, "cpu_s": cpu, **{f"{k}_s": v for k, v in stages.items()},
                   "other_s": max(0.0, total - sum(stages.values()))}
            row["tokens"] = _count_tokens(model, texts_seen, "passage: ")
            t0 = time.monotonic()
            again = ingest_paths([f], index_dir, settings)
            row["reingest_unchanged_s"] = time.monotonic() - t0
            row["reingest_embedded"] = again.chunks
            per.append(row)
    return {"side": "ours", "backend": backend, "load_s": load_s, "rss_after_load_mib": rss_model,
            "datasets": per, "peak_rss_mib": peak_rss_mib()}


def run_plain(files: list[Path]) -> dict:
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    try:
        from langchain_huggingface import HuggingFaceEmbeddings
        lc_embeddings = "langchain_huggingface"
    except ImportError:  # the same SentenceTransformer wrapper, older home (deprecated there, still shipped)
        from langchain_community.embeddings import HuggingFaceEmbeddings
        lc_embeddings = "langchain_community"

    from articleqa.models.embedder import prepare_embedder
    from articleqa.models.tokenizer import prepare_tiktoken

    settings = _settings("torch")
    prepare_tiktoken(settings, ("cl100k_base",))  # the splitter's tiktoken finds cl100k offline
    folder = prepare_embedder(settings)
    t = time.monotonic()
    kwargs = {"model_name": str(folder), "model_kwargs": {"device": "cpu", "local_files_only": True},
              "encode_kwargs": {"normalize_embeddings": True, "prompt": "passage: "}}
    if "query_encode_kwargs" in HuggingFaceEmbeddings.model_fields:  # langchain_community's class has no such field
        kwargs["query_encode_kwargs"] = {"normalize_embeddings": True, "prompt": "query: "}
    emb = HuggingFaceEmbeddings(**kwargs)
    emb.embed_documents(["warm up", "預熱一下"])
    load_s = time.monotonic() - t
    rss_model = rss_mib()
    splitter = RecursiveCharacterTextSplitter.from_tiktoken_encoder(encoding_name="cl100k_base", chunk_size=256,
                                                                    chunk_overlap=32)
    per = []
    for f in files:
        c0 = time.process_time()
        t0 = time.perf_counter()
        docs = [Document(page_content=a["text"], metadata={"id": a["id"], "title": a.get("title", "")})
                for a in read_jsonl(f)]
        t1 = time.perf_counter()
        chunks = splitter.split_documents(docs)
        t2 = time.perf_counter()
        texts = [c.page_content for c in chunks]
        vectors = emb.embed_documents(texts)
        t3 = time.perf_counter()
        FAISS.from_embeddings(list(zip(texts, vectors)), emb, metadatas=[c.metadata for c in chunks])
        t4 = time.perf_counter()
        per.append({"dataset": _dataset(f), "articles": len(docs), "chunks": len(chunks), "seconds": t4 - t0,
                    "cpu_s": time.process_time() - c0,
                    "clean_s": t1 - t0, "chunk_s": t2 - t1, "embed_s": t3 - t2, "store_s": t4 - t3, "other_s": 0.0,
                    "tokens": _count_tokens(getattr(emb, "_client", None) or emb.client, texts, "passage: ")})
    return {"side": "plain", "backend": "torch", "embeddings_class": lc_embeddings, "load_s": load_s, "rss_after_load_mib": rss_model,
            "datasets": per, "peak_rss_mib": peak_rss_mib()}


def run_quality(backend: str, sample: int) -> dict:
    from articleqa.settings import load_settings
    from bench import retrieval_table as rt

    settings = load_settings(**{"models.embed_backend": backend})
    base = settings.cache_dir / "bench"
    # Our own cache dirs (retrieval_table's default one may be rebuilt by its own runs at the same time); the
    # cache key does not name the backend, hence one dir per backend.
    cache = base / "speed-retrieval" if backend == "torch" else base / f"speed-retrieval-{backend}"
    cache.mkdir(parents=True, exist_ok=True)
    t = time.monotonic()
    # "zscore" without a weight uses settings.retrieval.dense_weight: the product's own fusion
    res = rt.evaluate("drcd", ["dense", "zscore"], settings, cache, sample, 13)
    res["_info"]["dense_weight"] = settings.retrieval.dense_weight
    return {"side": "quality", "backend": backend, "seconds": time.monotonic() - t, "drcd": res}


# --------------------------------------------------------------------------------------------------- parent
def _inputs(limit: int, tmp: Path) -> list[Path]:
    """The dev articles.jsonl files, or their first ``limit`` lines (copied under ``tmp/<dataset>/``)."""
    out = []
    for name in DATASETS:
        src = articles_path(name)
        if not limit:
            out.append(src)
            continue
        dst = tmp / name / "articles.jsonl"
        dst.parent.mkdir(parents=True, exist_ok=True)
        lines = [x for x in src.read_text(encoding="utf-8").splitlines() if x.strip()][:limit]
        dst.write_text("\n".join(lines) + "\n", encoding="utf-8")
        out.append(dst)
    return out


def _totals(side: dict) -> dict:
    ds = side["datasets"]
    tot = {k: sum(d[k] for d in ds) for k in ("articles", "chunks", "tokens", "seconds", "clean_s", "chunk_s",
                                               "embed_s", "store_s", "other_s")}
    tot["cpu_s"] = sum(d.get("cpu_s", 0.0) for d in ds)
    s = tot["seconds"] or 1e-9
    tot.update(chunks_per_cpu_s=tot["chunks"] / (tot["cpu_s"] or float("nan")),articles_per_s=tot["articles"] / s, chunks_per_s=tot["chunks"] / s, tokens_per_s=tot["tokens"] / s,
               embed_chunks_per_s=tot["chunks"] / (tot["embed_s"] or 1e-9))
    return tot


def render(res: dict) -> str:
    sides = [s for s in res["sides"] if "error" not in s and s.get("side") in ("ours", "plain")]
    out = []
    rows = []
    for s in sides:
        name = "plain LangChain" if s["side"] == "plain" else f"ours ({s['backend']})"
        for d in s["datasets"]:
            sec = d["seconds"] or 1e-9
            rows.append([name, d["dataset"], d["articles"], d["chunks"], round(d["tokens"] / max(d["chunks"], 1)),
                         d["articles"] / sec, d["chunks"] / sec, d["tokens"] / sec])
        t = _totals(s)
        rows.append([f"**{name}**", "**all**", t["articles"], t["chunks"], round(t["tokens"] / max(t["chunks"], 1)),
                     t["articles_per_s"], t["chunks_per_s"], t["tokens_per_s"]])
    out.append(table(["pipeline", "dataset", "articles", "chunks", "tokens/chunk", "articles/s", "chunks/s",
                      "tokens/s"], rows))
    rows = []
    for s in sides:
        name = "plain LangChain" if s["side"] == "plain" else f"ours ({s['backend']})"
        t = _totals(s)
        re = sum(d.get("reingest_unchanged_s", 0) for d in s["datasets"]) if s["side"] == "ours" else None
        rows.append([name, t["seconds"], t["cpu_s"], t["chunks_per_cpu_s"], t["clean_s"], t["chunk_s"], t["embed_s"], t["store_s"], t["other_s"],
                     s["load_s"], s["peak_rss_mib"], "-" if re is None else f"{re:.2f}"])
    out.append(table(["pipeline", "total s", "CPU s", "chunks per CPU s", "clean s", "chunk s", "embed s", "store s", "other s", "model load s",
                      "peak RSS MiB", "re-ingest unchanged s"], rows))
    by = {(s["side"], s["backend"]): _totals(s) for s in sides}
    plain = by.get(("plain", "torch"))
    lines = []
    if plain:
        for key in (("ours", "torch"), ("ours", "onnx-int8")):
            if key in by:
                o = by[key]
                lines.append(f"- ours ({key[1]}) / plain: chunks/s x{o['chunks_per_s'] / plain['chunks_per_s']:.2f}, "
                             f"chunks per CPU-second x{o['chunks_per_cpu_s'] / plain['chunks_per_cpu_s']:.2f}, "
                             f"tokens/s x{o['tokens_per_s'] / plain['tokens_per_s']:.2f}, "
                             f"embed-stage tokens/s x{(o['tokens'] / o['embed_s']) / (plain['tokens'] / plain['embed_s']):.2f}")
    if ("ours", "torch") in by and ("ours", "onnx-int8") in by:
        a, b = by[("ours", "torch")], by[("ours", "onnx-int8")]
        lines.append(f"- onnx-int8 / torch (ours): chunks/s x{b['chunks_per_s'] / a['chunks_per_s']:.2f}, chunks per "
                     f"CPU-second x{b['chunks_per_cpu_s'] / a['chunks_per_cpu_s']:.2f}, embed stage "
                     f"x{a['embed_s'] / max(b['embed_s'], 1e-9):.2f}")
    q = {s["backend"]: s for s in res["sides"] if s.get("side") == "quality" and "error" not in s}
    if q:
        def hyb(r: dict) -> dict:  # "zscore" (settings weight) or, in older results, "zscore:0.7"
            return r[next(k for k in r if k.startswith("zscore"))]

        rows = []
        for b, s in q.items():
            r = s["drcd"]
            rows.append([b, r["_info"]["questions"], r["dense"]["hit@1"], r["dense"]["hit@5"], hyb(r)["hit@1"],
                         hyb(r)["hit@5"], hyb(r)["mrr@10"]])
        out.append(table(["embedder backend", "DRCD questions", "dense hit@1", "dense hit@5", "hybrid hit@1",
                          "hybrid hit@5", "hybrid MRR@10"], rows))
        if "torch" in q and "onnx-int8" in q:
            d = {"dense": q["onnx-int8"]["drcd"]["dense"]["hit@5"] - q["torch"]["drcd"]["dense"]["hit@5"],
                 "hybrid": hyb(q["onnx-int8"]["drcd"])["hit@5"] - hyb(q["torch"]["drcd"])["hit@5"]}
            ok = all(abs(v) <= 0.01 for v in d.values())
            nq = q["torch"]["drcd"]["_info"]["questions"]
            lines.append(f"- DRCD hit@5, onnx-int8 minus torch: dense {d['dense']:+.3f}, hybrid {d['hybrid']:+.3f} "
                         f"({'within' if ok else 'NOT within'} the 0.01 bar, on {nq} questions"
                         f"{'' if nq >= 736 else '; a sample: one question is ' + format(1 / nq, '.3f')})")
    for s in res["sides"]:
        if "error" in s:
            lines.append(f"- FAILED: {s['error'].splitlines()[0]} {s['error'].strip().splitlines()[-1]}")
    out.append("\n".join(lines))
    return "\n\n".join(x for x in out if x)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--side", choices=["ours", "plain", "quality"], help=argparse.SUPPRESS)
    ap.add_argument("--backend", default="torch", help=argparse.SUPPRESS)
    ap.add_argument("--files", nargs="*", default=[], help=argparse.SUPPRESS)
    ap.add_argument("--quick", action="store_true", help="10 articles per dataset, 200 DRCD questions")
    ap.add_argument("--limit", type=int, default=None, help="articles per dataset (0 = all)")
    ap.add_argument("--sample", type=int, default=None, help="DRCD questions for hit@5 (0 = all)")
    ap.add_argument("--backends", nargs="+", default=["torch", "onnx-int8"])
    ap.add_argument("--no-quality", action="store_true")
    ap.add_argument("--json-out", default=None)
    args = ap.parse_args(argv)

    if args.side == "ours":
        write_json(args.json_out, run_ours([Path(f) for f in args.files], args.backend))
        return 0
    if args.side == "plain":
        write_json(args.json_out, run_plain([Path(f) for f in args.files]))
        return 0
    if args.side == "quality":
        write_json(args.json_out, run_quality(args.backend, args.sample or 0))
        return 0

    limit = args.limit if args.limit is not None else (10 if args.quick else 0)
    sample = args.sample if args.sample is not None else (200 if args.quick else 0)
    res = {"machine": machine(), "limit": limit, "sample": sample, "sides": []}
    with tempfile.TemporaryDirectory(prefix="bench-inputs-") as tmp:
        files = [str(f) for f in _inputs(limit, Path(tmp))]
        if "onnx-int8" in args.backends:  # export once, outside the timed runs
            from articleqa.models.embedder import prepare_model

            t = time.monotonic()
            prepare_model(_settings("onnx-int8"))
            res["onnx_prepare_s"] = time.monotonic() - t
        res["sides"].append(run_child(MODULE, ["--side", "plain", "--files", *files], timeout=1800))
        for b in args.backends:
            res["sides"].append(run_child(MODULE, ["--side", "ours", "--backend", b, "--files", *files], timeout=1800))
    if not args.no_quality:
        for b in args.backends:
            res["sides"].append(run_child(MODULE, ["--side", "quality", "--backend", b, "--sample", str(sample)],
                                          timeout=1800))
    return publish(res, render, args.json_out)


if __name__ == "__main__":
    sys.exit(main())
