"""Compare two eval runs, and gate on thresholds.

``python -m eval.compare NEW_REPORT.json --baseline OLD_REPORT.json [--fail-under METRIC=VALUE ...]``
(the same checks run from ``articleqa eval --baseline/--fail-under``).

Run on the same questions (a setting on and off), it also says how many answers are identical and, for the
questions whose "contains a gold answer" differs, which run had it, with a sign test's two-sided p.

A metric *regresses* when it moves the wrong way by more than the half-width of the baseline's 95% CI (the new
run's CI when the baseline has none). Only metrics marked ``gate`` fail the run; latency, tokens and fallbacks
are reported but machine-dependent. ``--fail-under METRIC=VALUE`` fails when METRIC's value is below VALUE (or
missing). Exit status: 0 fine, 1 a regression or a threshold failed, 2 bad input.
"""
from __future__ import annotations

import argparse
import sys
from math import comb
from dataclasses import dataclass, field
from typing import Sequence

from .report import Report, fmt_value

EPS = 1e-12


@dataclass
class MetricDelta:
    name: str
    base: float | None
    new: float | None
    half_width: float | None
    higher_is_better: bool = True
    gate: bool = True
    unit: str = ""
    fraction: bool = True

    @property
    def delta(self) -> float | None:
        if self.base is None or self.new is None:
            return None
        return self.new - self.base

    @property
    def worse_by(self) -> float | None:
        """How far the metric moved the wrong way (positive = worse)."""
        d = self.delta
        if d is None:
            return None
        return -d if self.higher_is_better else d

    @property
    def regressed(self) -> bool:
        w = self.worse_by
        return w is not None and w > (self.half_width or 0.0) + EPS

    @property
    def improved(self) -> bool:
        w = self.worse_by
        return w is not None and -w > (self.half_width or 0.0) + EPS


@dataclass
class QuestionChange:
    id: str
    question: str
    base: float
    new: float


@dataclass
class Comparison:
    base: Report
    new: Report
    deltas: list[MetricDelta] = field(default_factory=list)
    worse: list[QuestionChange] = field(default_factory=list)
    better: list[QuestionChange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    paired: int = 0  # questions in both runs
    identical_answers: int = 0
    contains_only_new: int = 0
    contains_only_base: int = 0

    @property
    def regressions(self) -> list[MetricDelta]:
        return [d for d in self.deltas if d.gate and d.regressed]


def _half_width(m: dict | None) -> float | None:
    if not m or m.get("ci_low") is None or m.get("ci_high") is None:
        return None
    return (float(m["ci_high"]) - float(m["ci_low"])) / 2.0


def compare(new: Report, base: Report) -> Comparison:
    cmp = Comparison(base=base, new=new)
    if (base.dataset, base.mode) != (new.dataset, new.mode):
        cmp.warnings.append(
            f"comparing different runs: baseline {base.dataset}/{base.mode}, new {new.dataset}/{new.mode}"
        )
    if new.partial:
        cmp.warnings.append("the new run is partial (interrupted)")
    if base.partial:
        cmp.warnings.append("the baseline run is partial (interrupted)")
    for name, nm in new.metrics.items():
        bm = base.metrics.get(name)
        if bm is None:
            continue
        hw = _half_width(bm)
        if hw is None:
            hw = _half_width(nm)
        cmp.deltas.append(
            MetricDelta(
                name=name,
                base=bm.get("value"),
                new=nm.get("value"),
                half_width=hw,
                higher_is_better=bool(nm.get("higher_is_better", True)),
                gate=bool(nm.get("gate", True)),
                unit=nm.get("unit", ""),
                fraction=bool(nm.get("fraction", True)),
            )
        )
    base_rows = {r["id"]: r for r in base.rows}
    for r in new.rows:
        b = base_rows.get(r["id"])
        if b is None:
            continue
        _count_pair(cmp, r, b)
        if b.get("primary") is None or r.get("primary") is None:
            continue
        ch = QuestionChange(r["id"], r.get("question", ""), float(b["primary"]), float(r["primary"]))
        if ch.new < ch.base - EPS:
            cmp.worse.append(ch)
        elif ch.new > ch.base + EPS:
            cmp.better.append(ch)
    cmp.worse.sort(key=lambda c: c.new - c.base)
    cmp.better.sort(key=lambda c: c.base - c.new)
    return cmp


def _count_pair(cmp: Comparison, new_row: dict, base_row: dict) -> None:
    cmp.paired += 1
    cmp.identical_answers += new_row.get("answer") == base_row.get("answer")
    contains_new = (new_row.get("metrics") or {}).get("answer_contains") or 0.0
    contains_base = (base_row.get("metrics") or {}).get("answer_contains") or 0.0
    cmp.contains_only_new += contains_new > contains_base
    cmp.contains_only_base += contains_base > contains_new


def sign_test(wins: int, losses: int) -> float:
    """Two-sided p of a split at least this uneven between two equally likely outcomes."""
    n, k = wins + losses, min(wins, losses)
    if n == 0:
        return 1.0
    return min(1.0, 2 * sum(comb(n, i) for i in range(k + 1)) / 2 ** n)


def parse_threshold(spec: str) -> tuple[str, float]:
    name, sep, value = spec.partition("=")
    if not sep or not name.strip():
        raise ValueError(f"--fail-under {spec!r}: expected METRIC=VALUE, e.g. hit@1=0.8")
    try:
        return name.strip(), float(value)
    except ValueError as e:
        raise ValueError(f"--fail-under {spec!r}: {value!r} is not a number") from e


def check_thresholds(report: Report, specs: Sequence[str]) -> list[str]:
    """Failure messages for each METRIC=VALUE whose metric is below VALUE or absent from the report."""
    failures = []
    for spec in specs:
        name, floor = parse_threshold(spec)
        v = report.value(name)
        if name not in report.metrics:
            known = ", ".join(report.metrics)
            failures.append(f"{name}: not in this report (metrics: {known})")
        elif v is None:
            failures.append(f"{name}: no value (no question it applies to)")
        elif v < floor:
            failures.append(f"{name} = {v:.4f} is under {floor:g}")
    return failures


def render(cmp: Comparison, n_questions: int = 15) -> str:
    lines = [f"# Compare: {cmp.new.title()} vs baseline {cmp.base.title()}", ""]
    lines += [f"- warning: {w}" for w in cmp.warnings]
    lines += ["", "| metric | baseline | new | change | CI half-width | verdict |", "|---|---:|---:|---:|---:|---|"]
    for d in cmp.deltas:
        if d.regressed:
            verdict = "**REGRESSED**" if d.gate else "worse (not gated)"
        elif d.improved:
            verdict = "better"
        else:
            verdict = "within CI"
        delta = "–" if d.delta is None else f"{d.delta:+.4f}"
        hw = "–" if d.half_width is None else f"{d.half_width:.4f}"
        lines.append(
            f"| {d.name} | {fmt_value(d.base, d.unit, d.fraction)} | {fmt_value(d.new, d.unit, d.fraction)}"
            f" | {delta} | {hw} | {verdict} |"
        )
    if cmp.paired:
        a, b = cmp.contains_only_new, cmp.contains_only_base
        lines += ["", f"Paired questions: {cmp.paired}; identical answers: {cmp.identical_answers}; a gold answer "
                  f"contained only in the new run: {a}, only in the baseline: {b} (sign test p = {sign_test(a, b):.2f})"]
    for title, items in (("Questions that got worse", cmp.worse), ("Questions that got better", cmp.better)):
        lines += ["", f"## {title} ({len(items)})", ""]
        for c in items[:n_questions]:
            q = c.question.replace("\n", " ")[:80]
            lines.append(f"- `{c.id}` {c.base:.3f} → {c.new:.3f}: {q}")
    return "\n".join(lines) + "\n"


def gate(
    new: Report, baseline: Report | None = None, fail_under: Sequence[str] = (), out=None
) -> int:
    """Print the comparison and threshold checks (on ``out``, default the current ``sys.stdout``: not the one at
    import, which a test's capture may have closed since); 1 when a gated metric regressed or a threshold failed."""
    out = out if out is not None else sys.stdout
    status = 0
    if baseline is not None:
        cmp = compare(new, baseline)
        print(render(cmp), file=out)
        for d in cmp.regressions:
            print(
                f"REGRESSION: {d.name} {d.base:.4f} -> {d.new:.4f} (beyond the CI half-width {d.half_width or 0:.4f})",
                file=out,
            )
        if cmp.regressions:
            status = 1
    failures = check_thresholds(new, fail_under)
    for f in failures:
        print(f"FAIL-UNDER: {f}", file=out)
    if failures:
        status = 1
    return status


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.compare", description=__doc__.split("\n\n")[0])
    p.add_argument("report", help="the new run's report.json (or its folder)")
    p.add_argument("--baseline", help="the baseline run's report.json (or its folder)")
    p.add_argument("--fail-under", action="append", default=[], metavar="METRIC=VALUE")
    args = p.parse_args(argv)
    try:
        new = Report.load(args.report)
        base = Report.load(args.baseline) if args.baseline else None
        for spec in args.fail_under:
            parse_threshold(spec)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if base is None and not args.fail_under:
        print("nothing to check: give --baseline and/or --fail-under", file=sys.stderr)
        return 2
    return gate(new, base, args.fail_under)


if __name__ == "__main__":
    sys.exit(main())
