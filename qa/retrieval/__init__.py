"""Hybrid retrieval: dense e5 vectors + BM25 keywords, fused (z-score by default, or RRF, or dense only)."""
from __future__ import annotations

from qa.retrieval.fusion import Fused, fuse, rrf_fuse, zscore_fuse
from qa.retrieval.keyword import BM25Corpus, KeywordHits, tokenize
from qa.retrieval.keyword_index import KeywordIndex
from qa.retrieval.retriever import Candidates, HybridRetriever

__all__ = [
    "BM25Corpus",
    "Candidates",
    "Fused",
    "HybridRetriever",
    "KeywordHits",
    "KeywordIndex",
    "fuse",
    "rrf_fuse",
    "tokenize",
    "zscore_fuse",
]

