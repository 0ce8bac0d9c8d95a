"""Sentence scoring: which sentences of the passages match the question. The refusal gates, the order of the
context passages and the local model's evidence sentences are built on it (extractive answers come from the span
reader, qa/readers/span.py). A sentence's score is its lexical overlap with the question (jieba words after Simplified
conversion, English words; each shared token weighted by its length and its rarity among the candidate sentences,
digits counted double) plus a share of its
passage's retrieval score. Questions ask about something the sentence must name, so overlap dominates.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from articleqa.settings import AnswerSettings, Settings
from articleqa.text import has_cjk
from articleqa.types import Passage
from qa.citations import Sentence, split_sentences

# The weights (retrieval_weight, dense_weight, weak_lexical, figure_bonus, context_rank_weight, min_sentence_chars)
# live in `articleqa.settings.AnswerSettings`.

# Question words that every candidate sentence lacks anyway; they only add noise to overlap.
_QUESTION_WORDS = frozenset(
    "什么 什么样 哪 哪个 哪些 哪里 哪一年 哪年 谁 多少 几 几年 何时 何 如何 怎么 怎样 为什么 为何 是否 吗 呢 的 了 是 在 "
    "有 和 与 及 年 时候 是什么 什么时候 多 大 how many much what when where which who whom why does did is are was "
    "were the of in on to".split()
)


def _tokens(text: str) -> list[str]:
    from qa.retrieval.keyword import tokenize

    return [t for t in tokenize(text) if t not in _QUESTION_WORDS and not re.fullmatch(r"\W+", t)]


_CLAUSE = re.compile(r"[,，;；:：、]")
# Questions whose answer must be a number or a year (the figure gate, `qa.refusal.missing_asked_figure`) ...
_ASKS_NUMBER = (r"\bhow (?:many|much)\b|\b(?:what|which) year\b|\bin what year\b|"
                r"多少|几[个年次位名人岁]|哪一年|哪年|几年|何年")
# ... and, more broadly, those asking for any figure or date (the extractive score's figure_bonus). English and
# Chinese, matched after Simplified conversion and lower-casing.
_ASKS_FIGURE = (r"\bhow (?:many|much|long|old|far|big|large|often)\b|"
                r"\bwhat (?:year|percentage|percent|date|amount)\b|\bwhen\b|\bwhich year\b|"
                r"多少|几|哪一年|哪年|何时|什么时候|哪一天|哪天|日期|比例|百分之")
_ASKS = {True: re.compile(_ASKS_NUMBER), False: re.compile(f"{_ASKS_NUMBER}|{_ASKS_FIGURE}")}
_FIGURE = re.compile(r"\d|[一二两三四五六七八九十][十百千万亿]|[十百千][万亿]")


def asks_for_figure(question: str, number_only: bool = False) -> bool:
    """The question asks for a figure or a date; with ``number_only``, for a number or a year."""
    from articleqa.text import normalize_for_match

    return bool(_ASKS[number_only].search(normalize_for_match(question)))


def _weight(tok: str) -> float:
    if tok.isdigit() or re.fullmatch(r"\d+(?:\.\d+)?", tok):
        return 2.0
    return float(min(len(tok), 4)) if has_cjk(tok) else 1.5


@dataclass
class Scored:
    score: float
    passage_index: int  # 0-based in the passages given
    start: int  # span in the passage's chunk text
    end: int
    text: str
    retrieval: float = 0.0  # the passage's normalised retrieval score
    lexical: float = 0.0  # overlap with the question alone (0..1)


def score_sentences(question: str, passages: list[Passage], cfg: AnswerSettings | None = None) -> list[Scored]:
    """Every sentence of ``passages``, scored against ``question``, best first.

    Shared tokens are weighted by length and by rarity among the candidate sentences (a word every sentence has,
    like the article's subject, says little about which sentence answers)."""
    cfg = cfg or AnswerSettings()
    q = set(_tokens(question))
    scores = [p.score for p in passages]
    lo, hi = (min(scores), max(scores)) if scores else (0.0, 0.0)
    cands: list[tuple[int, float, Sentence, set[str]]] = []
    for i, p in enumerate(passages):
        ret = (p.score - lo) / (hi - lo) if hi > lo else 1.0
        for s in split_sentences(p.chunk.text):
            if len(re.findall(r"\w", s.text)) < cfg.min_sentence_chars:
                continue
            cands.append((i, ret, s, set(_tokens(s.text))))
    bonus = cfg.figure_bonus if asks_for_figure(question) else 0.0
    n = len(cands)
    df = {t: sum(1 for c in cands if t in c[3]) for t in q}
    idf = {t: math.log(1.0 + n / (df[t] or 0.5)) if n else 1.0 for t in q}
    q_total = sum(_weight(t) * idf[t] for t in q) or 1.0
    out: list[Scored] = []
    for i, ret, s, toks in cands:
        lex = sum(_weight(t) * idf[t] for t in q & toks) / q_total
        extra = bonus if bonus and _FIGURE.search(s.text) else 0.0
        out.append(Scored(lex + extra + cfg.retrieval_weight * ret, i, s.start, s.end, s.text, ret, lex))
    out.sort(key=lambda x: (-x.score, x.passage_index, x.start))
    return out


def lexical_support(question: str, passages: list[Passage], cfg: AnswerSettings | None = None) -> float:
    """The best sentence's lexical overlap with the question (0..1, retrieval score left out)."""
    ranked = score_sentences(question, passages, cfg)
    return max((r.lexical for r in ranked), default=0.0)


def order_for_context(question: str, passages: list[Passage], n: int,
                      cfg: AnswerSettings | None = None) -> list[Passage]:
    """``passages`` reordered so that the ``n`` given to the model come first: by the best sentence's lexical
    overlap with the question plus a share of the retrieval rank. Whole-chunk retrieval over one article's chunks
    scores them all alike; the one sentence that names what the question asks separates them. Questions whose words
    the passages do not share (another language) keep the retrieval order."""
    cfg = cfg or AnswerSettings()
    if len(passages) <= n:
        return list(passages)
    ranked = score_sentences(question, passages, cfg)
    best: dict[int, float] = {}
    for r in ranked:
        best[r.passage_index] = max(best.get(r.passage_index, 0.0), r.lexical)
    if max(best.values(), default=0.0) < cfg.weak_lexical:
        return list(passages)
    m = len(passages)
    key = {i: best.get(i, 0.0) + cfg.context_rank_weight * (1 - i / m) for i in range(m)}
    order = sorted(range(m), key=lambda i: (-key[i], i))
    head = sorted(order[:n], key=lambda i: (-key[i], i))
    return [passages[i] for i in head] + [passages[i] for i in range(m) if i not in head]


def add_dense(question: str, ranked: list[Scored], embedder, weight: float,
              min_clause_chars: int) -> list[Scored]:
    """Re-score by e5 cosine between the question and the sentence's best clause (for questions that share no
    words with the passages, e.g. English about Chinese text; a whole long sentence dilutes the one clause that
    matches)."""
    import numpy as np

    from articleqa.models.embedder import embed_passages, embed_query

    clauses: list[tuple[int, str]] = []
    for i, r in enumerate(ranked):
        parts = [c.strip() for c in _CLAUSE.split(r.text) if len(c.strip()) >= min_clause_chars] or [r.text]
        clauses.extend((i, c) for c in parts)
    q = embed_query(embedder, question)
    sims = np.asarray(embed_passages(embedder, [c for _, c in clauses])) @ np.asarray(q)
    best = [-1.0] * len(ranked)
    for (i, _), sim in zip(clauses, sims):
        best[i] = max(best[i], float(sim))
    lo, hi = min(best), max(best)
    for r, sim in zip(ranked, best):
        r.score += weight * ((sim - lo) / (hi - lo) if hi > lo else 0.0)
    ranked.sort(key=lambda x: (-x.score, x.passage_index, x.start))
    return ranked


def rank_sentences(question: str, passages: list[Passage], cfg: AnswerSettings, embedder=None) -> list[Scored]:
    """`score_sentences`, re-scored by e5 cosine when the best lexical overlap is below ``cfg.weak_lexical``, each
    sentence once: chunks overlap by a sentence, and the copy in the better passage is kept (a sentence quoted or
    numbered twice wastes the answer and the model's evidence budget)."""
    ranked = score_sentences(question, passages, cfg)
    if embedder is not None and ranked and max(r.lexical for r in ranked) < cfg.weak_lexical:
        ranked = add_dense(question, ranked, embedder, cfg.dense_weight, cfg.min_clause_chars)
    seen: set[str] = set()
    unique: list[Scored] = []
    for r in ranked:
        key = " ".join(r.text.split())
        if key not in seen:
            seen.add(key)
            unique.append(r)
    return unique


def question_coverage(question: str, passages: list[Passage]) -> float:
    """Weighted share (0..1) of the question's content words found anywhere in ``passages``: a near-miss question
    (about the subject, asking for a fact the articles lack) names things no passage mentions (「員工」, "headquarters")."""
    q = set(_tokens(question))
    if not q:
        return 1.0
    seen: set[str] = set()
    for p in passages:
        seen.update(_tokens(p.chunk.text))
        seen.update(_tokens(p.title or ""))
    total = sum(_weight(t) for t in q)
    return sum(_weight(t) for t in q if t in seen) / total


def with_sentence_match(question: str, passages: list[Passage], candidates: list, weight: float,
                        settings: Settings, embedder=None) -> list:
    """Each candidate's score plus ``weight`` times how well its sentence matches the question: the word overlap
    (``qa.extractive.score_sentences``, 0..1), or, when no sentence shares enough words with the question (another
    language: an English question over Chinese text), the e5 similarity of the sentence's best clause, scaled 0..1
    over the sentences (``qa.extractive.add_dense``). The reader alone often takes a figure of the right kind from
    the sentence next to the one the question is about (「2013年」 for 「京東白條是什麼時候推出的?」)."""
    from dataclasses import replace

    ranked = score_sentences(question, passages, settings.answer)
    match = {id(x): x.lexical for x in ranked}
    if embedder is not None and ranked and max(x.lexical for x in ranked) < settings.answer.weak_lexical:
        before = {id(x): x.score for x in ranked}
        ranked = add_dense(question, ranked, embedder, 1.0, settings.answer.min_clause_chars)
        match = {id(x): x.score - before[id(x)] for x in ranked}
    out = []
    for c in candidates:
        m = max((match[id(x)] for x in ranked if x.passage_index == c.passage_index and x.start <= c.start < x.end),
                default=0.0)
        out.append(replace(c, score=c.score + weight * m))
    return out


def with_passage_order(candidates: list, reader) -> list:
    """Each candidate's score plus ``reader.passage_weight`` for its passage's place in the context order (the
    first passage the full weight, the last of n a share 1/n of it)."""
    from dataclasses import replace

    w, n = reader.passage_weight, reader.passages
    if not w:
        return list(candidates)
    return [replace(c, score=c.score + w * (n - c.passage_index) / n) for c in candidates]


_YEAR_ASKED = re.compile(r"哪一?年|何年|幾年|几年|什麼年份|什么年份|\b(?:what|which) year\b", re.I)
_FINER_DATE = {"年": re.compile(r"\s?(?:\d{1,2}|[一二三四五六七八九十]{1,3})月(?:\s?(?:\d{1,2}|[一二三四五六七八九十]{1,3})[日號号])?"),
               "月": re.compile(r"\s?(?:\d{1,2}|[一二三四五六七八九十]{1,3})[日號号]")}


def with_whole_dates(question: str, candidates: list, passages: list) -> list:
    """A date span the reader cut at the year (or the month) while its passage goes on with the month (or the
    day) is widened to the whole date: 「2014年」 -> 「2014年2月」 for 「京東白條是什麼時候推出的?」. Not when the
    question asks for a year (「哪一年」, "which year")."""
    from dataclasses import replace

    if _YEAR_ASKED.search(question or ""):
        return list(candidates)
    out = []
    for c in candidates:
        unit = c.text[-1:] if c.text and re.search(r"\d[年月]$|[一二三四五六七八九十][年月]$", c.text) else ""
        text = passages[c.passage_index].chunk.text if unit and c.passage_index < len(passages) else ""
        m = _FINER_DATE[unit].match(text, c.end) if text and text[c.start:c.end] == c.text else None
        out.append(replace(c, text=text[c.start:m.end()], end=m.end()) if m else c)
    return out
