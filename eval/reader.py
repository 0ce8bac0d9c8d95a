"""The reader measured apart from retrieval: each question read against its own gold paragraph.

    python -m eval.reader eval/datasets/drcd --n 300 --out docs/eval-reports/reader-drcd
    python -m eval.reader ../shared/eval/squad2/dev --out /tmp/reader-squad2

For an answerable question the reader gets the paragraph that holds the answer (``context``); for an unanswerable
one with a ``context`` (SQuAD 2.0) the on-topic paragraph it was written against. Questions without a context
(the near-miss sets, whose answer paragraph was removed) need retrieval and are measured end to end instead
(``bench.answer_quality``). Scored with eval's own matching (``eval.metrics.answer_match``, the official CMRC /
SQuAD normalisation), never with the reader's code. The margin of every question is kept, so the report shows
what each no-answer threshold would refuse (``--sweep``), and a report says which step lost an answer when it is
set beside the end-to-end one.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

from eval.metrics.answer_match import contains_answer, exact_match, f1

# SQuAD 1.1 dev articles whose SQuAD 2.0 paragraphs are in the reader's training data (shared/train/README.md):
# left out of every SQuAD 1.1 measurement of the reader.
TRAINED_ON_TITLES = frozenset({"Black Death", "Ctenophora", "Intergovernmental Panel on Climate Change", "Oxygen",
                               "Pharmacy", "Rhine", "University of Chicago"})


def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def load_questions(folder: Path, n: int | None = None, seed: int = 1, split: str | None = None) -> list[dict]:
    """The folder's questions that have a paragraph to read, without articles the reader was trained on.
    ``split``: "tune" keeps the questions of the first 4 articles of ``articles.jsonl``, "report" the others (the
    squad2 convention of bench/answerability.py)."""
    qs = [q for q in _lines(folder / "questions.jsonl") if q.get("context")]
    if split:
        order = {a["id"]: i for i, a in enumerate(_lines(folder / "articles.jsonl"))}
        qs = [q for q in qs if (order.get(q["article_id"], 0) < 4) == (split == "tune")]
    skip = {"squad1-" + t.replace(" ", "_") for t in TRAINED_ON_TITLES}
    qs = [q for q in qs if q.get("article_id") not in skip]
    if n is not None and n < len(qs):
        qs = [qs[i] for i in sorted(random.Random(seed).sample(range(len(qs)), n))]
    return qs


def read_all(questions: list[dict], reader) -> list[dict]:
    from articleqa.types import Chunk, Passage

    rows = []
    for q in questions:
        ctx = q["context"]
        passage = Passage(chunk=Chunk(id="gold", article_id=q.get("article_id", ""), ordinal=0, text=ctx, start=0,
                                      end=len(ctx)))
        t = time.perf_counter()
        reading = reader.read(q["question"], [passage])
        took = time.perf_counter() - t
        best = reading.best
        rows.append({"id": q["id"], "article_id": q.get("article_id", ""), "lang": q.get("lang", ""), "answerable": bool(q.get("answers")),
                     "answers": q.get("answers", []), "span": best.text if best else "",
                     "margin": reading.answer_margin, "seconds": took})
    return rows


def score(rows: list[dict], threshold: float) -> dict:
    ans = [r for r in rows if r["answerable"]]
    una = [r for r in rows if not r["answerable"]]
    out: dict = {"n_answerable": len(ans), "n_unanswerable": len(una), "threshold": threshold}

    def mean(xs):
        return round(statistics.fmean(xs), 4) if xs else None

    # span quality, refusal aside (what the reader picks), and with the threshold applied (what users get)
    out["span_em"] = mean([exact_match(r["span"], r["answers"], r["lang"]) or 0.0 for r in ans])
    out["span_f1"] = mean([f1(r["span"], r["answers"], r["lang"]) or 0.0 for r in ans])
    out["span_contains"] = mean([contains_answer(r["span"], r["answers"], r["lang"]) or 0.0 for r in ans])
    kept = [r for r in ans if r["margin"] is not None and r["margin"] >= threshold]
    out["answerable_refused"] = mean([0.0 if r in kept else 1.0 for r in ans])
    out["f1_with_refusal"] = mean([(f1(r["span"], r["answers"], r["lang"]) or 0.0) if r in kept else 0.0
                                   for r in ans])
    out["unanswerable_refused"] = mean([1.0 if (r["margin"] is None or r["margin"] < threshold) else 0.0
                                        for r in una])
    secs = sorted(r["seconds"] for r in rows)
    out["p50_ms"] = round(1000 * secs[len(secs) // 2], 1) if secs else None
    return out


def sweep(rows: list[dict], thresholds: list[float]) -> list[dict]:
    return [score(rows, t) for t in thresholds]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.reader", description=__doc__.split("\n\n")[0])
    p.add_argument("folder", type=Path, help="a dataset folder with questions.jsonl (a 'context' per question)")
    p.add_argument("--n", type=int, default=None, help="a sample of this many questions (seed --seed)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--split", choices=["tune", "report"], default=None,
                   help="tune: the first 4 articles' questions; report: the others")
    p.add_argument("--threshold", type=float, default=None, help="no-answer margin (default: reader.min_margin)")
    p.add_argument("--sweep", type=str, default="", help="comma-separated thresholds to report as well")
    p.add_argument("--out", type=Path, default=None, help="write rows.jsonl and summary.json here")
    args = p.parse_args(argv)
    if not (args.folder / "questions.jsonl").is_file():
        print(f"{args.folder}: no questions.jsonl", file=sys.stderr)
        return 2
    from articleqa.settings import load_settings
    from qa.readers.span import SpanReader

    settings = load_settings()
    threshold = settings.reader.min_margin if args.threshold is None else args.threshold
    questions = load_questions(args.folder, args.n, args.seed, args.split)
    rows = read_all(questions, SpanReader(settings))
    summary = {"folder": str(args.folder), "n": len(rows), "seed": args.seed, "split": args.split, "result": score(rows, threshold)}
    if args.sweep:
        summary["sweep"] = sweep(rows, [float(x) for x in args.sweep.split(",")])
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "rows.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                            encoding="utf-8")
        (args.out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
