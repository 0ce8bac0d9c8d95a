"""Does the int8 embedder earn the default? Retrieval and the refusal gate's cosines, fp32 vs int8, on the dev sets.

    .venv/bin/python -m bench.embed_backends                       # DRCD, CMRC 2018, SQuAD dev, all questions
    .venv/bin/python -m bench.embed_backends --reference torch     # the torch model as the reference (slower)

For each split both backends ingest the articles (``bench.retrieval_table``'s cached indexes) and answer every
question; printed: hit@1 / hit@5 for dense-only and the default fusion, the median top-1 dense cosine (what
``answer.min_dense_score`` 0.85 and ``min_dense_score_cross_lingual`` 0.77 are compared with), the median of the
per-question shift, and how many questions cross either threshold. ``onnx-fp32`` is the default reference: it
computes the torch model's vectors (``tests/test_embedder_onnx.py``: max difference < 1e-4) several times faster.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from articleqa.settings import load_settings  # noqa: E402
from bench.retrieval_table import SPLITS, evaluate  # noqa: E402

THRESHOLDS = (0.85, 0.77)
METHODS = ["dense", "zscore:0.5"]


def compare(split: str, ref: dict, new: dict) -> dict:
    common = sorted(ref["_top1"].keys() & new["_top1"].keys())
    a = np.array([ref["_top1"][q] for q in common])
    b = np.array([new["_top1"][q] for q in common])
    row = {"split": split, "questions": len(common), "ref_median": float(np.median(a)),
           "new_median": float(np.median(b)), "median_shift": float(np.median(b - a)),
           "shift_of_medians": float(np.median(b) - np.median(a)), "abs_shift_p95": float(np.percentile(abs(b - a), 95))}
    for t in THRESHOLDS:
        row[f"cross_{t}"] = int(((a >= t) != (b >= t)).sum())
    for m in METHODS:
        for k in ("hit@1", "hit@5"):
            row[f"{m} {k} ref"] = ref[m][k]
            row[f"{m} {k} new"] = new[m][k]
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--splits", nargs="+", default=SPLITS, choices=SPLITS)
    ap.add_argument("--reference", default="onnx-fp32", choices=["onnx-fp32", "torch"])
    ap.add_argument("--candidate", default="onnx-int8", choices=["onnx-int8", "onnx-fp32", "torch"])
    ap.add_argument("--sample", type=int, default=0)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    rows = []
    for split in args.splits:
        out = {}
        for backend in (args.reference, args.candidate):
            settings = load_settings(**{"models.embed_backend": backend, "models.device": "cpu"})
            cache = settings.cache_dir / "bench" / "retrieval"
            cache.mkdir(parents=True, exist_ok=True)
            out[backend] = evaluate(split, METHODS, settings, cache, args.sample, 13)
        rows.append(compare(split, out[args.reference], out[args.candidate]))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print(f"reference {args.reference}, candidate {args.candidate}\n")
    print("| split | method | hit@1 ref / new | hit@5 ref / new |")
    print("|---|---|---|---|")
    for r in rows:
        for m in METHODS:
            print(f"| {r['split']} | {m} | {r[f'{m} hit@1 ref']:.3f} / {r[f'{m} hit@1 new']:.3f} | "
                  f"{r[f'{m} hit@5 ref']:.3f} / {r[f'{m} hit@5 new']:.3f} |")
    print("\n| split | questions | top-1 cosine median ref / new | median per-question shift | p95 abs shift | "
          "cross 0.85 | cross 0.77 |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['split']} | {r['questions']} | {r['ref_median']:.4f} / {r['new_median']:.4f} | "
              f"{r['median_shift']:+.4f} | {r['abs_shift_p95']:.4f} | {r['cross_0.85']} | {r['cross_0.77']} |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
