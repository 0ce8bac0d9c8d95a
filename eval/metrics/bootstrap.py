"""Aggregates with bootstrap 95% confidence intervals, overall and by language.

Percentile bootstrap: resample the applicable per-question values with replacement ``n_resamples`` times
(a fixed seed, so reruns agree), aggregate each resample with the metric's own aggregate, take the 2.5th and
97.5th percentiles.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from .base import Metric, QuestionResult

N_RESAMPLES = 1000
SEED = 0


def bootstrap_ci(
    values: Sequence[float],
    metric: Metric,
    n_resamples: int = N_RESAMPLES,
    seed: int = SEED,
    confidence: float = 0.95,
) -> tuple[float | None, float | None]:
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return None, None
    if v.size == 1:
        x = float(v[0])
        return x, x
    rng = np.random.default_rng(seed)
    stats = np.empty(n_resamples, dtype=float)
    # Blocks of rows keep memory flat on large sets (SQuAD: 4,203 questions).
    block = max(1, min(n_resamples, 2_000_000 // v.size))
    for i in range(0, n_resamples, block):
        m = min(block, n_resamples - i)
        idx = rng.integers(0, v.size, size=(m, v.size))
        stats[i : i + m] = metric.aggregate_many(v[idx])
    alpha = (1.0 - confidence) / 2.0
    lo, hi = np.percentile(stats, [100 * alpha, 100 * (1 - alpha)])
    return float(lo), float(hi)


def summarize(
    metric: Metric, results: Iterable[QuestionResult], n_resamples: int = N_RESAMPLES, seed: int = SEED
) -> dict:
    """{"value", "ci_low", "ci_high", "n"} for one metric over the results whose value applies."""
    vals = [r.values.get(metric.name) for r in results]
    vals = [float(x) for x in vals if x is not None]
    lo, hi = bootstrap_ci(vals, metric, n_resamples, seed)
    return {"value": metric.aggregate(vals), "ci_low": lo, "ci_high": hi, "n": len(vals)}


def aggregate_all(
    metrics: Sequence[Metric],
    results: Sequence[QuestionResult],
    n_resamples: int = N_RESAMPLES,
    seed: int = SEED,
) -> tuple[dict[str, dict], dict[str, dict[str, dict]]]:
    """(overall, by_language): metric name -> summary; language -> metric name -> summary."""
    overall = {m.name: {**summarize(m, results, n_resamples, seed), **m.describe()} for m in metrics}
    by_lang: dict[str, dict[str, dict]] = {}
    for lang in sorted({r.lang or "?" for r in results}):
        subset = [r for r in results if (r.lang or "?") == lang]
        by_lang[lang] = {m.name: summarize(m, subset, n_resamples, seed) for m in metrics}
    return overall, by_lang
