"""Re-apply tuned refusal gates to an llm-mode run made with the loosest gates of the tuning grid.

    python -m bench.regate RUN/report.json --dataset squad2 --out RUN/regated.json

The llm runs of bench/answer_quality.py were started before the gate tuning finished, with the loosest settings of
bench/answerability.py's grid. Every tuned setting refuses a superset of what those refuse, so the tuned run is
exact: a question the tuned gates refuse (asked again in extractive mode with the current settings, where only the
gates refuse) is a refusal; any other keeps its llm outcome. Prints the key figures with 95% bootstrap intervals.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

KEYS = ["answer_contains", "f1", "shown_contains", "citation_recall", "refusal_rate", "false_refusal_rate",
        "ungrounded_figures"]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("report", type=Path)
    p.add_argument("--dataset", required=True)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    from articleqa.settings import load_settings
    from bench.answer_quality import DATA
    from eval.index import ensure_index
    from eval.metrics import all_metrics
    from eval.metrics.bootstrap import bootstrap_ci
    from qa import Assistant

    rows = json.loads(args.report.read_text(encoding="utf-8"))["rows"]
    folder = Path(DATA[args.dataset][0])
    arts = sorted(folder.glob("*.txt")) if args.dataset == "seed" else [folder / "articles.jsonl"]
    settings = load_settings().with_overrides({"answer.mode": "extractive"})
    metrics = {m.name: m for m in all_metrics()}
    cache = args.out.with_suffix(".gates.json")
    if cache.exists():
        flags = json.loads(cache.read_text(encoding="utf-8"))
    else:
        with Assistant.open(ensure_index(arts, settings), settings) as a:
            flags = {r["id"]: a.ask(r["question"], mode="extractive").refused for r in rows}
        cache.write_text(json.dumps(flags), encoding="utf-8")
    for r in rows:
        r["gate_refused"] = flags[r["id"]]
    out: dict = {"n": len(rows), "changed": 0}
    for key in KEYS:
        vals = []
        for r in rows:
            v = r["metrics"].get(key)
            if r["gate_refused"] and not r["refused"] and v is not None:
                v = {"refusal_rate": 1.0, "false_refusal_rate": 1.0, "ungrounded_figures": None}.get(key, 0.0)
            if v is not None:
                vals.append(v)
        lo, hi = bootstrap_ci(vals, metrics[key])
        out[key] = {"value": sum(vals) / len(vals) if vals else None, "ci": [lo, hi], "n": len(vals)}
    out["changed"] = sum(1 for r in rows if r["gate_refused"] and not r["refused"])
    args.out.write_text(json.dumps(out, indent=1), encoding="utf-8")
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
