"""Refusals: the share of unanswerable questions refused (higher is better) and of answerable ones refused
(false refusals, lower is better). A question whose ask raised counts as not refused."""
from __future__ import annotations

from .base import ANSWER_MODES, Metric, QuestionResult


class RefusalRate(Metric):
    name = "refusal_rate"
    label = "unanswerable refused"
    family = "refusal"
    modes = ANSWER_MODES

    def value(self, r: QuestionResult):
        if r.answerable:
            return None
        return 1.0 if r.refused else 0.0


class FalseRefusalRate(Metric):
    name = "false_refusal_rate"
    label = "answerable refused"
    family = "refusal"
    higher_is_better = False
    modes = ANSWER_MODES

    def value(self, r: QuestionResult):
        if not r.answerable:
            return None
        return 1.0 if r.refused else 0.0


METRICS: list[Metric] = [RefusalRate(), FalseRefusalRate()]
