"""The trained span reader (articleqa.reader) behind the `Reader` interface."""
from __future__ import annotations

from articleqa.settings import Settings
from articleqa.types import Passage
from qa.readers.base import Candidate, Reading


class SpanReader:
    """multilingual-e5-small fine-tuned for span extraction with a no-answer option, on ONNX Runtime."""

    name = "span"

    def __init__(self, settings: Settings, embedder=None) -> None:
        self.settings = settings
        self.embedder = embedder  # for matching sentences to a question in another language (with_sentence_match)
        self._model = None

    @property
    def model(self):
        if self._model is None:
            from articleqa.models.embedder import prepare_embedder
            from articleqa.reader.model import load_reader_model

            threads = self.settings.models.embed_threads or 0
            import os

            self._model = load_reader_model(self.settings.cache_dir, prepare_embedder(self.settings),
                                            threads or (os.cpu_count() or 1))
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
        if r.sentence_weight:
            candidates = with_sentence_match(question, passages[: r.passages], candidates, r.sentence_weight,
                                             self.settings, self.embedder)
        candidates.sort(key=lambda c: -c.score)
        margin = max((pr.margin for pr in readings), default=float("-inf"))
        return Reading(self.name, candidates, margin)


def with_sentence_match(question: str, passages: list[Passage], candidates: list[Candidate], weight: float,
                        settings: Settings, embedder=None) -> list[Candidate]:
    """Each candidate's score plus ``weight`` times how well its sentence matches the question: the word overlap
    (``qa.extractive.score_sentences``, 0..1), or, when no sentence shares enough words with the question (another
    language: an English question over Chinese text), the e5 similarity of the sentence's best clause, scaled 0..1
    over the sentences (``qa.extractive.add_dense``). The reader alone often takes a figure of the right kind from
    the sentence next to the one the question is about (「2013年」 for 「京東白條是什麼時候推出的?」)."""
    from dataclasses import replace

    from qa.extractive import add_dense, score_sentences

    ranked = score_sentences(question, passages, settings.answer)
    match = {id(x): x.lexical for x in ranked}
    if embedder is not None and ranked and max(x.lexical for x in ranked) < settings.answer.weak_lexical:
        before = {id(x): x.score for x in ranked}
        ranked = add_dense(question, ranked, embedder, 1.0, settings.answer.min_clause_chars)
        match = {id(x): x.score - before[id(x)] for x in ranked}
    out = []
    for c in candidates:
        m = max((match[id(x)] for x in ranked if x.passage_index == c.passage_index and x.start <= c.start < x.end),
                default=0.0)
        out.append(replace(c, score=c.score + weight * m))
    return out
