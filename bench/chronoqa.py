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


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)}


def sub_corpus(path, questions: list[dict], n: int, cache_dir) -> "object":
    """The sample's gold snippets and each question's ``n`` most similar snippets by character-bigram overlap
    (same-topic items of other dates stay in), written once to the cache; the path of that articles file."""
    from pathlib import Path

    rows = [json.loads(x) for x in Path(path).read_text(encoding="utf-8").splitlines() if x.strip()]
    grams = [_bigrams(r["text"]) for r in rows]
    keep = set()
    for q in questions:
        keep.update(q.get("article_ids") or [q.get("article_id")])
        qg = _bigrams(q["question"])
        best = sorted(range(len(rows)), key=lambda i: -len(qg & grams[i]) / (1 + len(grams[i])) ** 0.5)[:n]
        keep.update(rows[i]["id"] for i in best)
    out = Path(cache_dir) / f"chronoqa-dev-sub-{len(questions)}-{n}-{len(keep)}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    if not out.exists():
        out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows if r["id"] in keep),
                       encoding="utf-8")
    print(f"corpus: {len(keep)} of {len(rows)} snippets (gold + {n} neighbours per question)", file=sys.stderr)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, default=150)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--split", choices=["all", "tune", "report"], default="all",
                    help="tune: the questions the rules may be tuned on; report: the half never looked at "
                         "(eval.chronoqa.split_questions)")
    ap.add_argument("--mode", choices=["extractive", "llm"], default="extractive")
    ap.add_argument("--json-out", default=None)
    ap.add_argument("--neighbours", type=int, default=0, metavar="N",
                    help="index only the sample's gold snippets and each question's N most similar snippets "
                         "(character bigrams) instead of all 6,259 (0 = all): the same-topic distractors stay")
    ap.add_argument("--temporal-type", choices=["absolute", "relative", "aggregate"], default=None,
                    help="only the questions the dataset labels so (after sampling): a change that touches one kind "
                         "re-measured at a fraction of the cost")
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
    questions = sample_questions(data / "questions.jsonl", args.sample, args.seed, args.split)
    if args.temporal_type:
        questions = [q for q in questions if q.get("temporal_type") == args.temporal_type]
    articles = data / "articles.jsonl"
    if args.neighbours:
        articles = sub_corpus(articles, questions, args.neighbours, settings.cache_dir / "bench")
    index = ensure_index([articles], settings)
    settings = settings.with_overrides({"index_dir": str(index)})
    store = open_store(settings.index_dir, settings)
    embedder = load_embedder(settings)
    retriever = HybridRetriever(store, embedder, settings)
    blind = settings.with_overrides({"time.enabled": False})
    assistants = {"time-aware": Assistant(store, embedder, retriever, settings),
                  "time-blind": Assistant(store, embedder, HybridRetriever(store, embedder, blind), blind)}
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
    corpus = f"sub-corpus of {store.meta.get('n_articles')} snippets" if args.neighbours else "all 6,259 snippets"
    print(f"ChronoQA dev ({args.split}), sample {len(questions)} (seed {args.seed}), mode {args.mode}, {corpus}; {secs:.0f} s\n")
    print(table(summary, PIPELINES))
    out = {"split": f"chronoqa/dev ({args.split})", "sample": len(questions), "temporal_type": args.temporal_type, "seed": args.seed, "mode": args.mode, "corpus": corpus,
           "seconds": round(secs, 1), "summary": summary, "machine": machine()}
    print(json.dumps(out, ensure_ascii=False))
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as fh:
            json.dump({**out, "rows": [r.__dict__ for r in rows]}, fh, ensure_ascii=False, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
