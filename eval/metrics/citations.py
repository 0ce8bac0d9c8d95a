"""Citation quality of answers.

A citation is *correct* when the passage it cites holds the evidence: it comes from the gold article and either
overlaps the gold context's span or contains a gold answer. The cited passage is looked up by chunk id among the
answer's passages (then the retrieval list); failing that, the citation's own quote span and text are used.

- precision: correct citations / citations, over answers that cite anything;
- recall: 1 when the gold evidence is cited at all, over answerable questions (a refusal or an uncited answer
  scores 0);
- cited: share of non-refused answers to answerable questions that carry at least one citation.
"""
from __future__ import annotations

from articleqa.types import Citation

from .base import ANSWER_MODES, Metric, QuestionResult
from .evidence import overlaps_gold, simplified_contains


def citation_is_correct(r: QuestionResult, c: Citation) -> bool:
    """Without a named gold article or paragraph, a citation is correct when its quote holds a gold answer."""
    if not r.gold_located:
        return simplified_contains(c.quote, r.answers)
    if r.gold_article_id is None or c.article_id != r.gold_article_id:
        return False
    chunk = None
    for p in [*(r.answer.passages if r.answer else []), *r.retrieved]:
        if p.chunk.id == c.chunk_id:
            chunk = p.chunk
            break
    if chunk is not None:
        start, end, text = chunk.start, chunk.end, chunk.text
    else:
        start, end, text = c.start, c.end, c.quote
    if overlaps_gold(r, start, end, text):
        return True
    return simplified_contains(text, r.answers)


def _judged(r: QuestionResult) -> list[bool]:
    key = "citations_correct"
    if key not in r.cache:
        cites = r.answer.citations if r.answer is not None else []
        r.cache[key] = [citation_is_correct(r, c) for c in cites]
    return r.cache[key]


class CitationPrecision(Metric):
    name = "citation_precision"
    label = "citation precision"
    family = "citations"
    modes = ANSWER_MODES

    def value(self, r):
        if not r.answerable or r.answer is None or r.refused or not r.answer.citations:
            return None
        judged = _judged(r)
        return sum(judged) / len(judged)


class CitationRecall(Metric):
    name = "citation_recall"
    label = "citation recall"
    family = "citations"
    modes = ANSWER_MODES

    def value(self, r):
        if not r.answerable or not r.answers:
            return None
        return 1.0 if any(_judged(r)) else 0.0


class Cited(Metric):
    name = "cited"
    label = "answers with a citation"
    family = "citations"
    modes = ANSWER_MODES

    def value(self, r):
        if not r.answerable or r.answer is None or r.refused:
            return None
        return 1.0 if r.answer.citations else 0.0


METRICS: list[Metric] = [CitationPrecision(), CitationRecall(), Cited()]
