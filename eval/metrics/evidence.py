"""Where the gold evidence lies, and whether a chunk holds it. Shared by the retrieval and citation metrics.

A chunk holds the evidence ("strict hit", as in docs/notes' retrieval baseline) when it comes from the gold article,
its character span overlaps the gold context's span in that article, and its text contains a gold answer (both
compared in Simplified script).
"""
from __future__ import annotations

from difflib import SequenceMatcher
from functools import lru_cache
from typing import Iterable, Mapping

from articleqa.text import has_cjk, to_simplified
from articleqa.types import Chunk

from .base import QuestionResult


def find_span(article_text: str, context: str) -> tuple[int, int] | None:
    """The context's span in the article text (it is an exact substring in the shipped data)."""
    if not context or not article_text:
        return None
    i = article_text.find(context)
    if i < 0:
        return None
    return i, i + len(context)


def resolve_gold(
    r: QuestionResult, articles: Mapping[str, str]
) -> tuple[str | None, tuple[int, int] | None]:
    """(index article id, context span) for a question, given the index's article texts by id.

    The question's own ``article_id`` wins when that article holds the context; otherwise the article that holds
    the context exactly (an ingested text file gets an id of the ingester's choosing, e.g. the seed article).
    """
    if r.article_id in articles:
        span = find_span(articles[r.article_id], r.context)
        if span is not None or not r.context:
            return r.article_id, span
    if r.context:
        for aid, text in articles.items():
            span = find_span(text, r.context)
            if span is not None:
                return aid, span
    if r.article_id in articles:
        return r.article_id, None
    return None, None


@lru_cache(maxsize=8192)
def simp(text: str) -> str:
    """Simplified script (cached: the same chunks come back for many questions; OpenCC is slow in Python)."""
    return to_simplified(text) if text and has_cjk(text) else text


def simplified_contains(text: str, answers: Iterable[str]) -> bool:
    s = simp(text or "")
    return any(a and simp(a) in s for a in answers)


def spans_overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def text_overlaps_context(text: str, context: str, min_chars: int = 12) -> bool:
    """Fallback when the context's span is unknown: the two texts share a run of min(min_chars, len) characters."""
    if not text or not context:
        return False
    a, b = simp(text), simp(context)
    need = min(min_chars, len(a), len(b))
    m = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    return m.size >= need


def overlaps_gold(r: QuestionResult, start: int, end: int, text: str) -> bool:
    if r.gold_span is not None:
        return spans_overlap((start, end), r.gold_span)
    return text_overlaps_context(text, r.context)


def chunk_is_hit(r: QuestionResult, chunk: Chunk) -> bool:
    """Strict hit: gold article, overlaps the gold context, contains a gold answer. A set that names no gold article
    and no gold paragraph (only ``question`` and ``answers``) falls back to: the chunk contains a gold answer."""
    if not r.answerable or not r.answers:
        return False
    if not r.gold_located:
        return simplified_contains(chunk.text, r.answers)
    if r.gold_article_id is None or chunk.article_id != r.gold_article_id:
        return False
    if not r.context:
        return simplified_contains(chunk.text, r.answers)
    return overlaps_gold(r, chunk.start, chunk.end, chunk.text) and simplified_contains(chunk.text, r.answers)


def first_hit_rank(r: QuestionResult) -> int | None:
    """1-based rank of the first strict hit among the retrieved passages, or None (cached on the result)."""
    key = "first_hit_rank"
    if key not in r.cache:
        r.cache[key] = next((i for i, p in enumerate(r.retrieved, start=1) if chunk_is_hit(r, p.chunk)), None)
    return r.cache[key]
