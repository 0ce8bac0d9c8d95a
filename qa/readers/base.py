"""The one reader interface.

A reader gets the question and the passages the chain chose, and returns a `Reading`: candidate spans (best
first), each located in a passage, and how strongly the reader believes the passages do not answer at all. The
refusal policy (qa/refusal.py, ``RefusalPolicy``) is the only place that turns ``no_answer_margin`` into a refusal.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from articleqa.types import Passage


@dataclass(frozen=True)
class Candidate:
    text: str  # the span as the passage writes it
    passage_index: int  # 0-based, in the passages given to read()
    start: int  # character span in that passage's chunk text
    end: int
    score: float  # reader-specific; comparable only within one Reading


@dataclass
class Reading:
    reader: str
    candidates: list[Candidate] = field(default_factory=list)
    # Best span score minus the no-answer score (logits for the span reader): below the policy's threshold the
    # reader says "no answer". None when the reader has no such score (a generator that wrote a span).
    answer_margin: float | None = None

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


@runtime_checkable
class Reader(Protocol):
    name: str

    def read(self, question: str, passages: list[Passage]) -> Reading:
        """Candidate spans for ``question`` from ``passages`` (see `Reading`)."""
        ...
