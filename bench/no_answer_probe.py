"""The model's own refusal confidence (`answer.no_answer_p`), on tuning data only (a benchmark, not a test).

    python -m bench.no_answer_probe drcd-nearmiss --n 1000 --rows /tmp/nm.jsonl
    python -m bench.no_answer_probe drcd-tune --rows /tmp/tune.jsonl
    python -m bench.no_answer_probe --table /tmp/nm.jsonl /tmp/tune.jsonl

Answers each question in llm mode and records `Answer.no_answer_p` (the probability the model gave an empty answer
at its first answer token), `Answer.span_p`, and whether the answer holds a gold one; ``--table`` then prints, for
each threshold, answerable refused / unanswerable refused / contains as if `answer.no_answer_p` were set to it.
Sets: ``drcd-nearmiss`` and ``squad2`` (articles 1-4) sample ``--n`` answerable and ``--n`` unanswerable questions
(random.Random(5)); ``drcd-tune`` is the 124 DRCD questions every earlier choice was tuned on
(`bench.answer_quality.tuning_questions`).
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from bench.common import indexable_copy, read_jsonl

THRESHOLDS = [3e-5, 5e-5, 7.5e-5, 1e-4, 1.5e-4, 2e-4, 3e-4, 5e-4, 1e-3]


def questions(name: str, n: int) -> tuple[Path, list[dict]]:
    if name == "drcd-tune":
        from bench.answer_quality import tuning_questions

        return Path("eval/datasets/drcd"), tuning_questions()[0]
    folder = indexable_copy(name)
    qs = read_jsonl(folder / "questions.jsonl")
    if name == "squad2":
        order = {a["id"]: i for i, a in enumerate(read_jsonl(folder / "articles.jsonl"))}
        qs = [q for q in qs if order.get(q["article_id"], 0) < 4]
    rng = random.Random(5)
    ans = [q for q in qs if q.get("answerable", True)]
    un = [q for q in qs if not q.get("answerable", True)]
    return folder, rng.sample(ans, min(n, len(ans))) + rng.sample(un, min(n, len(un)))


def record(name: str, n: int, out: Path) -> None:
    from articleqa.settings import load_settings
    from eval.harness import article_texts, run_one
    from eval.index import ensure_index
    from eval.metrics.answer_match import contains_answer
    from qa import Assistant

    folder, qs = questions(name, n)
    settings = load_settings().with_overrides({"answer.mode": "llm"})
    with Assistant.open(ensure_index([folder / "articles.jsonl"], settings), settings) as a, \
            out.open("w", encoding="utf-8") as f:
        texts = article_texts(a)
        for q in qs:
            r = run_one(a, q, "llm", texts)
            ans = r.answer
            row = {"id": q["id"], "answerable": q.get("answerable", True), "refused": bool(ans and ans.refused),
                   "p": ans.no_answer_p if ans else None, "span_p": ans.span_p if ans else None}
            if row["answerable"] and ans and not ans.refused:
                row["c"] = contains_answer(r.short_text, r.answers, r.lang)
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def rates(rows: list[dict], threshold: float | None) -> tuple[float, float, float]:
    def refused(r: dict) -> bool:
        return bool(r["refused"] or (threshold is not None and r["p"] is not None and r["p"] >= threshold))

    ans = [r for r in rows if r["answerable"]]
    un = [r for r in rows if not r["answerable"]]
    contains = sum(r.get("c") or 0 for r in ans if not refused(r))
    return (sum(map(refused, ans)) / max(1, len(ans)), sum(map(refused, un)) / max(1, len(un)),
            contains / max(1, len(ans)))


def print_table(paths: list[Path]) -> None:
    for path in paths:
        rows = read_jsonl(path)
        print(f"{path}: {sum(r['answerable'] for r in rows)} answerable, "
              f"{sum(not r['answerable'] for r in rows)} unanswerable")
        print("threshold  answerable-refused  unanswerable-refused  contains")
        for t in [None, *THRESHOLDS]:
            a, u, c = rates(rows, t)
            print(f"{'off' if t is None else t:>9}  {a:18.3f}  {u:20.3f}  {c:8.3f}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dataset", nargs="?", choices=["drcd-nearmiss", "squad2", "drcd-tune"])
    p.add_argument("--n", type=int, default=80)
    p.add_argument("--rows", type=Path)
    p.add_argument("--table", type=Path, nargs="*")
    args = p.parse_args(argv)
    if args.dataset:
        record(args.dataset, args.n, args.rows)
    if args.table:
        print_table(args.table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
