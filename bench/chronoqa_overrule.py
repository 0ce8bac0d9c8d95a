"""llm mode's ``reader.llm_other_passage_margin`` on ChronoQA tuning questions (a benchmark).

    python -m bench.chronoqa_overrule --sample 300 --seed 1 --json-out /tmp/overrule.json

Asks each question of the tuning half (as of its ``question_date``) twice, with the overrule off: in llm mode
(who answered, the reader's margin, the passage cited) and in extractive mode (the reader's best span and its
passage). For each threshold it prints the share right if llm mode had taken the reader's span wherever the
generator answered from another passage at that margin or above. Scored by eval.chronoqa's matcher.
"""
from __future__ import annotations

import argparse
import sys
import time

from bench.common import EVAL, machine, table, write_json

THRESHOLDS = [-2, 0, 1, 2, 3, 4, 5, 6, 8, 100]


def overruled(llm: dict, ext: dict, threshold: float) -> bool:
    """Whether the overrule at ``threshold`` would replace the llm answer with the reader's (the extractive one)."""
    margin = llm.get("reader_margin")
    return (llm.get("answered_by") == "generator" and margin is not None and margin >= threshold
            and not ext.get("refused") and ext.get("cited_chunk") is not None
            and llm.get("cited_chunk") != ext["cited_chunk"])


def threshold_rows(rows: list[dict], thresholds=THRESHOLDS) -> list[list]:
    out = []
    for t in thresholds:
        changed = [r for r in rows if overruled(r["llm"], r["extractive"], t)]
        ids = {r["id"] for r in changed}
        right = sum(r["extractive"]["right"] if r["id"] in ids else r["llm"]["right"] for r in rows)
        gained = sum(r["extractive"]["right"] and not r["llm"]["right"] for r in changed)
        lost = sum(r["llm"]["right"] and not r["extractive"]["right"] for r in changed)
        out.append([t, f"{right / max(1, len(rows)):.3f}", len(changed), gained, lost])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json-out", default=None)
    args = ap.parse_args(argv)

    from articleqa.models.embedder import load_embedder
    from articleqa.settings import load_settings
    from articleqa.store import open_store
    from eval.chronoqa import ask_one, sample_questions
    from eval.index import ensure_index
    from qa.assistant import Assistant
    from qa.retrieval import HybridRetriever

    data = EVAL / "chronoqa" / "dev"
    settings = load_settings().with_overrides({"reader.llm_other_passage_margin": 100})
    settings = settings.with_overrides({"index_dir": str(ensure_index([data / "articles.jsonl"], settings))})
    store, embedder = open_store(settings.index_dir, settings), load_embedder(settings)
    assistant = Assistant(store, embedder, HybridRetriever(store, embedder, settings), settings)
    rows, t0 = [], time.perf_counter()
    for i, q in enumerate(sample_questions(data / "questions.jsonl", args.sample, args.seed, "tune"), 1):
        rows.append({"id": q["id"], **{m: ask_one(assistant, q, m) for m in ("llm", "extractive")}})
        if i % 20 == 0:
            print(f"{i} questions, {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    print(f"ChronoQA dev (tune), {len(rows)} questions (seed {args.seed})\n")
    print(table(["threshold", "right", "changed", "gained", "lost"], threshold_rows(rows)))
    write_json(args.json_out, {"sample": len(rows), "seed": args.seed, "machine": machine(), "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
