"""Keyword tokens: the one tokenizer behind BM25 (qa/retrieval/keyword.py) and the PostgreSQL store's tsvector
column, so both sides of the store interface match the same words.

Text is folded to one form first: full-width ASCII to half width, Traditional to Simplified (OpenCC), lower case.
Runs of Han characters are segmented with jieba; everything else is split into ``\\w+`` words (English, digits,
Latin names), English stop words dropped and the rest Snowball-stemmed. Punctuation is dropped.
"""
from __future__ import annotations

import re
import threading
from functools import lru_cache

from articleqa.text import fold_width, to_simplified

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
_stem_lock = threading.Lock()
_stemmer = None


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Snowball (Porter 2) English stem of a lower-case word; digits and non-Latin words pass through."""
    global _stemmer
    if not word.isascii() or not word.isalpha():
        return word
    with _stem_lock:  # snowballstemmer objects keep state between calls
        if _stemmer is None:
            import snowballstemmer

            _stemmer = snowballstemmer.stemmer("english")
        return _stemmer.stemWord(word)


def _get_jieba():
    """A jieba tokenizer, made once per process, whose dictionary loads by first character on demand
    (articleqa/jieba_dict.py: the same words as ``jieba.lcut``, without 0.6 CPU s of loading at every start)."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                from articleqa.jieba_dict import sharded_tokenizer

                _jieba = sharded_tokenizer()
    return _jieba


def normalize(text: str) -> str:
    """The form keyword matching sees: half width, Simplified script, lower case."""
    return to_simplified(fold_width(text)).lower()


def tokenize(text: str, stopwords: frozenset[str] = ENGLISH_STOPWORDS, stemming: bool = True) -> list[str]:
    """Keyword tokens of ``text``: jieba words for Han runs, ``\\w+`` words (English: stemmed) otherwise."""
    if not text:
        return []
    jieba = _get_jieba()
    out: list[str] = []
    for han, word in _TOKEN_RE.findall(normalize(text)):
        if han:
            out.extend(t for t in jieba.lcut(han, HMM=True) if t.strip())
        elif word not in stopwords and word != "_":
            word = word.strip("_")
            out.append(stem(word) if stemming else word)
    return [t for t in out if t]
