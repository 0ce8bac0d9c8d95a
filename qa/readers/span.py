"""The trained span reader (articleqa.reader) behind the `Reader` interface."""
from __future__ import annotations

import os

from articleqa.settings import Settings
from articleqa.types import Passage
from qa.readers.base import Candidate, Reading


class SpanReader:
    """multilingual-e5-small fine-tuned for span extraction with a no-answer option, on ONNX Runtime."""

    name = "span"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._model = None

    @property
    def model(self):
        if self._model is None:
            from articleqa.models.embedder import prepare_embedder
            from articleqa.reader.model import load_reader_model

            threads = self.settings.models.embed_threads or os.cpu_count() or 1
            self._model = load_reader_model(self.settings.cache_dir, prepare_embedder(self.settings), threads)
        return self._model

    def read(self, question: str, passages: list[Passage]) -> Reading:
        r = self.settings.reader
        given = passages[: r.passages]
        texts = [p.chunk.text for p in given]
        if not texts or not question.strip():
            return Reading(self.name, [], None)
        # a passage found through the question's translation (cross-lingual retrieval) is read with the translation
        questions = [getattr(p, "search_query", "") or question for p in given]
        readings = self.model.read(questions, texts, max_answer_tokens=r.max_answer_tokens, top_spans=r.top_spans)
        candidates = [Candidate(sp.text, sp.passage, sp.start, sp.end, sp.score)
                      for pr in readings for sp in pr.spans]
        candidates.sort(key=lambda c: -c.score)
        margin = max((pr.margin for pr in readings), default=float("-inf"))
        return Reading(self.name, candidates, margin)

