"""`python -m eval.run_all` (`make eval`): every shipped dataset in retrieval mode, and a fixed 50-question sample of
each in llm mode. Reports go to eval/reports/<dataset>-<mode>/; a summary table is printed and written to
eval/reports/SUMMARY.md.

Options: --modes retrieval,llm (default both), --datasets drcd,seed (default all), --sample 50, --seed 0.
The llm runs take minutes per dataset on 2 cores.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from articleqa.settings import load_settings

from .datasets import article_paths, load_questions, names, questions_path
from .harness import evaluate, select
from .index import ensure_index
from .report import Report, fmt_value

REPORTS = Path(__file__).resolve().parent / "reports"
SUMMARY_METRICS = ["hit@1", "hit@5", "mrr@10", "em", "f1", "answer_contains", "citation_precision",
                   "citation_recall", "refusal_rate", "false_refusal_rate", "ungrounded_figures", "latency_p50"]


def run_one(name: str, mode: str, sample: int | None, seed: int, out_root: Path) -> Report:
    from qa.assistant import Assistant

    settings = load_settings().with_overrides({"answer.mode": "extractive" if mode == "retrieval" else mode})
    index_dir = ensure_index(article_paths(name), settings)
    questions = load_questions(questions_path(name))
    chosen = select(questions, sample=sample, seed=seed)
    notes = [f"subset: {len(chosen)} of {len(questions)} questions (sample={sample} seed={seed})"] if len(
        chosen) < len(questions) else []
    assistant = Assistant.open(index_dir, settings)
    try:
        report = evaluate(chosen, assistant, mode=mode, dataset=name, settings=settings, notes=notes)
    finally:
        close = getattr(assistant, "close", None)
        if callable(close):
            close()
    report.write(out_root / f"{name}-{mode}")
    return report


def summary(reports: list[Report]) -> str:
    present = [m for m in SUMMARY_METRICS if any(r.metrics.get(m, {}).get("value") is not None for r in reports)]
    lines = ["| dataset | mode | n | " + " | ".join(present) + " |", "|---|---|---:|" + "---:|" * len(present)]
    for r in reports:
        cells = []
        for m in present:
            s = r.metrics.get(m)
            cells.append("–" if not s else fmt_value(s.get("value"), s.get("unit", ""), s.get("fraction", True)))
        flag = " (partial)" if r.partial else ""
        lines.append(f"| {r.dataset} | {r.mode}{flag} | {r.n_questions} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.run_all", description=__doc__.split("\n\n")[0])
    p.add_argument("--modes", default="retrieval,llm")
    p.add_argument("--datasets", default=",".join(names()))
    p.add_argument("--sample", type=int, default=50, help="questions per dataset in the answer modes")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=str(REPORTS))
    args = p.parse_args(argv)
    out_root = Path(args.out)
    reports: list[Report] = []
    for name in [n for n in args.datasets.split(",") if n]:
        for mode in [m for m in args.modes.split(",") if m]:
            print(f"== {name} / {mode}", file=sys.stderr)
            sample = None if mode == "retrieval" else args.sample
            report = run_one(name, mode, sample, args.seed, out_root)
            reports.append(report)
            if report.partial:
                break
        if reports and reports[-1].partial:
            break
    text = summary(reports)
    print(text)
    out_root.mkdir(parents=True, exist_ok=True)
    (out_root / "SUMMARY.md").write_text("# Eval summary\n\n" + text, encoding="utf-8")
    return 130 if any(r.partial for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
