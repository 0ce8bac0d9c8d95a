"""Sentences and citations: split a passage into sentences with their spans, strip [n] / 【n】 / [1, 2] markers, and
build the `Citation` of a passage sentence with its character span in the article's cleaned text."""
from __future__ import annotations

import re
from dataclasses import dataclass

from articleqa.types import Citation, Passage

# [1] [1, 2] [1][2] 【1】 ［1］ (full-width brackets too); numbers of one or two digits.
MARKER_RE = re.compile(r"\s*[\[【［]\s*(\d{1,2}(?:\s*[,，、]\s*\d{1,2})*)\s*[\]】］]")
# Sentence ends: Chinese and ASCII terminators, an English period followed by space or the end, line breaks.
_TERMINATOR = re.compile(r"[。！？!?；;]+|\.(?=\s|$)|\n+")
_CLOSERS = "」』”’\"')）]】"


@dataclass
class Sentence:
    start: int
    end: int
    text: str


def strip_markers(text: str) -> str:
    return MARKER_RE.sub("", text)


def split_sentences(text: str) -> list[Sentence]:
    """Sentences with their spans in ``text``. A sentence keeps its closing quotes and the citation markers that
    follow its terminator ("...盈利。[1]"); leading and trailing white space is outside the span."""
    spans: list[Sentence] = []
    pos = 0
    n = len(text)
    while pos < n:
        m = _TERMINATOR.search(text, pos)
        end = m.end() if m else n
        while end < n and text[end] in _CLOSERS and not MARKER_RE.match(text, end):
            end += 1
        while True:  # markers right after the terminator belong to this sentence
            mm = MARKER_RE.match(text, end)
            if not mm:
                break
            end = mm.end()
        s, e = pos, end
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            seg = text[s:e]
            spans.append(Sentence(s, e, seg))
        pos = max(end, pos + 1)
    return spans


def make_citation(n: int, passage: Passage, start: int, end: int) -> Citation:
    """A citation of ``passage`` (numbered ``n`` in the prompt) quoting ``passage.chunk.text[start:end]``."""
    ch = passage.chunk
    return Citation(
        n=n,
        article_id=ch.article_id,
        title=passage.title,
        chunk_id=ch.id,
        quote=ch.text[start:end],
        start=ch.start + start,
        end=ch.start + end,
        source=passage.source,
        lang=passage.lang,
    )
