"""`--baseline` catches a planted regression; identical runs pass; --fail-under gates."""
from __future__ import annotations

import io
import json

from eval.compare import check_thresholds, compare, gate, main, render, sign_test
from tests.test_reports import make_report, make_results


def _reports(base_rate: float, new_rate: float, n: int = 200, mode: str = "llm"):
    return make_report(make_results(n, base_rate, mode=mode), mode=mode), make_report(
        make_results(n, new_rate, mode=mode), mode=mode
    )


def test_planted_regression_fails(tmp_path):
    base, new = _reports(0.9, 0.6)  # hit@1 drops 0.3; its CI half-width at n=200 is about 0.04
    cmp = compare(new, base)
    names = {d.name for d in cmp.regressions}
    assert "hit@1" in names and "f1" in names
    assert len(cmp.worse) == 60 and not cmp.better
    assert gate(new, base, out=io.StringIO()) == 1
    base.write(tmp_path / "base")
    new.write(tmp_path / "new")
    assert main([str(tmp_path / "new" / "report.json"), "--baseline", str(tmp_path / "base" / "report.json")]) == 1


def test_identical_runs_pass(tmp_path):
    base, new = _reports(0.8, 0.8)
    cmp = compare(new, base)
    assert cmp.regressions == [] and cmp.worse == [] and cmp.better == []
    assert gate(new, base, out=io.StringIO()) == 0
    base.write(tmp_path / "base")
    new.write(tmp_path / "new")
    assert main([str(tmp_path / "new"), "--baseline", str(tmp_path / "base")]) == 0


def test_small_drop_within_ci_and_improvement_pass():
    base, new = _reports(0.80, 0.79)  # 2 of 200 questions: well inside the CI
    assert gate(new, base, out=io.StringIO()) == 0
    base, new = _reports(0.6, 0.9)
    cmp = compare(new, base)
    assert cmp.regressions == [] and any(d.improved for d in cmp.deltas if d.name == "hit@1")
    assert gate(new, base, out=io.StringIO()) == 0


def test_lower_is_better_metric_regresses_upwards():
    base, new = _reports(0.9, 0.5)
    ungrounded = next(d for d in compare(new, base).deltas if d.name == "ungrounded_figures")
    assert not ungrounded.higher_is_better and ungrounded.delta > 0 and ungrounded.regressed


def test_fail_under(tmp_path):
    report = make_report(make_results(50, 0.8, mode="retrieval"), mode="retrieval")
    assert check_thresholds(report, ["hit@1=0.7"]) == []
    assert check_thresholds(report, ["hit@1=0.9"]) != []
    assert check_thresholds(report, ["nonexistent=0.1"]) != []
    assert gate(report, None, ["hit@1=0.9"], out=io.StringIO()) == 1
    assert gate(report, None, ["hit@1=0.7", "mrr@10=0.5"], out=io.StringIO()) == 0
    report.write(tmp_path)
    assert main([str(tmp_path), "--fail-under", "hit@1=0.95"]) == 1
    assert main([str(tmp_path), "--fail-under", "hit@1=0.5"]) == 0
    assert main([str(tmp_path), "--fail-under", "hit@1"]) == 2  # malformed
    (tmp_path / "bad.json").write_text(json.dumps({"x": 1}))
    assert main([str(tmp_path / "bad.json"), "--fail-under", "hit@1=0.5"]) == 2


def test_paired_runs_count_identical_answers_and_contains_flips():
    base, new = _reports(0.9, 0.6)  # 60 of 200 questions lose their gold answer
    cmp = compare(new, base)
    assert cmp.paired == 200
    assert cmp.contains_only_base == 60 and cmp.contains_only_new == 0
    assert cmp.identical_answers == 140
    assert "only in the baseline: 60" in render(cmp)
    same = compare(base, base)
    assert same.identical_answers == 200 and same.contains_only_new == same.contains_only_base == 0


def test_sign_test():
    assert sign_test(0, 0) == 1.0
    assert sign_test(2, 10) == sign_test(10, 2) == (2 * (1 + 12 + 66) / 4096)
    assert sign_test(5, 5) == 1.0
