"""Refusal calibration: the evidence thresholds in `AnswerSettings` come from here (a benchmark, not a test).

    python -m bench.refusal_calibration

Top-1 dense cosine of the answerable DRCD dev questions against the DRCD dev index, against CMRC 2018 dev questions
(about other articles) and English SQuAD questions asked of the same index; then the two-signal table (dense score
and best-sentence lexical overlap). Answer quality itself is scored by the eval harness (`articleqa eval`).
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

from eval.datasets import article_paths, load_questions, questions_path


def ensure_index(index_dir: Path, source: Path, settings) -> Path:
    from ingest import ingest_paths

    if not (index_dir / "store.sqlite").exists():
        t = time.time()
        report = ingest_paths([source], index_dir=index_dir, settings=settings)
        print(f"indexed {source} -> {index_dir}: {report.total_chunks} chunks in {time.time() - t:.0f}s", flush=True)
    return index_dir


def _pct(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(q * (len(v) - 1)))))]


def _summary(name: str, values: list[float]) -> str:
    return (f"{name:<34} n={len(values):<4} min={min(values):.3f} p5={_pct(values, .05):.3f} "
            f"p10={_pct(values, .10):.3f} median={statistics.median(values):.3f} p90={_pct(values, .90):.3f} "
            f"p95={_pct(values, .95):.3f} max={max(values):.3f}")


def calibrate(args, settings) -> dict:
    """Top-1 dense cosine of answerable DRCD dev questions vs CMRC 2018 dev questions against the DRCD index."""
    from articleqa.models.embedder import embed_query, load_embedder
    from articleqa.store import open_store

    drcd_dir = ensure_index(args.work / "drcd_index", article_paths("drcd")[0], settings)
    store = open_store(drcd_dir, settings, read_only=True)
    emb = load_embedder(settings)

    def top1(questions: list[str]) -> list[float]:
        return [store.search(embed_query(emb, q), 1)[0][1] for q in questions]

    drcd_q = load_questions(questions_path("drcd"))
    cmrc_q = load_questions(questions_path("cmrc2018"))
    squad_q = random.Random(0).sample(load_questions(questions_path("squad1")), 200)
    pos = top1([q["question"] for q in drcd_q])
    neg = top1([q["question"] for q in cmrc_q])
    neg_en = top1([q["question"] for q in squad_q])
    print(_summary("DRCD dev (answerable) on DRCD", pos))
    print(_summary("CMRC 2018 dev (unrelated) on DRCD", neg))
    print(_summary("SQuAD dev sample (English) on DRCD", neg_en))
    rows = []
    for t in [x / 1000 for x in range(780, 900, 5)]:
        kept = sum(v >= t for v in pos) / len(pos)
        refused = sum(v < t for v in neg) / len(neg)
        refused_en = sum(v < t for v in neg_en) / len(neg_en)
        rows.append((t, kept, refused, refused_en))
        print(f"threshold {t:.3f}: answerable kept {kept:.3f}  CMRC refused {refused:.3f}  SQuAD refused {refused_en:.3f}")
    # the second signal: best-sentence lexical overlap of the context passages (same-language questions)
    from qa.extractive import lexical_support, order_for_context
    from qa.refusal import best_dense_score
    from qa.retrieval import HybridRetriever

    retriever = HybridRetriever(store, emb, settings)
    n_ctx = settings.answer.context_passages

    def both(questions: list[str]) -> list[tuple[float, float]]:
        out = []
        for q in questions:
            ps = order_for_context(q, retriever.search(q, 2 * n_ctx), n_ctx)
            out.append((best_dense_score(ps) or 0.0, lexical_support(q, ps[:n_ctx])))
        return out

    pos2 = both([q["question"] for q in random.Random(1).sample(drcd_q, 200)])
    neg2 = both([q["question"] for q in cmrc_q])
    table2 = []
    for dt in (0.84, 0.85, 0.855, 0.86, 0.865):
        for lt in (0.0, 0.15, 0.2, 0.25, 0.3):
            kept = sum(d >= dt and lx >= lt for d, lx in pos2) / len(pos2)
            refused = sum(d < dt or lx < lt for d, lx in neg2) / len(neg2)
            table2.append((dt, lt, kept, refused))
            print(f"dense >= {dt:.3f} and lexical >= {lt:.2f}: DRCD (200) kept {kept:.3f}  CMRC refused {refused:.3f}")
    store.close()
    return {"drcd": pos, "cmrc": neg, "squad": neg_en, "table": rows, "drcd_2d": pos2, "cmrc_2d": neg2,
            "table_2d": table2}


def main(argv: list[str] | None = None) -> int:
    from articleqa.settings import load_settings

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", type=Path, default=Path("/tmp/articleqa-bench"), help="where the index is built")
    p.add_argument("--out", type=Path, default=None, help="write the distributions and tables as JSON here")
    args = p.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    result = calibrate(args, load_settings())
    if args.out:
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
