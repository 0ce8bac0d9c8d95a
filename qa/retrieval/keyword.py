"""BM25 keyword search over the store's chunks.

Text is folded to one form before indexing and querying: full-width ASCII to half width, Traditional to Simplified
(OpenCC), lower case. Runs of Han characters are segmented with jieba; everything else is split into ``\\w+`` words
(English, digits, Latin names). Punctuation is dropped. A small English stop list removes function words, which
otherwise only add noise to BM25 (Chinese function words are left to IDF).

Each chunk is indexed as ``title + heading + text`` so that a question naming the article's subject reaches its
chunks even when the chunk itself does not repeat the name.

The index is built lazily from ``store.iter_chunks()`` and rebuilt when ``store.version`` changes. Building and
searching are guarded by a lock, so one `KeywordIndex` can serve several threads.
"""
from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from articleqa.text import fold_width, to_simplified
from articleqa.types import Chunk

# Han ideographs (with extension A and compatibility forms) vs. any other run of word characters.
_TOKEN_RE = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)|([^\W\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)")
_WORD_PUNCT = re.compile(r"\w", re.UNICODE)

# English function words (questions are full of them; they carry no topic). Applied to non-Han tokens only.
ENGLISH_STOPWORDS = frozenset(
    """a an and are as at be been being but by did do does for from had has have he her his how i if in into is it
    its of on or she so that the their them then there these they this those to was we were what when where which
    who whom whose why will with you your""".split()
)

_jieba_lock = threading.Lock()
_jieba = None


def _get_jieba():
    """jieba, initialised once per process and without its log chatter."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba = jieba
    return _jieba


def normalize(text: str) -> str:
    """The form keyword matching sees: half width, Simplified script, lower case."""
    return to_simplified(fold_width(text)).lower()


def tokenize(text: str, stopwords: frozenset[str] = ENGLISH_STOPWORDS) -> list[str]:
    """Keyword tokens of ``text``: jieba words for Han runs, ``\\w+`` words otherwise, no punctuation."""
    if not text:
        return []
    jieba = _get_jieba()
    out: list[str] = []
    for han, word in _TOKEN_RE.findall(normalize(text)):
        if han:
            out.extend(t for t in jieba.lcut(han, HMM=True) if t.strip())
        elif word not in stopwords and word != "_":
            out.append(word.strip("_"))
    return [t for t in out if t]


def document_text(chunk: Chunk, title: str = "") -> str:
    """What the keyword index sees for a chunk: its article title, heading and text."""
    parts = [title, chunk.heading if chunk.heading and chunk.heading != title else "", chunk.text]
    return "\n".join(p for p in parts if p)


@dataclass
class KeywordHits:
    """BM25 scores for one query: the top candidates plus a lookup for any other chunk."""

    ranked: list[tuple[str, float]]  # (chunk_id, score) with score > 0, best first
    scores: dict[str, float] = field(default_factory=dict)  # every chunk with a nonzero score
    coverage: float = 0.0  # share of the query's tokens that occur anywhere in the corpus

    def score(self, chunk_id: str) -> float:
        return self.scores.get(chunk_id, 0.0)


class BM25Corpus:
    """A built BM25 index over a fixed list of chunks."""

    def __init__(
        self,
        chunks: Sequence[Chunk],
        titles: dict[str, str] | None = None,
        stopwords: frozenset[str] = ENGLISH_STOPWORDS,
    ) -> None:
        import bm25s

        titles = titles or {}
        self.stopwords = stopwords
        self.ids = [c.id for c in chunks]
        corpus_tokens = [tokenize(document_text(c, titles.get(c.article_id, "")), stopwords) for c in chunks]
        self.vocab = {t for doc in corpus_tokens for t in doc}
        self._bm25 = None
        if self.ids and self.vocab:
            bm25 = bm25s.BM25()
            bm25.index(corpus_tokens, show_progress=False)
            self._bm25 = bm25

    def __len__(self) -> int:
        return len(self.ids)

    def search(self, query: str, n: int) -> KeywordHits:
        tokens = tokenize(query, self.stopwords)
        if not tokens or self._bm25 is None:
            return KeywordHits(ranked=[], scores={}, coverage=0.0)
        known = [t for t in tokens if t in self.vocab]
        coverage = len(known) / len(tokens)
        if not known:
            return KeywordHits(ranked=[], scores={}, coverage=0.0)
        scores = np.asarray(self._bm25.get_scores(known), dtype=np.float64)
        nz = np.flatnonzero(scores > 0)
        by_id = {self.ids[i]: float(scores[i]) for i in nz}
        if n < len(nz):
            top = nz[np.argpartition(-scores[nz], n)[:n]]
        else:
            top = nz
        top = top[np.argsort(-scores[top], kind="stable")]
        ranked = [(self.ids[i], float(scores[i])) for i in top]
        return KeywordHits(ranked=ranked, scores=by_id, coverage=coverage)


class KeywordIndex:
    """BM25 over a store, built on first use and rebuilt when ``store.version`` changes. Thread-safe."""

    def __init__(self, store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._state: tuple[str, BM25Corpus] | None = None  # (store version, corpus), replaced as one value

    def corpus(self) -> BM25Corpus:
        version = self.store.version
        state = self._state
        if state is not None and state[0] == version:
            return state[1]
        with self._lock:
            state = self._state
            if state is None or state[0] != version:
                titles = {a["id"]: a.get("title", "") for a in self.store.list_articles()}
                state = (version, BM25Corpus(list(self.store.iter_chunks()), titles))
                self._state = state
            return state[1]

    def search(self, query: str, n: int) -> KeywordHits:
        return self.corpus().search(query, n)


def build_corpus(chunks: Iterable[Chunk], titles: dict[str, str] | None = None) -> BM25Corpus:
    return BM25Corpus(list(chunks), titles)
