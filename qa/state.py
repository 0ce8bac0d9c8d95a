"""The answer chain's state: one typed object that each step reads and fills in (see qa/chain.py)."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from articleqa.types import Answer, Passage

TokenCallback = Callable[[str], None]


@dataclass
class EvidenceSentence:
    """A sentence given to the model, numbered ``n`` in the prompt; its span is in its passage's chunk text."""

    n: int
    passage_index: int  # 0-based in the passages given
    start: int
    end: int
    text: str
    score: float = 0.0


@dataclass
class ShortReply:
    """The model's schema-constrained reply: a short answer span and the number of the sentence it came from."""

    answer: str
    source: int  # 0 = no source (the model found no answer)
    raw: str
    parsed: bool = True
    p_empty: float | None = None  # the local model's probability of an empty answer (qa.reader.EmptyAnswerProbe)
    span_min: float | None = None  # the least probable token of the answer it wrote


@dataclass
class ChainState:
    # the request
    question: str
    history: list[tuple[str, str]] = field(default_factory=list)
    mode: str = ""  # llm | extractive (after `prepare`)
    k: int | None = None
    filters: Any = None  # an articleqa.store.SearchFilter; None = the assistant's default scope
    on_token: TokenCallback | None = None
    cancel: threading.Event | None = None
    as_of: Any = None  # the day the question is asked at (date or ISO string); None = today, said in the notes
    # filled in by the steps
    t0: float = field(default_factory=time.perf_counter)
    lang: str = "en"
    standalone: str = ""
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    passages: list[Passage] = field(default_factory=list)
    refuse: str | None = None  # the note of a refusal decided before generation
    evidence: list[EvidenceSentence] = field(default_factory=list)
    reply: ShortReply | None = None
    reading: Any = None  # the span reader's qa.readers.Reading
    direct: Answer | None = None  # an answer found without generation (a question about the article itself)
    llm_failed: bool = False
    reader_overruled: bool = False  # llm mode: the reader's span replaced the generator's (chain.reader_overrules)
    tokens_in: int = 0
    tokens_out: int = 0
    time: Any = None  # an articleqa.timeexpr.QuestionTime (qa/time), when time-aware answering is on
    time_query: str = ""  # what retrieval searches for: the question with its relative dates written out
    published_by: Any = None  # a date: only passages published by then (qa/time/retrieve.py: beyond_period_state)

    @classmethod
    def from_request(cls, req: "dict | ChainState") -> "ChainState":
        if isinstance(req, ChainState):
            return req
        return cls(
            question=str(req.get("question") or ""),
            history=[tuple(h) for h in (req.get("history") or ())],
            mode=req.get("mode") or "",
            k=req.get("k"),
            filters=req.get("filters"),
            on_token=req.get("on_token"),
            cancel=req.get("cancel"),
            as_of=req.get("as_of"),
        )
