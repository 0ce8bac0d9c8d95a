"""Sentence-aware chunking under a tiktoken budget, with exact character spans into ``Article.text``.

Rules (in order of strength):

* A chunk never crosses a heading: each heading starts a new chunk, and the heading itself is recorded in
  ``Chunk.heading`` rather than repeated in the chunk text.
* A chunk never crosses a paragraph boundary, except that *whole* paragraphs are packed together while they
  fit: the next paragraph joins the current chunk only if the chunk holds only whole paragraphs and all of the
  next one fits in the remaining budget.
* Inside a paragraph, whole sentences are packed up to ``settings.chunking.size`` tokens (cl100k_base). The
  next chunk of the same paragraph starts with the last ``settings.chunking.overlap`` sentences of the previous
  one (overlap never crosses a paragraph boundary and is dropped when it would break the budget).
* A sentence is cut only when it alone is over budget: first at clause punctuation (，、：, ; …) then, if a
  clause is still too long, at the longest prefix that fits (found by bisection on characters).

Sentences end at Chinese terminators (。！？；… and the half-width !?; that scraped Chinese text uses), with any
closing quotes/brackets (”’」』）) kept with their sentence, and at English ``.``/``!``/``?`` followed by
white space and a capital, digit, quote or CJK character, except after abbreviations (Mr., Dr., U.S., e.g., single
initials) and never inside numbers (3.6).

``Chunk.text == article.text[chunk.start:chunk.end]`` always holds. The title is not part of the chunk text; the
embedder gets :func:`embedding_text` (title, heading, then the chunk).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from articleqa.types import Article, Chunk

_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
_PARA_SEP = re.compile(r"\n[ \t\r\f\v\u3000]*\n\s*")

# Bump when chunk boundaries change for the same input: indexes record it and refuse a mismatch (--rebuild).
CHUNKER_VERSION = 1

CJK_TERMINATORS = "。！？；…｡"
ASCII_TERMINATORS = "!?;"
CLOSERS = "”’」』）)\"'》〉】〕］]"
# Clause boundaries used to cut a sentence that alone is over budget.
_CLAUSE_END = re.compile(r"[，、：,:;；—]+[”’」』）)]*\s*|\s+")

ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st vs etc no nos inc ltd co corp gen gov sen rep col lt sgt capt cmdr adm maj
    mt ft ave blvd rd jan feb mar apr jun jul aug sep sept oct nov dec fig figs vol vols ed eds al approx dept
    est univ assn bros cf ca op pp""".split()
)


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def _is_cjk(ch: str) -> bool:
    return bool(ch) and bool(_CJK_RE.match(ch))


def paragraph_spans(text: str) -> list[Span]:
    """Spans of the non-blank paragraphs (separated by blank lines), stripped of surrounding white space."""
    spans: list[Span] = []
    pos = 0
    for m in _PARA_SEP.finditer(text):
        _add_stripped(text, pos, m.start(), spans)
        pos = m.end()
    _add_stripped(text, pos, len(text), spans)
    return spans


def _add_stripped(text: str, start: int, end: int, out: list[Span]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append(Span(start, end))


def _abbreviation_before(text: str, dot: int, lo: int) -> bool:
    """True when the '.' at ``dot`` ends an abbreviation (Mr., U.S., e.g., J.) rather than a sentence."""
    i = dot
    while i > lo and not text[i - 1].isspace() and text[i - 1] not in "([{\"'“‘":
        i -= 1
    word = text[i:dot]
    if not word:
        return False
    if "." in word:  # U.S. / e.g. / Ph.D.
        return True
    if len(word) == 1 and word.isalpha():  # an initial: J. K. Rowling
        return True
    return word.lower() in ABBREVIATIONS


def _sentence_end_after(text: str, i: int, hi: int) -> int | None:
    """If a sentence ends with the terminator at ``i``, the index just past it (closers included), else None."""
    ch = text[i]
    j = i + 1
    if ch in CJK_TERMINATORS:
        while j < hi and (text[j] in CJK_TERMINATORS or text[j] in ASCII_TERMINATORS):
            j += 1
        while j < hi and text[j] in CLOSERS:
            j += 1
        return j
    if ch in ASCII_TERMINATORS or ch == ".":
        while j < hi and (text[j] in ".!?;" or text[j] in CJK_TERMINATORS):
            j += 1
        while j < hi and text[j] in CLOSERS:
            j += 1
        if j >= hi:
            return j
        nxt = text[j]
        prev = text[i - 1] if i > 0 else ""
        if ch == ";":
            # A clause separator in English; a sentence end in Chinese text that uses half-width punctuation.
            return j if (_is_cjk(prev) or _is_cjk(nxt)) else None
        if _is_cjk(nxt):
            return j
        if ch in "!?":
            if _is_cjk(prev) or nxt.isspace():
                return j
            return None
        # '.': needs white space then a sentence-like start, and no abbreviation or number before it.
        if not nxt.isspace():
            return None
        k = j
        while k < hi and text[k].isspace():
            k += 1
        if k >= hi:
            return j
        start_ch = text[k]
        if not (start_ch.isupper() or start_ch.isdigit() or start_ch in "\"'“‘([" or _is_cjk(start_ch)):
            return None
        if j == i + 1 and _abbreviation_before(text, i, 0):
            return None
        return j
    return None


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentences of ``text[start:end]`` as spans into ``text`` (white space between sentences excluded)."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    s = start
    i = start
    while i < end:
        ch = text[i]
        if ch in CJK_TERMINATORS or ch in ASCII_TERMINATORS or ch == ".":
            j = _sentence_end_after(text, i, end)
            if j is not None:
                _add_stripped(text, s, j, spans)
                s = j
                i = j
                continue
        i += 1
    _add_stripped(text, s, end, spans)
    return spans


def heading_key(text: str) -> str:
    return " ".join(text.split())


class _Counter:
    def __init__(self, encoding):
        self.encoding = encoding

    def __call__(self, text: str) -> int:
        return len(self.encoding.encode(text, disallowed_special=()))


def _split_long(text: str, span: Span, budget: int, count: _Counter) -> list[Span]:
    """Cut one over-budget sentence into pieces of at most ``budget`` tokens, at clause marks where possible."""
    clauses: list[Span] = []
    s = span.start
    for m in _CLAUSE_END.finditer(text, span.start, span.end):
        if m.end() > s and m.start() > s:
            _add_stripped(text, s, m.end(), clauses)
            s = m.end()
    _add_stripped(text, s, span.end, clauses)
    units: list[Span] = []
    for c in clauses:
        units.extend(_bisect_cut(text, c, budget, count) if count(text[c.start : c.end]) > budget else [c])
    # Pack clauses greedily.
    pieces: list[Span] = []
    cur: Span | None = None
    for u in units:
        if cur is not None and count(text[cur.start : u.end]) <= budget:
            cur = Span(cur.start, u.end)
        else:
            if cur is not None:
                pieces.append(cur)
            cur = u
    if cur is not None:
        pieces.append(cur)
    return pieces


def _bisect_cut(text: str, span: Span, budget: int, count: _Counter) -> list[Span]:
    pieces: list[Span] = []
    s = span.start
    while s < span.end:
        if count(text[s : span.end]) <= budget:
            _add_stripped(text, s, span.end, pieces)
            break
        lo, hi = s + 1, span.end  # largest e in [lo, hi) with count(text[s:e]) <= budget
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if count(text[s:mid]) <= budget:
                lo = mid
            else:
                hi = mid - 1
        e = max(lo, s + 1)
        # Do not cut a surrogate pair or leave only white space.
        _add_stripped(text, s, e, pieces)
        s = e
    return pieces


def chunk_article(article: Article, settings, encoding, headings: Iterable[str] | None = None) -> list[Chunk]:
    """Split ``article.text`` into chunks (see the module docstring for the rules)."""
    text = article.text
    budget = max(8, int(settings.chunking.size))
    overlap = max(0, int(settings.chunking.overlap))
    count = _Counter(encoding)
    heading_set = {heading_key(h) for h in headings or () if h and h.strip()}
    title_key = heading_key(article.title or "")

    # Sections: (heading, [paragraph units]) where each paragraph is a list of sentence-like units within budget.
    sections: list[tuple[str, list[list[Span]]]] = [("", [])]
    for i, p in enumerate(paragraph_spans(text)):
        ptext = text[p.start : p.end]
        key = heading_key(ptext)
        if i == 0 and title_key and key == title_key:
            continue  # the title repeated as the first line of the body
        if key in heading_set:
            sections.append(("" if key == title_key else key, []))
            continue
        units: list[Span] = []
        for s in sentence_spans(text, p.start, p.end):
            if count(text[s.start : s.end]) > budget:
                units.extend(_split_long(text, s, budget, count))
            else:
                units.append(s)
        if units:
            sections[-1][1].append(units)

    chunks: list[Chunk] = []

    def emit(units: list[Span], heading: str) -> None:
        start, end = units[0].start, units[-1].end
        body = text[start:end]
        n = count(body)
        chunks.append(
            Chunk(
                id=f"{article.id}:{len(chunks)}",
                article_id=article.id,
                ordinal=len(chunks),
                text=body,
                start=start,
                end=end,
                heading=heading,
                n_tokens=n,
            )
        )

    def fits(units: list[Span]) -> bool:
        return count(text[units[0].start : units[-1].end]) <= budget

    for heading, paragraphs in sections:
        cur: list[Span] = []
        whole = True  # ``cur`` holds only complete paragraphs
        for para in paragraphs:
            if cur and whole and fits(cur + para):  # pack whole paragraphs together
                cur = cur + para
                continue
            if cur:
                emit(cur, heading)
            cur = []
            whole = True
            for u in para:
                if not cur or fits(cur + [u]):
                    cur.append(u)
                    continue
                emit(cur, heading)
                whole = False
                # Overlap: the last sentences of the chunk just emitted, as many as fit with ``u``.
                carry = cur[-overlap:] if overlap else []
                while carry and not fits(carry + [u]):
                    carry = carry[1:]
                cur = carry + [u]
        if cur:
            emit(cur, heading)
    return chunks


def embedding_text(article: Article, chunk: Chunk) -> str:
    """What the embedder sees for a chunk: title, heading (if any), then the chunk text."""
    parts = [article.title.strip()] if article.title and article.title.strip() else []
    if chunk.heading:
        parts.append(chunk.heading)
    parts.append(chunk.text)
    return "\n".join(parts)
