"""Fusing the dense and keyword rankings.

Both fusions take each side's candidates as ``(chunk_id, score)`` lists, best first. The keyword side may also pass
``keyword_lookup`` (the exact BM25 score of any chunk, 0 when it shares no token with the query) and
``keyword_reliability`` in [0, 1] (the share of the query's tokens the corpus knows at all): the keyword
contribution is scaled by it, so an English question over Chinese articles, whose words BM25 has never seen,
falls back to the dense ranking instead of being reordered by a stray shared number.

z-score: over the union of candidates, each side's scores are standardised (mean 0, standard deviation 1) and
mixed as ``w * z_dense + (1 - w) * reliability * z_keyword``. A side whose scores are flat (all equal, or no
candidate at all) contributes 0 to every candidate, so it cannot reorder the other side. A dense candidate missing
from the dense list (found only by keyword) gets the lowest dense score seen, an upper bound of its true score.

RRF: ``1 / (k + rank_dense) + reliability / (k + rank_keyword)`` (Cormack et al., 2009); a flat keyword list is
dropped.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

# Relative spread below which a side's scores count as flat (no ranking signal).
FLAT_REL_STD = 1e-6


@dataclass
class Fused:
    chunk_id: str
    score: float
    dense: float | None = None  # the dense (cosine) score, when the dense side returned this chunk
    keyword: float | None = None  # the BM25 score, when known (0.0: shares no token with the query)


def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    n = len(values)
    if n == 0:
        return 0.0, 0.0
    mean = sum(values) / n
    var = sum((v - mean) ** 2 for v in values) / n
    return mean, math.sqrt(var)


def _is_flat(values: Sequence[float]) -> bool:
    if len(values) < 2:
        return True
    mean, std = _mean_std(values)
    return std <= FLAT_REL_STD * max(abs(mean), 1e-12)


def _standardise(values: list[float]) -> list[float]:
    if _is_flat(values):
        return [0.0] * len(values)
    mean, std = _mean_std(values)
    return [(v - mean) / std for v in values]


def _order(fused: list[Fused]) -> list[Fused]:
    return sorted(
        fused,
        key=lambda f: (-f.score, -(f.dense if f.dense is not None else -math.inf), f.chunk_id),
    )


def zscore_fuse(
    dense: Sequence[tuple[str, float]],
    keyword: Sequence[tuple[str, float]],
    dense_weight: float = 0.7,
    keyword_lookup: Callable[[str], float] | None = None,
    keyword_reliability: float = 1.0,
) -> list[Fused]:
    """z-score fusion of the two candidate lists over their union, best first."""
    dense_map = dict(dense)
    kw_map = dict(keyword)
    ids = list(dict.fromkeys([c for c, _ in dense] + [c for c, _ in keyword]))
    if not ids:
        return []
    floor = min(dense_map.values()) if dense_map else 0.0
    d_vals = [dense_map.get(c, floor) for c in ids]

    def kw(c: str) -> float:
        if c in kw_map:
            return kw_map[c]
        return keyword_lookup(c) if keyword_lookup is not None else 0.0

    k_vals = [kw(c) for c in ids]
    # A keyword side with no positive score at all has nothing to say.
    k_weight = (1.0 - dense_weight) * max(0.0, min(1.0, keyword_reliability))
    if not any(v > 0 for v in k_vals):
        k_weight = 0.0
    zd = _standardise(d_vals)
    zk = _standardise(k_vals) if k_weight > 0 else [0.0] * len(ids)
    out = [
        Fused(
            chunk_id=c,
            score=dense_weight * a + k_weight * b,
            dense=dense_map.get(c),
            keyword=k_vals[i] if (keyword or keyword_lookup is not None) else None,
        )
        for i, (c, a, b) in enumerate(zip(ids, zd, zk))
    ]
    return _order(out)


def rrf_fuse(
    dense: Sequence[tuple[str, float]],
    keyword: Sequence[tuple[str, float]],
    k: int = 60,
    keyword_lookup: Callable[[str], float] | None = None,
    keyword_reliability: float = 1.0,
) -> list[Fused]:
    """Reciprocal rank fusion, best first. A flat keyword list (all scores equal) is ignored."""
    dense_map = dict(dense)
    kw_map = dict(keyword)
    use_kw = bool(keyword) and (len(keyword) == 1 or not _is_flat([s for _, s in keyword]))
    rel = max(0.0, min(1.0, keyword_reliability))
    scores: dict[str, float] = {}
    for rank, (c, _) in enumerate(dense, start=1):
        scores[c] = scores.get(c, 0.0) + 1.0 / (k + rank)
    if use_kw and rel > 0:
        for rank, (c, _) in enumerate(keyword, start=1):
            scores[c] = scores.get(c, 0.0) + rel / (k + rank)
    else:
        for c, _ in keyword:
            scores.setdefault(c, 0.0)

    def kw(c: str) -> float | None:
        if c in kw_map:
            return kw_map[c]
        return keyword_lookup(c) if keyword_lookup is not None else None

    return _order([Fused(c, s, dense_map.get(c), kw(c)) for c, s in scores.items()])


def dense_only(
    dense: Sequence[tuple[str, float]],
    keyword: Sequence[tuple[str, float]] = (),
    keyword_lookup: Callable[[str], float] | None = None,
) -> list[Fused]:
    """The dense ranking as it is (keyword scores only reported)."""
    kw_map = dict(keyword)

    def kw(c: str) -> float | None:
        if c in kw_map:
            return kw_map[c]
        return keyword_lookup(c) if keyword_lookup is not None else None

    return [Fused(c, s, s, kw(c)) for c, s in dense]


def fuse(
    method: str,
    dense: Sequence[tuple[str, float]],
    keyword: Sequence[tuple[str, float]],
    *,
    dense_weight: float = 0.7,
    rrf_k: int = 60,
    keyword_lookup: Callable[[str], float] | None = None,
    keyword_reliability: float = 1.0,
) -> list[Fused]:
    """Dispatch on ``settings.retrieval.fusion``: "zscore", "rrf" or "dense"."""
    if method == "zscore":
        return zscore_fuse(dense, keyword, dense_weight, keyword_lookup, keyword_reliability)
    if method == "rrf":
        return rrf_fuse(dense, keyword, rrf_k, keyword_lookup, keyword_reliability)
    if method == "dense":
        return dense_only(dense, keyword, keyword_lookup)
    raise ValueError(f"unknown fusion method {method!r} (expected zscore, rrf or dense)")
