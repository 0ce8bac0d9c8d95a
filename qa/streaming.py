"""Streaming with checks: generated text reaches the screen only once its figures are in the given passages."""
from __future__ import annotations

import re
import threading
import time

from articleqa.text import to_simplified
from articleqa.types import Passage
from qa.grounding import unsupported_claims
from qa.language import to_answer_script
from qa.short_answer import in_sentence_script
from qa.state import TokenCallback


class Cancelled(Exception):
    """The consumer of a stream went away; generation stopped early."""


# Where a figure, date or quoted name may begin: streaming holds back from here until the sentence is complete
# and checked against the passages.
_CLAIM_START = re.compile(r"[0-9０-９「『“\"《‘零〇一二两兩三四五六七八九十百千万萬亿億]")
_SENTENCE_END = re.compile(r"[。！？!?；;\n]|\.(?=\s)")


class _TokenRelay:
    """Forwards generated text to the callback in the question's script.

    It holds back any sentence with a figure, date or quoted name until the sentence is complete and its claims are
    found in the given passages: a sentence that fails never reaches the screen, even for a moment.
    """

    def __init__(self, on_token: TokenCallback | None, lang: str, cancel: threading.Event | None,
                 passages: list[Passage] | None = None, sentences: list[str] | None = None) -> None:
        self.on_token = on_token
        self.lang = lang
        self.cancel = cancel
        self.passages = passages or []
        # the evidence sentences as the articles write them, with their Simplified form (converted once, not per token)
        self.sentences = [(text, to_simplified(text)) for text in sentences or []]
        self.text = ""
        self.sent = 0
        self.first_at: float | None = None

    def feed(self, piece: str) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled()
        if piece and self.first_at is None:
            self.first_at = time.perf_counter()
        self.text += piece
        if self.on_token is not None:
            self._release(final=False)

    def flush(self) -> None:
        if self.on_token is not None:
            self._release(final=True)

    def _emit(self, text: str) -> None:
        if text:
            piece, sentence = self._as_in_article(text)
            self.on_token(to_answer_script(piece, self.lang, sentence))

    def _as_in_article(self, piece: str) -> tuple[str, str | None]:
        """``piece`` (the text from ``self.sent`` on) in the characters of the evidence sentence that holds what has
        been written so far, as the final short answer will be (`qa.short_answer.in_sentence_script`), and that
        sentence (None when no sentence holds it)."""
        written = self.text[: self.sent + len(piece)]
        for sentence, simplified in self.sentences:
            mapped = in_sentence_script(written, sentence, simplified)
            if mapped in sentence:
                return mapped[self.sent:], sentence
        return piece, None

    def _release(self, final: bool) -> None:
        while True:
            pending = self.text[self.sent:]
            end = _SENTENCE_END.search(pending)
            if end is None and not final:
                break
            sentence = pending[: end.end()] if end else pending
            if not sentence:
                break
            if not _CLAIM_START.search(sentence) or not unsupported_claims(sentence, self.passages):
                self._emit(sentence)
            self.sent += len(sentence)
            if end is None:
                return
        # the unfinished sentence: stream it up to where a claim may begin
        pending = self.text[self.sent:]
        gate = _CLAIM_START.search(pending)
        safe = pending[: gate.start()] if gate else pending
        self._emit(safe)
        self.sent += len(safe)
