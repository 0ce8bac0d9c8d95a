"""Evaluation metrics, one family per file on the shared base in `base.py`."""
from __future__ import annotations

from . import answer_match, citations, grounding, latency, refusal, retrieval
from .base import ANSWER_MODES, MODES, Metric, PercentileMetric, QuestionResult
from .bootstrap import aggregate_all, bootstrap_ci

FAMILIES = (answer_match, retrieval, citations, refusal, grounding, latency)


def all_metrics() -> list[Metric]:
    return [m for fam in FAMILIES for m in fam.METRICS]


def metrics_for(mode: str) -> list[Metric]:
    """The metrics that apply to a run in ``mode`` (llm | extractive | retrieval), in report order."""
    if mode not in MODES:
        raise ValueError(f"unknown eval mode {mode!r} (expected one of {', '.join(MODES)})")
    return [m for m in all_metrics() if m.applies_to(mode)]


def score(result: QuestionResult, metrics: list[Metric]) -> QuestionResult:
    """Fill ``result.values`` with every metric's value."""
    for m in metrics:
        result.values[m.name] = m.value(result)
    return result


__all__ = [
    "ANSWER_MODES",
    "MODES",
    "Metric",
    "PercentileMetric",
    "QuestionResult",
    "aggregate_all",
    "all_metrics",
    "bootstrap_ci",
    "metrics_for",
    "score",
]
