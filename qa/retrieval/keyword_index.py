"""`KeywordIndex`: BM25 over a store at its current commit, loaded from the store's folder or built and saved
(see :mod:`qa.retrieval.keyword` for the corpus and :mod:`qa.retrieval.keyword_files` for the files)."""
from __future__ import annotations

import threading
from typing import Sequence

import numpy as np

from articleqa.tokens import _get_jieba
from qa.retrieval.keyword import BM25Corpus, CorpusOptions, KeywordHits
from qa.retrieval.keyword_files import load_or_build


class KeywordIndex:
    """BM25 over a store, for its current commit: loaded from the store's folder, or built (and saved there).
    Thread-safe."""

    def __init__(self, store, options: CorpusOptions | None = None) -> None:
        self.store = store
        self.options = options or CorpusOptions()
        self._lock = threading.Lock()
        self._state: tuple[str, BM25Corpus] | None = None  # (store version, corpus), replaced as one value
        # Loading jieba's dictionary takes a second: start it now, while the rest of the process starts up.
        threading.Thread(target=_get_jieba, name="articleqa-jieba", daemon=True).start()

    def corpus(self) -> BM25Corpus:
        version = self.store.version
        state = self._state
        if state is not None and state[0] == version:
            return state[1]
        with self._lock:
            state = self._state
            if state is None or state[0] != version:
                state = (version, load_or_build(self.store, version, self.options))
                self._state = state
            return state[1]

    def refresh(self) -> None:
        """Bring the index up to the store's current commit now (and save it), rather than at the next search.
        A store with its own keyword search (PostgreSQL) needs no local index."""
        if getattr(self.store, "keyword_search", None) is None:
            self.corpus()

    def search(self, query: str, n: int, filters=None, article_meta: dict | None = None,
               also: Sequence[str] = ()) -> KeywordHits:
        """BM25 hits; with ``filters`` (a SearchFilter) only chunks of matching articles (``article_meta``: id ->
        ``list_articles()`` row) are ranked. A store with its own keyword search (PostgreSQL) answers itself."""
        own = getattr(self.store, "keyword_search", None)
        if own is not None:
            ranked, scores, coverage = own(query, n, filters, also)
            return KeywordHits(ranked=ranked, scores=scores, coverage=coverage)
        corpus = self.corpus()
        allowed = None
        if filters is not None and not filters.is_empty():
            ok = {a for a, row in (article_meta or {}).items() if filters.matches(row)}
            allowed = np.fromiter((cid.rsplit(":", 1)[0] in ok for cid in corpus.ids), dtype=bool,
                                  count=len(corpus.ids))
        return corpus.search(query, n, allowed)
