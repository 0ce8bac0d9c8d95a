"""Cost: p50/p95 of total latency and of time to first token (seconds), tokens in and out per question.

Total latency is ``Answer.timings["total"]`` when the assistant reports it, else the harness's wall time for the
question (always the wall time in retrieval mode). These metrics are reported and compared but never gate a run:
they depend on the machine.
"""
from __future__ import annotations

from .base import ANSWER_MODES, Metric, PercentileMetric, QuestionResult


def total_seconds(r: QuestionResult) -> float | None:
    if r.answer is not None and "total" in r.answer.timings:
        return float(r.answer.timings["total"])
    return float(r.elapsed) if r.elapsed else None


def first_token_seconds(r: QuestionResult) -> float | None:
    if r.answer is None:
        return None
    t = r.answer.timings.get("first_token")  # absent when nothing was generated (extractive, weak evidence)
    return float(t) if t is not None else None


class LatencyP(PercentileMetric):
    family = "latency"
    unit = "s"

    def __init__(self, q: float):
        self.q = q
        self.name = f"latency_p{int(q)}"
        self.label = f"latency p{int(q)}"

    def value(self, r):
        return total_seconds(r)


class FirstTokenP(PercentileMetric):
    family = "latency"
    unit = "s"
    modes = ANSWER_MODES

    def __init__(self, q: float):
        self.q = q
        self.name = f"first_token_p{int(q)}"
        self.label = f"first token p{int(q)}"

    def value(self, r):
        return first_token_seconds(r)


class Tokens(Metric):
    family = "latency"
    fraction = False
    gate = False
    higher_is_better = False
    unit = "tokens"
    modes = ANSWER_MODES

    def __init__(self, which: str):
        self.which = which
        self.name = f"tokens_{which}"
        self.label = f"tokens {which} (mean)"

    def value(self, r):
        if r.answer is None:
            return None
        n = r.answer.tokens_in if self.which == "in" else r.answer.tokens_out
        return float(n) if n else None


METRICS: list[Metric] = [LatencyP(50), LatencyP(95), FirstTokenP(50), FirstTokenP(95), Tokens("in"), Tokens("out")]
