"""Evidence first: the sentences most likely to hold the answer, numbered, instead of whole chunks.

From the passages given to the model, the best ``evidence_sentences`` sentences (`qa.extractive.rank_sentences`:
word overlap with the question weighted by rarity, a share of the retrieval score, e5 cosine for questions in
another language than the passages), plus the sentence before the best ``evidence_neighbours`` of them (it often
names what "it" or 「他」 refers to), within ``evidence_token_budget``, in reading order.
"""
from __future__ import annotations

import re

from articleqa.settings import AnswerSettings
from articleqa.text import count_cjk
from articleqa.types import Passage
from qa.citations import split_sentences
from qa.extractive import rank_sentences
from qa.state import EvidenceSentence


def estimate_tokens(text: str) -> int:
    """About what Qwen's tokenizer makes of it: a CJK character is ~0.7 tokens, other text ~4 characters a token."""
    cjk = count_cjk(text)
    return int(0.7 * cjk + (len(text) - cjk) / 4) + 2


def _neighbour(passages: list[Passage], pi: int, start: int, cfg: AnswerSettings) -> tuple[int, int, str] | None:
    prev = None
    for s in split_sentences(passages[pi].chunk.text):
        if s.start >= start:
            break
        if len(re.findall(r"\w", s.text)) >= cfg.min_sentence_chars:
            prev = (s.start, s.end, s.text)
    return prev


def select_evidence(question: str, passages: list[Passage], cfg: AnswerSettings, embedder=None
                    ) -> list[EvidenceSentence]:
    """The numbered evidence sentences (1-based ``n``, reading order) for ``question`` from ``passages``."""
    ranked = rank_sentences(question, passages, cfg, embedder)
    chosen: dict[tuple[int, int], EvidenceSentence] = {}
    budget = cfg.evidence_token_budget
    for rank, r in enumerate(ranked[: cfg.evidence_sentences]):
        cost = estimate_tokens(r.text)
        if chosen and cost > budget:
            continue
        chosen[(r.passage_index, r.start)] = EvidenceSentence(0, r.passage_index, r.start, r.end, r.text, r.score)
        budget -= cost
        if rank < cfg.evidence_neighbours:
            prev = _neighbour(passages, r.passage_index, r.start, cfg)
            if prev and (r.passage_index, prev[0]) not in chosen and estimate_tokens(prev[2]) <= budget:
                chosen[(r.passage_index, prev[0])] = EvidenceSentence(0, r.passage_index, prev[0], prev[1], prev[2])
                budget -= estimate_tokens(prev[2])
    out = sorted(chosen.values(), key=lambda e: (e.passage_index, e.start))
    for i, e in enumerate(out, 1):
        e.n = i
    return out


def format_evidence(evidence: list[EvidenceSentence], passages: list[Passage]) -> str:
    """Numbered sentences grouped under their article's title: "《title》\\n[1] ...\\n[2] ..."."""
    lines: list[str] = []
    last_title = None
    for e in evidence:
        title = " ".join((passages[e.passage_index].title or "").split())
        if title and title != last_title:
            lines.append(f"《{title}》")
            last_title = title
        lines.append(f"[{e.n}] {' '.join(e.text.split())}")
    return "\n".join(lines)
