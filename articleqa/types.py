"""Plain data types shared by ingest, the store, qa and the interfaces."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Article:
    id: str
    title: str
    text: str  # cleaned body: paragraphs joined by a blank line
    source: str = ""  # publication or site name
    url: str = ""
    date: str = ""
    author: str = ""
    lang: str = ""  # zh-Hant, zh-Hans, en
    path: str = ""  # the file it came from
    content_hash: str = ""
    collection: str = ""  # the knowledge base it belongs to ("" = settings.store.collection at ingest)
    headings: list[str] = field(default_factory=list)  # section headings the cleaner found; the chunker uses them

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Chunk:
    id: str  # "<article_id>:<ordinal>"
    article_id: str
    ordinal: int
    text: str  # what users see (no repeated title)
    start: int  # character span in Article.text
    end: int
    heading: str = ""
    n_tokens: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Passage:
    """A retrieved chunk with its article's metadata and scores."""

    chunk: Chunk
    title: str = ""
    source: str = ""
    score: float = 0.0
    dense_score: float | None = None
    keyword_score: float | None = None
    date: str = ""  # the article's publication date, ISO at its precision ("" = undated)
    lang: str = ""  # the article's language (zh-Hant, zh-Hans, en): the evidence language shown with a source
    # the question as this passage was searched with, when it differs from the user's: its translation into the
    # passage's language (cross-lingual retrieval, qa/retrieval/crosslingual.py); "" = the question itself
    search_query: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["chunk"] = self.chunk.to_dict()
        return d


@dataclass
class Citation:
    n: int  # the [n] marker in the answer
    article_id: str
    title: str
    chunk_id: str
    quote: str  # the supporting sentence
    start: int  # span of the quote in the article's cleaned text
    end: int
    source: str = ""
    date: str = ""  # the cited article's publication date, ISO at its precision ("" = undated)
    lang: str = ""  # the cited article's language (zh-Hant, zh-Hans, en): the evidence language, shown with it

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Answer:
    question: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    refused: bool = False
    mode: str = "extractive"  # llm | extractive | openai
    notes: list[str] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)  # retrieved, with scores
    timings: dict[str, float] = field(default_factory=dict)
    standalone_question: str = ""
    lang: str = ""
    tokens_in: int = 0
    tokens_out: int = 0
    short_answer: str = ""  # the short answer span alone (llm mode), when the cited sentence supports it
    # the local model's probability of an empty answer ("the sentences don't say"), when it was asked
    no_answer_p: float | None = None
    span_p: float | None = None  # the model's least confident token of its short answer
    # the span reader's best span score minus its no-answer score (qa.readers), when it read the passages
    reader_margin: float | None = None
    answered_by: str = ""  # "reader", "generator", "quote" (best sentences), "metadata", "" (refused)
    as_of: str = ""  # the day the question was asked at (ISO), when it named a time or one was given

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "text": self.text,
            "citations": [c.to_dict() for c in self.citations],
            "refused": self.refused,
            "mode": self.mode,
            "notes": list(self.notes),
            "passages": [p.to_dict() for p in self.passages],
            "timings": dict(self.timings),
            "standalone_question": self.standalone_question,
            "lang": self.lang,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "short_answer": self.short_answer,
            "no_answer_p": self.no_answer_p,
            "span_p": self.span_p,
            "reader_margin": self.reader_margin,
            "answered_by": self.answered_by,
            "as_of": self.as_of,
        }
