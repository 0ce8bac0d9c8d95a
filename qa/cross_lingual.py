"""Refusal and reading across languages: each passage is judged against the question *in the passage's language*.

Cross-lingual retrieval (`qa.retrieval.crosslingual`) returns passages of several languages; one found through the
question's translation carries it in ``Passage.search_query`` and its ``dense_score`` is that translation's cosine.
Today's gates read one cosine floor for the question's language and skip the lexical gates across languages, so an
English question whose evidence is a Chinese passage was refused by the English floor, or let through unchecked.
Here:

* `pair_floor`: the cosine floor of one (question language, passage language) pair: the same-language floors for a
  passage in the question's language, ``answer.min_dense_score_en_zh`` / ``_zh_en`` for a passage found through a
  translation (calibrated on ../shared/eval/mlqa-xl/dev by bench/cross_lingual.py), and the old
  ``min_dense_score_cross_lingual`` for one found by the untranslated question.
* `weak_evidence_by_pair`: no passage reaches its own pair's floor.
* `gate_question`: the question the same-language gates (lexical overlap, the asked-for figure) should read: the
  top passage's ``search_query`` when it was found through a translation, else the question.
* `order_for_context_by_language`: the reader's passage order, scoring each passage's sentences against the
  question in that passage's language.
"""
from __future__ import annotations

from articleqa.settings import AnswerSettings, Settings
from articleqa.text import detect_lang
from articleqa.types import Passage


def _group(lang: str) -> str:
    return "zh" if (lang or "").startswith("zh") else "en"


def passage_group(p: Passage) -> str:
    return _group(p.lang or detect_lang(p.chunk.text[:200]))


def is_mixed(passages: list[Passage]) -> bool:
    """Whether cross-lingual retrieval gave these passages (one of them was found through a translation)."""
    return any(p.search_query for p in passages)


def pair_floor(settings: Settings, question: str, p: Passage) -> float:
    """The cosine ``p.dense_score`` must reach for ``p`` to count as evidence for ``question``."""
    a = settings.answer
    q = _group(detect_lang(question))
    g = passage_group(p)
    if g == q:
        return a.min_dense_score if q == "zh" else a.min_dense_score_en
    if p.search_query:
        return a.min_dense_score_en_zh if q == "en" else a.min_dense_score_zh_en
    return a.min_dense_score_cross_lingual


def weak_evidence_by_pair(passages: list[Passage], settings: Settings, question: str) -> bool:
    """True when no passage's cosine reaches its language pair's floor (`pair_floor`)."""
    return not any(p.dense_score is not None and p.dense_score >= pair_floor(settings, question, p)
                   for p in passages)


def pair_margin(settings: Settings, lang: str, passages: list[Passage], best_index: int | None) -> float | None:
    """The reader's no-answer threshold for a span read in a passage found through the question's translation
    (``reader.min_margin_en_zh`` / ``_zh_en``: the reader read it with the translation, and its margins run lower
    there), or None where the same-language threshold applies (no such passage, or the best span elsewhere)."""
    if best_index is None or not 0 <= best_index < len(passages) or not passages[best_index].search_query:
        return None
    r = settings.reader
    return r.min_margin_zh_en if _group(lang) == "zh" else r.min_margin_en_zh


def gate_question(question: str, passages: list[Passage]) -> str:
    """The question as the top passage was found with (its translation), for the same-language gates."""
    if passages and passages[0].search_query:
        return passages[0].search_query
    return question


def order_for_context_by_language(question: str, passages: list[Passage], n: int,
                                  cfg: AnswerSettings | None = None) -> list[Passage]:
    """`qa.extractive.order_for_context` for mixed-language passages: each passage's best sentence is scored
    against the question in its own language (``search_query`` or the question), so an English distractor sharing
    words with an English question does not push out the Chinese passage its translation found."""
    from qa.extractive import order_for_context, score_sentences

    if not is_mixed(passages):
        return order_for_context(question, passages, n, cfg)
    cfg = cfg or AnswerSettings()
    if len(passages) <= n:
        return list(passages)
    best = {i: 0.0 for i in range(len(passages))}
    by_query: dict[str, list[int]] = {}
    for i, p in enumerate(passages):
        by_query.setdefault(p.search_query or question, []).append(i)
    for q, idx in by_query.items():  # each language's passages scored together (word rarity among them)
        for r in score_sentences(q, [passages[i] for i in idx], cfg):
            i = idx[r.passage_index]
            best[i] = max(best[i], r.lexical)
    if max(best.values(), default=0.0) < cfg.weak_lexical:
        return list(passages)
    m = len(passages)
    key = {i: best[i] + cfg.context_rank_weight * (1 - i / m) for i in range(m)}
    head = sorted(sorted(range(m), key=lambda i: (-key[i], i))[:n], key=lambda i: (-key[i], i))
    return [passages[i] for i in head] + [passages[i] for i in range(m) if i not in head]
