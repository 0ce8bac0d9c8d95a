"""ChronoQA dev: the time-aware pipeline beside the time-blind one, in one run, each question asked at its
``question_date``.

    .venv/bin/python -m bench.chronoqa [--sample 150] [--seed 0] [--mode extractive|llm] [--json-out FILE]

One index of the 6,259 dated snippets (built once by ``eval.index.ensure_index``, cached), one store and embedder,
two assistants over them: ``time.enabled = true`` (as_of = question_date) and ``time.enabled = false`` (the
pipeline as it was: no time reading, no date filter). Scored by ``eval.chronoqa.answer_right``; hit@1 / hit@5 of
the gold snippets among the passages each answer was given. Prints a table and one JSON line.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from bench.common import EVAL, machine

PIPELINES = ("time-aware", "time-blind")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, default=150)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mode", choices=["extractive", "llm"], default="extractive")
    ap.add_argument("--json-out", default=None)
    args = ap.parse_args(argv)

    from articleqa.models.embedder import load_embedder
    from articleqa.settings import load_settings
    from articleqa.store import open_store
    from eval.chronoqa import Row, ask_one, sample_questions, summarize, table
    from eval.index import ensure_index
    from qa.assistant import Assistant
    from qa.retrieval import HybridRetriever

    data = EVAL / "chronoqa" / "dev"
    settings = load_settings()
    index = ensure_index([data / "articles.jsonl"], settings)
    settings = settings.with_overrides({"index_dir": str(index)})
    store = open_store(settings.index_dir, settings)
    embedder = load_embedder(settings)
    retriever = HybridRetriever(store, embedder, settings)
    blind = settings.with_overrides({"time.enabled": False})
    assistants = {"time-aware": Assistant(store, embedder, retriever, settings),
                  "time-blind": Assistant(store, embedder, HybridRetriever(store, embedder, blind), blind)}
    questions = sample_questions(data / "questions.jsonl", args.sample, args.seed)
    rows: list[Row] = []
    t0 = time.perf_counter()
    for i, q in enumerate(questions, 1):
        row = Row(q["id"], q.get("temporal_type", ""), q.get("answer_type", ""))
        for name in PIPELINES:
            row.results[name] = ask_one(assistants[name], q, args.mode, use_as_of=(name == "time-aware"))
        rows.append(row)
        if i % 10 == 0:
            s = summarize(rows, PIPELINES)["all"]
            print(f"{i}/{len(questions)} " + " ".join(f"{p} {s[p]['right']:.3f}" for p in PIPELINES),
                  file=sys.stderr, flush=True)
    secs = time.perf_counter() - t0
    summary = summarize(rows, PIPELINES)
    print(f"ChronoQA dev, sample {len(questions)} (seed {args.seed}), mode {args.mode}; {secs:.0f} s\n")
    print(table(summary, PIPELINES))
    out = {"split": "chronoqa/dev", "sample": len(questions), "seed": args.seed, "mode": args.mode,
           "seconds": round(secs, 1), "summary": summary, "machine": machine()}
    print(json.dumps(out, ensure_ascii=False))
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as fh:
            json.dump({**out, "rows": [r.__dict__ for r in rows]}, fh, ensure_ascii=False, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
