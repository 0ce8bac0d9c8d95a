"""docs/results.md, written from the reports kept in docs/eval-reports/ (`python -m eval.results_page >
docs/results.md`, or `make docs`); tests/test_results_page.py fails when the page and the reports disagree.

Each figure is read from its report; what a report does not hold (the commit the run was made at, the machine,
which split the questions come from) is written once in `RUNS` below. A new round adds its rows here and its
reports beside them, and removes the superseded ones."""
from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REPORTS = REPO / "docs" / "eval-reports"
MACHINE = "2-core AVX-512 VM (AMD EPYC), 24 GB, quiet"
MACHINE_XEON = "2-core Intel Xeon VM, 24 GB"


@dataclass(frozen=True)
class Run:
    report: str  # folder (answers) or file stem (retrieval) under docs/eval-reports/
    data: str
    split: str
    commit: str
    machine: str = MACHINE


# Round nine (docs/decisions/span-reader.md): the default llm mode is the generator with the span reader's refusal,
# and the reader's span where its margin is at least reader.llm_defer_margin; extractive mode is the reader alone.
MACHINE_R9 = "2-core AVX-512 VM (AMD EPYC), 24 GB; other sessions' jobs at nice 19 beside the first runs"
# Round eleven reran the Chinese ones after reader.llm_other_passage_margin (the reader overrules a generator answer
# taken from another passage; off for English questions, so the SQuAD and squad2 rows of round nine still hold);
# the cmrc2018-nearmiss row is round nine's.
MACHINE_R11 = "2-core AVX-512 VM (AMD EPYC), 24 GB; the lead's tests at nice 5 beside some runs"
LLM = [
    Run("answers-r11-drcd-llm", "DRCD dev (zh-Hant)", "held-out sample, seed 1", "c7ce74c", MACHINE_R11),
    Run("answers-r9-squad1-llm", "SQuAD 1.1 dev (en), without the 7 articles the reader saw",
        "held-out sample, seed 1", "cd01964", MACHINE_R9),
    Run("answers-r11-cmrc2018-llm", "CMRC 2018 dev (zh-Hans)", "all in the repo", "c7ce74c", MACHINE_R11),
    Run("answers-r11-drcd-nearmiss-llm", "drcd-nearmiss dev", "sample of 120, seed 1 (reader.min_margin tuned on "
        "half of the set)", "c7ce74c", MACHINE_R11),
    Run("answers-r9-cmrc2018-nearmiss-llm", "cmrc2018-nearmiss dev", "reporting split, all", "4a05331", MACHINE_R9),
    Run("answers-r9-squad2-llm", "squad2 dev, articles 5-9", "reporting split, sample, seed 1", "4a05331",
        MACHINE_R9),
]
EXTRACTIVE = [
    Run("answers-r9-drcd-ext", "DRCD dev (zh-Hant)", "held-out sample, seed 1", "7310e3e", MACHINE_R9),
    Run("answers-r9-squad1-ext", "SQuAD 1.1 dev (en), without the 7 articles the reader saw",
        "held-out sample, seed 1", "7310e3e", MACHINE_R9),
    Run("answers-r9-cmrc2018-ext", "CMRC 2018 dev (zh-Hans)", "all in the repo", "7310e3e", MACHINE_R9),
    Run("answers-r9-drcd-nearmiss-ext", "drcd-nearmiss dev", "all (reader.min_margin tuned on half of it)",
        "7310e3e", MACHINE_R9),
    Run("answers-r9-cmrc2018-nearmiss-ext", "cmrc2018-nearmiss dev", "reporting split, all", "7310e3e", MACHINE_R9),
    Run("answers-r9-squad2-ext", "squad2 dev, articles 5-9", "reporting split, all", "7310e3e", MACHINE_R9),
]
# Hybrid retrieval on the full dev sets (tuned on them: docs/decisions/retrieval-fusion.md).
RETRIEVAL = [
    Run("drcd-retrieval", "DRCD dev (zh-Hant)", "all (tuned on)", "dd54c88", MACHINE_XEON),
    Run("cmrc2018-retrieval", "CMRC 2018 dev (zh-Hans)", "all (tuned on)", "dd54c88", MACHINE_XEON),
    Run("squad1-retrieval", "SQuAD 1.1 dev (en)", "all (tuned on)", "dd54c88", MACHINE_XEON),
]
# (report, commit, date, mode, rounds, the other tree): each run alternates with the other tree, question by question.
SEED_LATENCY = [("seed-latency-r9-llm.json", "4a05331", "2026-12-06", "llm", 2, "round eight"),
                ("seed-latency-r9-extractive.json", "4a05331", "2026-12-06", "extractive", 3, "round eight")]

_ROW = re.compile(r"^\| (?P<name>[\w@]+) [↑↓] \| (?P<value>[^|]+?) \| (?P<ci>[^|]+?) \| (?P<n>\d+) \|$")
_CREATED = re.compile(r"created: (\d{4}-\d{2}-\d{2})")


@dataclass(frozen=True)
class Metric:
    value: str
    ci: str
    n: int


def read_report(path: Path) -> tuple[dict[str, Metric], str]:
    """The metrics table of a report.md (name -> value, interval, n) and the date it was created."""
    text = path.read_text(encoding="utf-8")
    metrics: dict[str, Metric] = {}
    for line in text.splitlines():
        m = _ROW.match(line.strip())
        if m and m["name"] not in metrics:
            metrics[m["name"]] = Metric(m["value"], m["ci"], int(m["n"]))
    created = _CREATED.search(text)
    if not metrics or not created:
        raise ValueError(f"{path}: no metrics table or no creation date")
    return metrics, created.group(1)


def _with_ci(m: Metric | None) -> str:
    if m is None or m.n == 0:
        return "–"
    lo, _, hi = m.ci.partition(" – ")
    return f"{m.value} [{float(lo):.2f}, {float(hi):.2f}]"


def _plain(m: Metric | None) -> str:
    return "–" if m is None or m.n == 0 else m.value


def _seconds(m: Metric | None) -> str:
    return "–" if m is None or m.n == 0 else f"{int(m.value.split()[0]) / 1000:.1f} s"


def _n(metrics: dict[str, Metric]) -> str:
    answerable = metrics["false_refusal_rate"].n
    unanswerable = metrics["refusal_rate"].n
    return f"{answerable} + {unanswerable}" if unanswerable else str(answerable)


def _answer_rows(runs: list[Run], llm: bool) -> list[str]:
    rows = []
    for run in runs:
        path = Path("eval-reports") / run.report / "report.md"
        m, created = read_report(REPORTS / run.report / "report.md")
        cells = [f"{run.data}, {run.split}", _n(m), _with_ci(m.get("answer_contains"))]
        if llm:
            cells += [_with_ci(m.get("f1")), _plain(m.get("em"))]
        cells += [_plain(m.get("citation_recall")), _with_ci(m.get("false_refusal_rate")),
                  _with_ci(m.get("refusal_rate")), _plain(m.get("ungrounded_figures"))]
        if llm:
            cells.append(f"{_seconds(m.get('latency_p50'))} / {_seconds(m.get('first_token_p50'))}")
        cells += [created, f"`{run.commit}`", f"[report]({path.as_posix()})"]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def _retrieval_rows() -> list[str]:
    rows = []
    for run in RETRIEVAL:
        m, created = read_report(REPORTS / f"{run.report}.md")
        links = f"[report](eval-reports/{run.report}.md), [html](eval-reports/{run.report}.html)"
        cells = [f"{run.data}, {run.split}", str(m["hit@1"].n), _with_ci(m["hit@1"]), _plain(m["hit@5"]),
                 _plain(m["mrr@10"]), created, f"`{run.commit}`", links]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def _seed_latency() -> list[str]:
    rows = []
    for name, commit, date, mode, rounds, other_name in SEED_LATENCY:
        d = json.loads((REPORTS / name).read_text(encoding="utf-8"))
        this, other = d["this"], d["other"]
        rows.append(f"| the seed article's questions, {mode} mode, {rounds} rounds alternating with {other_name}'s tree | "
                    f"{this['first_p50']:.2f} s ({other_name}: {other['first_p50']:.2f} s) | "
                    f"{this['total_p50']:.2f} s ({other_name}: {other['total_p50']:.2f} s) | {date} | `{commit}` | "
                    f"[report](eval-reports/{name}) |")
    return rows


def results_markdown() -> str:
    llm_head = ("| data, split | n (answerable + unanswerable) | short answer contains gold | F1 | EM | gold "
                "paragraph cited | answerable refused | unanswerable refused | invented figures (rate) | latency p50 "
                "whole / first token | date | commit | report |")
    lines = [
        "# Results",
        "",
        "<!-- Generated by `python -m eval.results_page > docs/results.md` from docs/eval-reports/;",
        "     tests/test_results_page.py fails when this page is stale. Do not edit by hand. -->",
        "",
        "The current figures, each read from the report it links. Dev data only; the tuning questions of each",
        "choice are left out of the samples reported here (which data tuned what: [evaluation.md](evaluation.md)).",
        "Brackets are 95% bootstrap intervals. How each round got here, with the figures it was decided on:",
        "[decisions/](decisions/README.md).",
        "",
        f"Machine for the answer runs: {MACHINE_R9}; the runs one after another, 2 threads.",
        "Models: the bundled multilingual-e5-small (ONNX int8) and Qwen2.5-Coder-1.5B-Instruct Q4_K_M.",
        "",
        "## Answers, llm mode, the default (rounds nine and eleven: the generator and the span reader)",
        "",
        "The reader refuses when its no-answer score wins, and answers itself where its margin is at least",
        "`reader.llm_defer_margin`; the generator answers the rest, unless it answered from another passage than",
        "the reader's best span and the reader's margin there is at least `reader.llm_other_passage_margin` (round",
        "eleven).",
        f"Machine: {MACHINE_R9} (round nine); {MACHINE_R11} (round eleven). Latency: the whole answer / the first",
        "token of the answers the generator wrote; compare latencies within a round only (other loads).",
        "The reader's answers come whole, in about 0.1 s.",
        "",
        llm_head,
        "|" + "---|" * llm_head.count(" | ") + "---|",
        *_answer_rows(LLM, llm=True),
        "",
        "## Answers, extractive mode (round nine: the trained span reader alone, no generator)",
        "",
        f"Machine: {MACHINE_R9}; latency is the whole answer (retrieval and reading).",
        "",
        llm_head,
        "|" + "---|" * llm_head.count(" | ") + "---|",
        *_answer_rows(EXTRACTIVE, llm=True),
        "",
        "## Retrieval (hybrid, z-score fusion, dense weight 0.5)",
        "",
        f"Full dev sets, on the {MACHINE_XEON}, with the fp32 embedder (`models.embed_backend = \"onnx-fp32\"`",
        "gives these vectors exactly); the default int8 backend is within 0.01 of every hit@1 / hit@5 here",
        "([benchmarks.md](benchmarks.md), \"Speed by default\").",
        "",
        "| data, split | n | hit@1 | hit@5 | MRR@10 | date | commit | report |",
        "|---|---|---|---|---|---|---|---|",
        *_retrieval_rows(),
        "",
        "## Speed (`python -m bench.seed_latency`)",
        "",
        f"p50 over the seed questions after the first, {MACHINE}.",
        "",
        "| what | time to first token | whole answer | date | commit | report |",
        "|---|---|---|---|---|---|",
        *_seed_latency(),
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    sys.stdout.write(results_markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
