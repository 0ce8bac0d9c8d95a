"""English off-topic refusal: SQuAD 1.1 dev questions about articles the squad2 index does not hold, asked of it
(a benchmark, not a test). Checks that a lower English dense floor (`answer.min_dense_score_en`) still refuses them.

    python -m bench.offtopic_en --n 300
"""
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

from bench.common import indexable_copy, read_jsonl

FLOORS = [0.85, 0.84, 0.83, 0.82]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=300)
    args = p.parse_args(argv)
    import numpy as np

    from articleqa.settings import load_settings
    from eval.index import ensure_index
    from qa import Assistant
    from qa.extractive import order_for_context
    from qa.refusal import best_dense_score, weak_evidence, weak_overlap

    folder = indexable_copy("squad2")
    indexed = {a["title"] for a in read_jsonl(folder / "articles.jsonl")}
    titles = {a["id"]: a["title"] for a in read_jsonl(Path("eval/datasets/squad1/articles.jsonl"))}
    qs = [q for q in read_jsonl(Path("eval/datasets/squad1/questions.jsonl")) if titles.get(q["article_id"]) not in indexed]
    qs = random.Random(0).sample(qs, min(args.n, len(qs)))
    base = load_settings()
    n_ctx = base.answer.context_passages
    refused = dict.fromkeys(FLOORS, 0)
    best = []
    with Assistant.open(ensure_index([folder / "articles.jsonl"], base), base) as a:
        for q in qs:
            ps = order_for_context(q["question"], a.retrieve(q["question"], 2 * n_ctx), n_ctx)
            best.append(best_dense_score(ps) or 0.0)
            for floor in FLOORS:
                s = base.with_overrides({"answer.min_dense_score_en": floor})
                refused[floor] += weak_evidence(ps, s, q["question"]) or weak_overlap(q["question"], ps[:n_ctx], s)
    print(f"{len(qs)} questions; best dense cosine p50 {np.percentile(best, 50):.3f} p95 {np.percentile(best, 95):.3f}")
    for floor, r in refused.items():
        print(f"min_dense_score_en {floor}: off-topic refused {r / len(qs):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
