"""Retrieval quality: hit@k and MRR@10 over strict hits (see `evidence.chunk_is_hit`).

Computed on ``QuestionResult.retrieved`` (the harness calls ``assistant.retrieve(question, k=10)`` in every mode).
Unanswerable questions have no gold evidence and are skipped.
"""
from __future__ import annotations

from .base import Metric, QuestionResult
from .evidence import first_hit_rank

KS = (1, 3, 5, 10)


class _RetrievalMetric(Metric):
    family = "retrieval"

    def value(self, r: QuestionResult) -> float | None:
        if not r.answerable or not r.answers:
            return None
        return self.from_rank(first_hit_rank(r))

    def from_rank(self, rank: int | None) -> float:
        raise NotImplementedError


class HitAt(_RetrievalMetric):
    def __init__(self, k: int):
        self.k = k
        self.name = f"hit@{k}"
        self.label = f"hit@{k}"

    def from_rank(self, rank):
        return 1.0 if rank is not None and rank <= self.k else 0.0


class MRR(_RetrievalMetric):
    def __init__(self, k: int = 10):
        self.k = k
        self.name = f"mrr@{k}"
        self.label = f"MRR@{k}"

    def from_rank(self, rank):
        return 1.0 / rank if rank is not None and rank <= self.k else 0.0


METRICS: list[Metric] = [*(HitAt(k) for k in KS), MRR(10)]
