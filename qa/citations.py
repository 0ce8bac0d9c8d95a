"""Citation markers in answers: parse [n] / 【n】 / [1, 2], drop citations of passages that were not given, and map
each marker to the passage sentence that supports it, with its character span in the article's cleaned text."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from articleqa.text import normalize_for_match
from articleqa.types import Citation, Passage

# [1] [1, 2] [1][2] 【1】 ［1］ (full-width brackets too); numbers of one or two digits.
MARKER_RE = re.compile(r"\s*[\[【［]\s*(\d{1,2}(?:\s*[,，、]\s*\d{1,2})*)\s*[\]】］]")
_SPLIT_NUMS = re.compile(r"\d+")
_PLACEHOLDER = re.compile(r"[\[【]\s*(?:n|N|x|X|数字|數字)\s*[\]】]")  # "[n]" copied from an instruction
# Sentence ends: Chinese and ASCII terminators, an English period followed by space or the end, line breaks.
_TERMINATOR = re.compile(r"[。！？!?；;]+|\.(?=\s|$)|\n+")
_CLOSERS = "」』”’\"')）]】"
_WORD = re.compile(r"[a-z]+|\d+(?:\.\d+)?")

# Support needed before an uncited answer sentence is attributed to a passage (weighted token recall).
MIN_SUPPORT = 0.5


@dataclass
class Sentence:
    start: int
    end: int
    text: str
    cites: list[int] = field(default_factory=list)


def marker_numbers(text: str) -> list[int]:
    """Every cited passage number, in order of first appearance."""
    seen: list[int] = []
    for m in MARKER_RE.finditer(text):
        for n in _SPLIT_NUMS.findall(m.group(1)):
            if int(n) not in seen:
                seen.append(int(n))
    return seen


def strip_markers(text: str) -> str:
    return MARKER_RE.sub("", text)


def normalize_markers(text: str, n_given: int) -> tuple[str, list[int]]:
    """Rewrite every marker group as [a][b], keeping only 1..n_given. Returns (text, removed numbers)."""
    removed: list[int] = []

    def repl(m: re.Match) -> str:
        keep: list[int] = []
        for s in _SPLIT_NUMS.findall(m.group(1)):
            n = int(s)
            if 1 <= n <= n_given:
                if n not in keep:
                    keep.append(n)
            elif n not in removed:
                removed.append(n)
        if not keep:
            return ""
        lead = m.group(0)[: len(m.group(0)) - len(m.group(0).lstrip())]
        return lead + "".join(f"[{n}]" for n in keep)

    out = MARKER_RE.sub(repl, _PLACEHOLDER.sub("", text))
    # "[1][1]" from adjacent groups citing the same passage
    out = re.sub(r"(\[(\d+)\])(?:\[\2\])+", r"\1", out)
    return out, removed


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
            spans.append(Sentence(s, e, seg, marker_numbers(seg)))
        pos = max(end, pos + 1)
    return spans


def match_tokens(text: str) -> Counter:
    """Weighted tokens for overlap: Chinese character bigrams (and single characters, lightly), English words,
    numbers (heavily). Compared after Simplified conversion and width folding."""
    t = normalize_for_match(strip_markers(text))
    weights: Counter = Counter()
    for run in re.findall(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+", t):
        for ch in run:
            weights[ch] = max(weights[ch], 0.25)
        for i in range(len(run) - 1):
            weights[run[i : i + 2]] = 1.0
    for w in _WORD.findall(t):
        if w[0].isdigit():
            weights[w] = 3.0
        elif len(w) > 2 and w not in _EN_STOP:
            weights[w] = 1.0
    return weights


_EN_STOP = frozenset(
    "the and for are was were has have had with that this from its his her their they them what when where which "
    "who whom how why does did not but into about than then there been being also such only over".split()
)


def support(claim: Counter, evidence: Counter) -> float:
    """Weighted share of ``claim``'s tokens found in ``evidence`` (0..1)."""
    total = sum(claim.values())
    if not total:
        return 0.0
    return sum(w for tok, w in claim.items() if tok in evidence) / total


def best_sentence(passage_text: str, target: Counter) -> tuple[int, int, float]:
    """(start, end, score) of the passage sentence that best supports ``target``; ties go to the shorter one."""
    best: tuple[float, int, int, int] | None = None
    for s in split_sentences(passage_text):
        toks = match_tokens(s.text)
        score = support(target, toks)
        key = (score, -len(s.text))
        if best is None or key > (best[0], best[3]):
            best = (score, s.start, s.end, -len(s.text))
    if best is None:
        return 0, len(passage_text), 0.0
    return best[1], best[2], best[0]


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
    )


@dataclass
class CitedAnswer:
    text: str
    citations: list[Citation]
    removed: list[int]  # out-of-range markers that were dropped
    added: list[int]  # markers attached to uncited sentences


def attach_missing(sentences: list[Sentence], passages: list[Passage]) -> dict[int, int]:
    """For each uncited sentence (by index), the best-supporting passage number, if any passes MIN_SUPPORT."""
    ptoks = [match_tokens(p.chunk.text) for p in passages]
    out: dict[int, int] = {}
    for i, s in enumerate(sentences):
        if s.cites:
            continue
        toks = match_tokens(s.text)
        if not toks:
            continue
        scores = [support(toks, pt) for pt in ptoks]
        if scores and max(scores) >= MIN_SUPPORT:
            out[i] = scores.index(max(scores)) + 1
    return out


def build_citations(answer_text: str, passages: list[Passage], question: str = "") -> CitedAnswer:
    """Normalise markers, cite uncited sentences where a given passage supports them, and build one Citation per
    cited passage number, quoting the passage sentence that best matches the answer sentences citing it."""
    text, removed = normalize_markers(answer_text, len(passages))
    sentences = split_sentences(text)
    missing = attach_missing(sentences, passages)
    added: list[int] = []
    if missing:
        parts: list[str] = []
        last = 0
        for i, s in enumerate(sentences):
            if i in missing:
                n = missing[i]
                body = s.text
                # put the marker before a final terminator: "...盈利[1]。"
                m = re.search(r"[。！？!?；;.]+[」』”’\"')）]*$", body)
                if m:
                    body = body[: m.start()] + f"[{n}]" + body[m.start() :]
                else:
                    body = body + f"[{n}]"
                parts.append(text[last : s.start] + body)
                last = s.end
                added.append(n)
        parts.append(text[last:])
        text = "".join(parts)
        sentences = split_sentences(text)

    q_toks = match_tokens(question) if question else Counter()
    targets: dict[int, Counter] = {}
    for s in sentences:
        toks = match_tokens(s.text)
        for n in s.cites:
            targets.setdefault(n, Counter()).update(toks)
    citations: list[Citation] = []
    for n in sorted(targets):
        target = targets[n]
        if not sum(target.values()) and q_toks:
            target = q_toks
        # the question breaks ties between sentences that match the answer equally (a light weight)
        for tok, w in q_toks.items():
            target[tok] += 0.1 * w
        passage = passages[n - 1]
        start, end, _ = best_sentence(passage.chunk.text, target)
        citations.append(make_citation(n, passage, start, end))
    return CitedAnswer(text=text, citations=citations, removed=removed, added=added)
