"""Copied spans: the local model's short answer held to a span of one evidence sentence, as written there.

The 1.5B model often paraphrases what it should copy (三十萬 -> 30萬, a title's 保罗·狄拉克 for the sentence's
狄拉克, a clause re-worded from the question). Such a span is in no sentence, so the answer used to fall back to
quoting whole sentences. `SpanConstraint` is a llama.cpp logits processor that, while the JSON reply's answer string
is open, allows only the tokens that continue a span of one evidence sentence (byte for byte) or close the string.
It is used only when the question and the sentences are in the same language family (Chinese or not): an English
question about Chinese sentences is answered in English, which no span of them is.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_TOKEN_BYTES = 32  # longer tokens (runs of spaces, code) never continue a sentence's span here
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD_BYTE = re.compile(rb"[0-9A-Za-z\x80-\xff]")


@dataclass(frozen=True)
class VocabIndex:
    """A model's tokens by their bytes: ``by_bytes`` (tokens that may sit inside a JSON string unescaped),
    ``closing`` (the tokens whose text starts with ``"``) and every token's bytes (``token_bytes``)."""

    by_bytes: dict[bytes, list[int]]
    closing: np.ndarray
    token_bytes: list[bytes]


_indexes: dict[int, VocabIndex] = {}


def vocab_index(client: Any) -> VocabIndex:
    """Built once per model (about 0.6 s over Qwen's 151k tokens: at the warm-up, not on a question)."""
    key = id(client)
    if key not in _indexes:
        n_vocab = client.n_vocab()
        by_bytes: dict[bytes, list[int]] = {}
        closing = []
        token_bytes = [client.detokenize([i]) for i in range(n_vocab)]
        for i, b in enumerate(token_bytes):
            if b.startswith(b'"'):
                closing.append(i)
            elif b and len(b) <= MAX_TOKEN_BYTES and not _needs_escape(b):
                by_bytes.setdefault(b, []).append(i)
        _indexes[key] = VocabIndex(by_bytes, np.asarray(closing, dtype=np.int64), token_bytes)
    return _indexes[key]


def _needs_escape(b: bytes) -> bool:
    return b'"' in b or b"\\" in b or any(c < 0x20 or c == 0x7F for c in b)


def is_chinese(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and sum(1 for ch in letters if _CJK.match(ch)) >= 0.3 * len(letters)


def copy_applies(question_lang: str, sentences: list[str]) -> bool:
    """The question and every sentence are Chinese, or none of them is."""
    asks_chinese = question_lang.startswith("zh")
    return bool(sentences) and all(is_chinese(s) == asks_chinese for s in sentences)


def _starts(text: bytes) -> list[int]:
    """Where a span may begin: any character of Chinese text; the start of a word (or of a number, a sign) of other
    text; never on a space or inside a character's bytes."""
    out = []
    for p, c in enumerate(text):
        if 0x80 <= c <= 0xBF or c in b" \t":
            continue
        if c < 0x80 and _WORD_BYTE.match(bytes([c])) and p > 0 and text[p - 1] < 0x80 \
                and _WORD_BYTE.match(text[p - 1:p]):
            continue  # inside an English word
        out.append(p)
    return out


def _may_end(text: bytes, p: int) -> bool:
    """A span may end here: at the sentence's end, never inside a character's bytes nor inside an ASCII word."""
    if p >= len(text):
        return True
    c = text[p]
    if 0x80 <= c <= 0xBF:
        return False
    return not (c < 0x80 and _WORD_BYTE.match(bytes([c])) and text[p - 1] < 0x80 and _WORD_BYTE.match(text[p - 1:p]))


class SpanConstraint:
    """The logits processor: before the answer string's first token every span start of every sentence is open;
    each token taken keeps the positions it continued. Closing the string (the empty answer included) is allowed
    where a span may end. Once the string is closed the constraint steps aside (the grammar holds the rest)."""

    def __init__(self, index: VocabIndex, sentences: list[str]) -> None:
        self.index = index
        self.texts = [s.encode("utf-8") for s in sentences]
        self.frontier: set[tuple[int, int]] = {(i, p) for i, t in enumerate(self.texts) for p in _starts(t)}
        self.prompt_len: int | None = None
        self.seen = 0
        self.started = False
        self.closed = False

    def __call__(self, input_ids, scores):
        if self.prompt_len is None:
            self.prompt_len = len(input_ids)
        self._advance(list(input_ids[self.prompt_len + self.seen:]))
        if self.closed:
            return scores
        allowed = self._allowed()
        masked = np.full_like(scores, -np.inf)
        masked[allowed] = scores[allowed]
        return masked

    def _advance(self, new_ids: list[int]) -> None:
        for t in new_ids:
            self.seen += 1
            if self.closed:
                continue
            b = self.index.token_bytes[t]
            if b.startswith(b'"'):
                self.closed = True
                continue
            self.frontier = {(i, p + len(b)) for i, p in self.frontier if self.texts[i].startswith(b, p)}
            self.started = True

    def _allowed(self) -> np.ndarray:
        by_bytes = self.index.by_bytes
        ids: list[int] = []
        may_close = not self.started
        for i, p in self.frontier:
            text = self.texts[i]
            for k in range(1, min(MAX_TOKEN_BYTES, len(text) - p) + 1):
                hit = by_bytes.get(text[p:p + k])
                if hit:
                    ids.extend(hit)
            if self.started and not may_close and _may_end(text, p):
                may_close = True
        if may_close or not ids:
            ids.extend(self.index.closing.tolist())
        return np.unique(np.asarray(ids, dtype=np.int64))
