"""What every metric shares: the per-question input (`QuestionResult`) and the `Metric` base.

A metric turns one `QuestionResult` into a number, or `None` where it does not apply (e.g. exact match on an
unanswerable question, or citation precision for an answer with no citations). Aggregation defaults to the mean
of the applicable values; percentile metrics override it. `aggregate_many` aggregates each row of a matrix of
resamples at once, which is what the bootstrap needs.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from articleqa.text import detect_lang
from articleqa.types import Answer, Passage

MODES = ("llm", "extractive", "retrieval")
ANSWER_MODES = ("llm", "extractive")


@dataclass
class QuestionResult:
    """One question as asked: the gold record, what came back, and where the gold evidence lies."""

    qid: str
    question: str
    lang: str  # zh-Hant | zh-Hans | en
    answers: list[str]  # every accepted gold answer (empty for unanswerable questions)
    answerable: bool = True
    article_id: str = ""  # gold article id as the dataset names it
    context: str = ""  # gold paragraph (an exact substring of the article text)
    evidence: str = ""  # optional narrower evidence string (seed questions)
    mode: str = "retrieval"  # llm | extractive | retrieval
    gold_article_id: str | None = None  # the gold article's id in the index (None: not in the index)
    gold_span: tuple[int, int] | None = None  # the context's character span in that article's text
    answer: Answer | None = None  # None in retrieval mode, or when asking raised
    retrieved: list[Passage] = field(default_factory=list)  # retrieve(question, k=10), best first
    elapsed: float = 0.0  # wall seconds the harness measured for this question
    error: str = ""
    values: dict[str, float | None] = field(default_factory=dict)  # filled by the harness: metric name -> value
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)  # metrics' shared work

    @property
    def answer_text(self) -> str:
        return self.answer.text if self.answer is not None else ""

    @property
    def short_text(self) -> str:
        """What answer-match metrics score: the short answer when the assistant gave one, else the answer text
        without citation markers."""
        if self.answer is None:
            return ""
        short = getattr(self.answer, "short_answer", "") or ""
        return short if short else re.sub(r"\s*[\[【]\s*\d+(?:\s*[,，、]\s*\d+)*\s*[\]】]", "", self.answer.text)

    @property
    def gold_located(self) -> bool:
        """The set names where the gold evidence is (an article id or a gold paragraph)."""
        return bool(self.article_id or self.context)

    @property
    def refused(self) -> bool:
        return bool(self.answer is not None and self.answer.refused)

    @property
    def passages(self) -> list[Passage]:
        """The passages the answer was built from (falls back to the retrieval list)."""
        if self.answer is not None and self.answer.passages:
            return self.answer.passages
        return self.retrieved

    @classmethod
    def from_record(cls, rec: dict[str, Any], mode: str = "retrieval") -> "QuestionResult":
        """A result shell from one line of the shared questions JSONL format."""
        answers = [a for a in rec.get("answers") or [] if isinstance(a, str)]
        answerable = rec.get("answerable")
        if answerable is None:
            answerable = bool(answers)
        question = str(rec.get("question", ""))
        return cls(
            qid=str(rec.get("id", "")),
            question=question,
            lang=str(rec.get("lang") or detect_lang(question)),
            answers=answers,
            answerable=bool(answerable),
            article_id=str(rec.get("article_id") or ""),
            context=str(rec.get("context") or ""),
            evidence=str(rec.get("evidence") or ""),
            mode=mode,
        )


class Metric:
    """A named per-question value with an aggregate. Subclasses set the class attributes and `value`."""

    name: str = ""
    label: str = ""  # human-readable, for reports
    family: str = ""  # the file it lives in: answer_match, retrieval, citations, ...
    higher_is_better: bool = True
    gate: bool = True  # compare.py fails a run when this metric regresses beyond its CI
    fraction: bool = True  # values lie in [0, 1] (plotted on the metrics chart)
    unit: str = ""
    modes: tuple[str, ...] = MODES

    def applies_to(self, mode: str) -> bool:
        return mode in self.modes

    def value(self, r: QuestionResult) -> float | None:
        raise NotImplementedError

    def aggregate(self, values: Sequence[float]) -> float | None:
        if len(values) == 0:
            return None
        return float(np.mean(np.asarray(values, dtype=float)))

    def aggregate_many(self, matrix: np.ndarray) -> np.ndarray:
        """Aggregate each row of a (resamples x n) matrix."""
        return matrix.mean(axis=1)

    def describe(self) -> dict[str, Any]:
        return {
            "label": self.label or self.name,
            "family": self.family,
            "higher_is_better": self.higher_is_better,
            "gate": self.gate,
            "fraction": self.fraction,
            "unit": self.unit,
        }

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"<{type(self).__name__} {self.name}>"


class PercentileMetric(Metric):
    """Aggregates with a percentile (linear interpolation, as numpy's default) instead of the mean."""

    q: float = 50.0
    fraction = False
    gate = False  # timings vary with the machine; compare reports them but does not fail on them
    higher_is_better = False

    def aggregate(self, values: Sequence[float]) -> float | None:
        if len(values) == 0:
            return None
        return float(np.percentile(np.asarray(values, dtype=float), self.q))

    def aggregate_many(self, matrix: np.ndarray) -> np.ndarray:
        return np.percentile(matrix, self.q, axis=1)


def ratio(flag: bool) -> float:
    return 1.0 if flag else 0.0
