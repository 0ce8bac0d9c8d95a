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
* `weak_overlap_by_language`: the word-overlap gate for such passages: each passage is compared with the question
  it was found with (its translation, or the question itself for a passage in the question's language).
* `pair_margin`: the reader's no-answer threshold for the passage holding the best span.
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


def pair_margin(settings: Settings, lang: str, passages: list[Passage], best_index: int | None,
                mixed: bool = False) -> float | None:
    """The reader's no-answer threshold for the passage holding the best span, or None where the question
    language's threshold applies: ``reader.min_margin_en_zh`` / ``_zh_en`` for a passage found through the question's
    translation (the reader read it with the translation, and its margins run lower there);
    ``reader.min_margin_en_mixed`` / ``_zh_mixed`` for a passage in the question's language when ``mixed`` (the
    passages came from cross-lingual retrieval: no passage of the question's language was strong enough for the
    same-language check, so a span there needs more of the reader's confidence)."""
    if best_index is None or not 0 <= best_index < len(passages):
        return None
    r = settings.reader
    zh = _group(lang) == "zh"
    p = passages[best_index]
    if p.search_query:
        return r.min_margin_zh_en if zh else r.min_margin_en_zh
    if mixed and passage_group(p) == _group(lang):
        return r.min_margin_zh_mixed if zh else r.min_margin_en_mixed
    return None


def gate_question(question: str, passages: list[Passage]) -> str:
    """The question as the top passage was found with (its translation), for the same-language gates."""
    if passages and passages[0].search_query:
        return passages[0].search_query
    return question


def overlap_queries(question: str, passages: list[Passage]) -> dict[str, list[Passage]]:
    """The passages grouped by the question each can be compared with word for word: its translation
    (``search_query``), or ``question`` for a passage in the question's language. A passage in another language
    found by the untranslated question has no such question and is left out."""
    q = _group(detect_lang(question))
    out: dict[str, list[Passage]] = {}
    for p in passages:
        if p.search_query:
            out.setdefault(p.search_query, []).append(p)
        elif passage_group(p) == q:
            out.setdefault(question, []).append(p)
    return out


def weak_overlap_by_language(question: str, passages: list[Passage], settings: Settings) -> bool:
    """The word-overlap gate (`qa.refusal.weak_overlap`) for passages from cross-lingual retrieval: weak when no
    passage shares enough words with the question it was found with (`overlap_queries`; each group scored on its
    own, as `qa.extractive.lexical_support` weighs words by rarity among the sentences it is given). The floor:
    ``answer.min_lexical_overlap`` / ``_en`` for the question itself, ``answer.min_lexical_overlap_en_zh`` /
    ``_zh_en`` for its translation. No comparable passage: not weak (nothing to judge by words)."""
    from articleqa.text import has_cjk
    from qa.extractive import lexical_support

    a = settings.answer
    groups = overlap_queries(question, passages)
    zh_question = _group(detect_lang(question)) == "zh"
    for q, ps in groups.items():
        if q != question:
            floor = a.min_lexical_overlap_zh_en if zh_question else a.min_lexical_overlap_en_zh
        else:
            floor = a.min_lexical_overlap if has_cjk(q) else a.min_lexical_overlap_en
        if lexical_support(q, ps, a) >= floor:
            return False
    return bool(groups)


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
