"""Evaluation: metrics (`eval.metrics`, one family per file), the harness, reports, comparisons, shipped datasets.

    from eval import evaluate, Report
    report = evaluate(questions, assistant, mode="retrieval")
    report.write("eval/reports/mine")
"""
from __future__ import annotations

from typing import Any

__all__ = ["evaluate", "Report"]


def __getattr__(name: str) -> Any:
    # Lazy, so `import eval.clean_score` (or anything light under eval/) does not pull in numpy and the metrics.
    if name == "evaluate":
        from .harness import evaluate

        return evaluate
    if name == "Report":
        from .report import Report

        return Report
    raise AttributeError(name)
