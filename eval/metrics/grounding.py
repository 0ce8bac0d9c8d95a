"""Grounding: figures in answers that no source supports, and fallbacks taken.

- ``ungrounded_figures``: over non-refused answers, 1 when the answer states a figure found in none of the
  passages it was given (nor in the question, which it may repeat). ``qa.grounding.unsupported_claims`` is the
  judge (figures by value, dates, quoted names), so eval measures what the product checks; ``checker()`` names it
  and reports record it. Should it raise on an answer, eval's own check counts that answer: numbers compared as
  whole tokens after Simplified conversion and width folding, thousands separators removed ("5,000" = "5000"),
  citation markers like ``[1]`` not counted.
- ``fallback_rate``: over all answers, 1 when the assistant noted a fallback (``Answer.notes`` non-empty) or
  answered in another mode than the one asked for (an LLM run that came back extractive).
"""
from __future__ import annotations

import re
from typing import Callable, Iterable

from articleqa.text import fold_width

from articleqa.types import Chunk, Passage

from .base import ANSWER_MODES, Metric, QuestionResult
from .evidence import simp

_MARKER = re.compile(r"[\[【]\s*\d+(?:\s*[,，、]\s*\d+)*\s*[\]】]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def _norm(text: str) -> str:
    return fold_width(simp(text or ""))


def figures(text: str) -> list[str]:
    """Numbers in a text, in order, deduplicated; citation markers removed."""
    out: list[str] = []
    for n in _NUMBER.findall(_MARKER.sub(" ", _norm(text))):
        n = n.replace(",", "")
        if n not in out:
            out.append(n)
    return out


def unsupported_figures_local(answer: str, sources: Iterable[str]) -> list[str]:
    supported: set[str] = set()
    for s in sources:
        supported.update(n.replace(",", "") for n in _NUMBER.findall(_norm(s)))
    return [n for n in figures(answer) if n not in supported]


def _question_passage(question: str) -> Passage:
    return Passage(chunk=Chunk(id="question", article_id="", ordinal=0, text=question, start=0, end=len(question)))


def _qa_checker() -> tuple[str, Callable[[str, list[Passage]], list[str]]]:
    """qa's own checker: ``qa.grounding.unsupported_claims(answer_text, passages) -> [raw claim]``."""
    from qa.grounding import unsupported_claims

    return "qa.grounding.unsupported_claims", unsupported_claims


def _local(answer_text: str, passages: list[Passage]) -> list[str]:
    return unsupported_figures_local(answer_text, [p.chunk.text for p in passages] + [p.title for p in passages])


_checker_cache: dict[str, object] = {}


def checker() -> tuple[str, Callable[[str, list[Passage]], list[str]]]:
    """(name, function(answer_text, passages) -> unsupported figures/claims): qa's checker."""
    if "fn" not in _checker_cache:
        name, fn = _qa_checker()
        _checker_cache["fn"], _checker_cache["name"] = fn, name
    return _checker_cache["name"], _checker_cache["fn"]  # type: ignore[return-value]


def unsupported_in(r: QuestionResult) -> list[str]:
    key = "unsupported_figures"
    if key not in r.cache:
        passages = [*r.passages, _question_passage(r.question)]
        _, fn = checker()
        try:
            found = list(fn(r.answer_text, passages))
        except Exception:  # never lose a run to the checker: fall back to ours
            found = _local(r.answer_text, passages)
        r.cache[key] = [str(x) for x in found]
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
