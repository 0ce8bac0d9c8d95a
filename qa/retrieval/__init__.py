"""Hybrid retrieval: dense e5 vectors + BM25 keywords, fused (z-score by default, or RRF, or dense only)."""
from __future__ import annotations

from qa.retrieval.fusion import Fused, fuse, rrf_fuse, zscore_fuse
from qa.retrieval.keyword import BM25Corpus, KeywordHits, tokenize
from qa.retrieval.keyword_index import KeywordIndex
from qa.retrieval.retriever import Candidates, HybridRetriever, make_langchain_retriever, passage_to_document

__all__ = [
    "BM25Corpus",
    "Candidates",
    "Fused",
    "HybridRetriever",
    "KeywordHits",
    "KeywordIndex",
    "fuse",
    "make_langchain_retriever",
    "passage_to_document",
    "rrf_fuse",
    "tokenize",
    "zscore_fuse",
]


def __getattr__(name: str):
    if name == "HybridLangChainRetriever":
        from qa.retrieval.retriever import _langchain_class

        return _langchain_class()
    raise AttributeError(name)
