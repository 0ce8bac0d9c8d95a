"""Two eval runs over the same questions, question by question (e.g. a setting on and off):

    python -m bench.compare_runs /tmp/run-a /tmp/run-b

Prints each run's gate metrics, how many answers are identical, and for the questions where the short answer's
"contains a gold answer" differs, which run had it (a sign test's two-sided p over those). Reads report.json.
"""
from __future__ import annotations

import argparse
import json
import sys
from math import comb
from pathlib import Path

METRICS = ("answer_contains", "f1", "em", "citation_recall", "false_refusal_rate", "refusal_rate",
           "ungrounded_figures", "first_token_p50", "latency_p50")


def _rows(folder: Path) -> tuple[dict, dict[str, dict]]:
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    return report["metrics"], {r["id"]: r for r in report["rows"]}


def sign_test(wins: int, losses: int) -> float:
    """Two-sided p of a split at least this uneven between two equally likely outcomes."""
    n, k = wins + losses, min(wins, losses)
    if n == 0:
        return 1.0
    return min(1.0, 2 * sum(comb(n, i) for i in range(k + 1)) / 2 ** n)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("a", type=Path)
    p.add_argument("b", type=Path)
    args = p.parse_args(argv)
    (ma, ra), (mb, rb) = _rows(args.a), _rows(args.b)
    shared = [i for i in ra if i in rb]
    if not shared:
        raise SystemExit(f"{args.a} and {args.b} share no question")
    for k in METRICS:
        va, vb = (ma.get(k) or {}).get("value"), (mb.get(k) or {}).get("value")
        if va is not None and vb is not None:
            print(f"{k:20s} {va:9.3f} {vb:9.3f}")
    same = sum(ra[i]["answer"] == rb[i]["answer"] for i in shared)
    hit = {i: ((ra[i]["metrics"].get("answer_contains") or 0.0), (rb[i]["metrics"].get("answer_contains") or 0.0))
           for i in shared}
    a_only = sum(x > y for x, y in hit.values())
    b_only = sum(y > x for x, y in hit.values())
    print(f"questions {len(shared)}; identical answers {same}; contains only in a: {a_only}, only in b: {b_only} "
          f"(sign test p = {sign_test(a_only, b_only):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
