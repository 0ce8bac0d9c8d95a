"""Cross-lingual retrieval in a corpus that mixes languages (English and Chinese articles side by side).

A retriever tuned within one language prefers the question's own language: e5 cosines run higher within a language
than across, and BM25 cannot match "JD Finance" to 京東金融 at all, so an English question about a Chinese article
gets English distractors. Here, when the corpus holds another language group than the question's:

1. **Same-language check** (one filtered dense search): the plain ranking's best passage in the question's own
   language passes the same-language bar (``retrieval.same_language_cosine*``, keyword overlap
   ``retrieval.same_language_overlap``, and a lead of ``retrieval.same_language_margin`` over the best
   other-language chunk): the question is taken as same-language and the plain ranking is returned unchanged, with
   no translation.
2. **Translation** (``retrieval.cross_lingual = "translate"``): the local generator translates the question into each
   other language group of the corpus (cached; `qa.retrieval.translate`).
3. **Language-balanced pools**: for each language group, dense and keyword candidates of the question *in that
   language* (the original for its own group, the translation for another), restricted to the group's chunks and
   fused as usual (z-score). Each passage's ``dense_score`` is then its cosine with the question in its own
   language, so the refusal floors of that language apply to it, and ``search_query`` records that question.
4. **Merge** (``retrieval.cross_lingual_merge``): the groups' rankings are merged by fused score (each pool
   standardised on its own, so the best of each pool are comparable), or interleaved, or by dense cosine.

Language groups: "zh" (Traditional and Simplified, which BM25 and e5 fold together) and "en" (everything else).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.retrieval.dense import dense_search, embed_query
from qa.retrieval.fusion import Fused, fuse

if TYPE_CHECKING:
    from articleqa.types import Passage

GROUPS = ("zh", "en")
Retriever = Any  # a qa.retrieval.retriever.HybridRetriever (not imported: it imports this module)


def lang_group(lang: str) -> str:
    """"zh" for zh-Hant / zh-Hans, "en" for anything else."""
    return "zh" if (lang or "").startswith("zh") else "en"


def corpus_groups(meta: dict[str, dict]) -> dict[str, str]:
    """article id -> language group, from the stored articles' ``lang`` (set at ingest)."""
    return {aid: lang_group(row.get("lang", "")) for aid, row in meta.items()}


@dataclass
class Pool:
    """One language group's fused ranking for the question in that group's language."""

    group: str
    query: str  # the question as searched in this group (the translation for another group)
    fused: list[Fused]
    translated: bool = False


def group_filter(filters, group: str, groups: dict[str, str]):
    """``filters`` narrowed to the articles of ``group`` (inside the searches: e5 ranks every chunk of the
    question's own language above the other's, so filtering a shared top-n afterwards leaves the other side empty)."""
    from articleqa.store.filters import SearchFilter

    ids = [a for a, g in groups.items() if g == group]
    if filters is not None and filters.article_ids:
        ids = [a for a in ids if a in set(filters.article_ids)]
    base = filters if filters is not None else SearchFilter()
    return replace(base, article_ids=tuple(ids) or ("\0none",))


def blended_dense(store, vector: np.ndarray, original: np.ndarray | None, weight: float, n: int,
                  narrowed) -> list[tuple[str, float]]:
    """Dense candidates of a translation, each scored ``(1 - weight) * cosine(translation) + weight *
    cosine(original question)`` over the union of both searches (e5 is multilingual, so the original question
    still points at the right passage when a rare name was translated badly). ``weight`` 0 or no ``original``:
    the translation's own search."""
    ranked = dense_search(store, vector, n, narrowed)
    if original is None or weight <= 0.0:
        return ranked
    ids = list(dict.fromkeys([c for c, _ in ranked] + [c for c, _ in dense_search(store, original, n, narrowed)]))
    if not ids:
        return ranked
    vectors = np.asarray(store.get_vectors(ids), dtype=np.float32)
    scores = (1.0 - weight) * (vectors @ vector) + weight * (vectors @ original)
    order = np.argsort(-scores, kind="stable")[:n]
    return [(ids[i], float(scores[i])) for i in order]


def group_pool(retriever: Retriever, query: str, vector: np.ndarray | None, group: str,
               groups: dict[str, str], n: int, filters=None, original: np.ndarray | None = None) -> Pool:
    """Dense and keyword candidates of ``query`` among ``group``'s chunks (the filter applied inside each search),
    fused with the retriever's settings. ``original``: the untranslated question's vector, blended into the dense
    side of a translation's pool (``retrieval.cross_lingual_original_weight``); each passage's ``dense`` stays its
    cosine with ``query``."""
    if vector is None:
        vector = embed_query(retriever.embedder, query)
    narrowed = group_filter(filters, group, groups)
    r = retriever.settings.retrieval
    dense = blended_dense(retriever.store, vector, original, r.cross_lingual_original_weight, n, narrowed)
    kw = retriever.keyword.search(query, n, narrowed, retriever._article_meta(), also=[c for c, _ in dense])
    fused = fuse(r.fusion, dense, kw.ranked, dense_weight=r.dense_weight, rrf_k=r.rrf_k,
                 keyword_lookup=kw.score, keyword_reliability=kw.coverage)
    blended = original is not None and r.cross_lingual_original_weight > 0.0
    if blended:
        for f in fused:
            f.dense = None  # blended above; the passage's dense score is its cosine with the translation
    retriever._fill_dense_scores(fused if blended else fused[: max(n, 1)], vector)
    return Pool(group=group, query=query, fused=fused)


def merge_pools(pools: list[Pool], primary: str, how: str = "score") -> list[tuple[Fused, Pool]]:
    """The pools' rankings as one, best first. "score": by fused score (each pool standardised on its own);
    "interleave": round robin, the question's own group first; "dense": by each passage's in-language cosine."""
    if how == "interleave":
        ordered = sorted(pools, key=lambda p: p.group != primary)
        out: list[tuple[Fused, Pool]] = []
        for i in range(max((len(p.fused) for p in pools), default=0)):
            out += [(p.fused[i], p) for p in ordered if i < len(p.fused)]
        return out
    items = [(f, p) for p in pools for f in p.fused]
    if how == "dense":
        return sorted(items, key=lambda x: -(x[0].dense if x[0].dense is not None else -1.0))
    return sorted(items, key=lambda x: (-x[0].score, x[1].group != primary))


def question_overlap(question: str, passages: list[Passage]) -> float:
    """The largest share of the question's keyword tokens (BM25's: folded, stemmed, stop words out) that one
    passage contains."""
    from articleqa.tokens import tokenize

    q = set(tokenize(question))
    if not q:
        return 0.0
    return max((len(q & set(tokenize(p.chunk.text))) / len(q) for p in passages), default=0.0)


def other_best_cosine(retriever: Retriever, vector: np.ndarray, others: list[str], groups: dict[str, str],
                      filters=None) -> float:
    """The best cosine of the question (untranslated) with a chunk of another language group: one filtered dense
    search per group, no translation."""
    best = 0.0
    for g in others:
        hits = dense_search(retriever.store, vector, 1, group_filter(filters, g, groups))
        best = max([best] + [s for _, s in hits])
    return best


def same_language_answer(retriever: Retriever, question: str, top: list[Passage], group: str,
                         other_best: float) -> bool:
    """Whether the plain ranking already holds a passage in the question's language that passes the same-language
    bar: cosine at least ``retrieval.same_language_cosine`` (``_en`` for English), keyword overlap
    (`question_overlap`) at least ``retrieval.same_language_overlap``, and a cosine at least
    ``retrieval.same_language_margin`` above the best of the other languages' chunks (``other_best``; e5 ranks its
    own language higher, so a cross-lingual question's distractors lead by less)."""
    r = retriever.settings.retrieval
    floor = r.same_language_cosine_en if group == "en" else r.same_language_cosine
    mine = [p for p in top if lang_group(p.lang) == group and (p.dense_score or 0.0) >= floor]
    if not mine or max(p.dense_score or 0.0 for p in mine) - other_best < r.same_language_margin:
        return False
    return question_overlap(question, mine[:3]) >= r.same_language_overlap


def cross_lingual_search(retriever: Retriever, query: str, k: int, filters, query_vector: np.ndarray,
                         plain: list[Passage], translator=None) -> list[Passage] | None:
    """Passages from every language group of the corpus, or None when the plain ranking ``plain`` stands (a corpus
    in the question's language only, or a question its own language answers)."""
    from articleqa.text import detect_lang

    r = retriever.settings.retrieval
    if r.cross_lingual == "off":
        return None
    groups = corpus_groups(retriever._article_meta())
    present = set(groups.values())
    primary = lang_group(detect_lang(query))
    others = sorted(present - {primary})
    if not others:
        return None
    try:
        return _search_pools(retriever, query, k, filters, query_vector, plain, translator, groups, primary, others)
    except Exception as e:  # e.g. a group filter with more article ids than SQLite takes
        from articleqa.store import StoreError

        if isinstance(e, StoreError) or type(e).__module__.startswith(("sqlite3", "psycopg")):
            return None  # the plain ranking, as without cross-lingual retrieval
        raise


def _search_pools(retriever: Retriever, query: str, k: int, filters, query_vector: np.ndarray, plain: list[Passage],
                  translator, groups: dict[str, str], primary: str, others: list[str]) -> list[Passage] | None:
    from articleqa.text import detect_lang

    r = retriever.settings.retrieval
    present = set(groups.values())
    if same_language_answer(retriever, query, plain, primary,
                            other_best_cosine(retriever, query_vector, others, groups, filters)):
        return None
    n = max(r.cross_lingual_candidates or r.candidates, k)
    pools = [group_pool(retriever, query, query_vector, primary, groups, n, filters)] if primary in present else []
    for g in others:
        text = translator.translate(query, g) if (translator is not None and r.cross_lingual == "translate") else ""
        if text and lang_group(detect_lang(text)) == g:
            pool = group_pool(retriever, text, None, g, groups, n, filters, original=query_vector)
            pool.translated = True
        else:  # no translation: the original question searched among that group's chunks (e5 is multilingual)
            pool = group_pool(retriever, query, query_vector, g, groups, n, filters)
        pools.append(pool)
    merged = merge_pools(pools, primary, r.cross_lingual_merge)[:k]
    if not merged:
        return None
    passages = retriever.to_passages([f for f, _ in merged])
    by_chunk = {f.chunk_id: p for f, p in merged}
    return [replace(p, search_query=by_chunk[p.chunk.id].query) if by_chunk[p.chunk.id].translated else p
            for p in passages]
