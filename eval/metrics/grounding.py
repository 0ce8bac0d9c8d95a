"""Grounding: figures in answers that no source supports, and fallbacks taken.

- ``ungrounded_figures``: over non-refused answers, 1 when the answer states a figure found in none of the
  passages it was given (nor in the question, which it may repeat). The judge is eval's own extractor
  (`eval.metrics.figures`), which does not import ``qa``: "0 invented figures" is a measurement of the product's
  grounding check, not the check agreeing with itself.
- ``fallback_rate``: over all answers, 1 when the assistant noted a fallback (``Answer.notes`` non-empty) or
  answered in another mode than the one asked for (an LLM run that came back extractive).
"""
from __future__ import annotations

from typing import Callable

from articleqa.types import Passage

from .base import ANSWER_MODES, Metric, QuestionResult
from .figures import unsupported

CHECKER = "eval.metrics.figures"


def _sources(passages: list[Passage], question: str) -> list[str]:
    return [p.chunk.text for p in passages] + [p.title for p in passages] + [question]


def checker() -> tuple[str, Callable[[str, list[Passage]], list[str]]]:
    """(name, function(answer_text, passages) -> unsupported figures): eval's own, independent of qa."""
    return CHECKER, lambda text, passages: unsupported(text, _sources(passages, ""))


def unsupported_in(r: QuestionResult) -> list[str]:
    key = "unsupported_figures"
    if key not in r.cache:
        r.cache[key] = unsupported(r.answer_text, _sources(r.passages, r.question))
    return r.cache[key]


class UngroundedFigures(Metric):
    name = "ungrounded_figures"
    label = "answers with an unsupported figure"
    family = "grounding"
    higher_is_better = False
    modes = ANSWER_MODES

    def value(self, r: QuestionResult):
        if r.answer is None or r.refused or not r.answer_text.strip():
            return None
        return 1.0 if unsupported_in(r) else 0.0


class FallbackRate(Metric):
    name = "fallback_rate"
    label = "fallbacks taken"
    family = "grounding"
    higher_is_better = False
    gate = False  # a fallback is a symptom to read about, not a quality score
    modes = ANSWER_MODES

    def value(self, r: QuestionResult):
        if r.answer is None:
            return None
        changed = (r.mode == "llm" and r.answer.mode == "extractive") or (
            r.mode == "extractive" and r.answer.mode != "extractive"
        )
        return 1.0 if (r.answer.notes or changed) else 0.0


METRICS: list[Metric] = [UngroundedFigures(), FallbackRate()]
