"""The answer chain, as LangChain runnables over one typed `ChainState` (`build_chain`; `AnswerSteps` runs the same
steps as plain calls):

    {question, history} -> standalone question (only a follow-up that depends on the conversation is rewritten)
        -> retrieve -> metadata questions answered from the article's fields
        -> gate: refusal from the passages alone (weak evidence, nothing matching, a figure missing)
        -> read: the trained span reader's candidate spans and its no-answer margin (both modes; a refusal below
           ``reader.min_margin``)
        -> beyond_period: a refusal within a period read against as_of ("a month ago") is retrieved, gated and
           read again over every article up to as_of; kept only if it answers (qa/time/retrieve.py)
        -> generate (llm mode): evidence sentences -> a schema-constrained short answer (streamed)
        -> verify: support check -> `Answer` (extractive mode: the reader's span, cited, its sentence quoted)

Every refusal is decided by one `RefusalPolicy` (qa/refusal.py).

Timings (seconds): ``rewrite``, ``retrieve``, ``first_token`` (from the start of the request to the first streamed
token), ``generate`` (the generation call), ``total``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from articleqa.settings import Settings
from articleqa.text import has_cjk
from articleqa.types import Answer, Article, Chunk, Passage
from qa.cross_lingual import gate_question as in_passage_language, order_for_context_by_language
from qa.evidence import format_evidence, select_evidence
from qa.extractive import with_passage_order, with_sentence_match, with_whole_dates
from qa.followup import depends_on_history
from qa.language import message, question_lang
from qa.metadata import metadata_answer
from qa.prompts import clean_rewrite, rewrite_messages, short_messages
from qa.reader import AnswerStream, count_tokens, generate_short, parse_reply
from qa.refusal import RefusalPolicy, refused_answer
from qa.short_answer import short_answer, span_answer
from qa.state import ChainState
from qa.streaming import Cancelled, _TokenRelay  # noqa: F401 - re-exported for callers and tests
from qa.time import (beyond_period_state, compare_answer, finish_time, gate_question, reading_question,
                     resolve_time, retrieve_in_time)
from qa.time.messages import msg as time_message, show_period

__all__ = ["AnswerSteps", "Cancelled", "ChainContext", "STEPS", "build_chain"]


@dataclass
class ChainContext:
    """What the chain needs from its owner: retrieval, the (lazily loaded) chat model and its lock, articles."""

    retrieve: Callable[[str, int], list[Passage]]
    settings: Settings
    get_llm: Callable[[], Any]  # the LangChain chat model, or None when none is configured
    llm_lock: Any  # a context manager serialising calls into the model
    llm_kind: str = "llm"  # "llm" (local llama.cpp) or "openai"
    embedder: Any = None
    get_article: Callable[[str], Article | None] = lambda _id: None
    chunks_of: Callable[[str], list[Chunk]] = lambda _id: []
    extras: dict[str, Any] = field(default_factory=dict)
    reader: Any = None  # a qa.readers.Reader; None = the trained span reader, loaded on first use

    def __post_init__(self) -> None:
        self.policy = RefusalPolicy(self.settings)

    def get_reader(self):
        if self.reader is None:
            from qa.readers.span import SpanReader

            self.reader = SpanReader(self.settings)
        return self.reader


def _to_messages(pairs: list[tuple[str, str]]):
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    kinds = {"system": SystemMessage, "human": HumanMessage, "ai": AIMessage}
    return [kinds[r](content=c) for r, c in pairs]


def _text_of(out: Any) -> str:
    c = getattr(out, "content", out)
    if isinstance(c, list):
        return "".join(x.get("text", "") if isinstance(x, dict) else str(x) for x in c)
    return str(c or "")


# ------------------------------------------------------------------------------------------------------- steps


def _prepare(ctx: ChainContext):
    def run(req: dict | ChainState) -> ChainState:
        s = ChainState.from_request(req)
        s.lang = question_lang(s.question)
        s.standalone = s.question.strip()
        mode = s.mode or ctx.settings.answer.mode
        if mode not in ("llm", "extractive"):
            raise ValueError(f"mode {mode!r}: expected 'llm' or 'extractive'")
        if mode == "llm" and ctx.get_llm() is None:
            s.notes.append(message("note_no_llm", s.lang))
            mode = "extractive"
        s.mode = mode
        return s

    return run


def _rewrite(ctx: ChainContext):
    def run(s: ChainState) -> ChainState:
        question = s.question.strip()
        if not s.history or not depends_on_history(question):
            return s
        t = time.perf_counter()
        if s.mode == "llm":
            a = ctx.settings.answer
            msgs = _to_messages(rewrite_messages(question, s.history, a.history_turns, a.history_chars))
            llm = ctx.get_llm()
            with ctx.llm_lock:
                out = llm.bind(max_tokens=a.rewrite_max_tokens).invoke(msgs) if hasattr(llm, "bind") else llm.invoke(msgs)
            standalone = clean_rewrite(_text_of(out), question)
            if question_lang(standalone) != s.lang:
                standalone = question  # a rewrite must keep the question's language
        else:
            # no generation in extractive mode: let retrieval see the previous question as well
            standalone = f"{s.history[-1][0].strip()} {question}"
        s.standalone = standalone
        s.timings["rewrite"] = time.perf_counter() - t
        if standalone != question:
            s.notes.append(message("note_rewritten", s.lang, question=standalone))
        return s

    return run


def _retrieve(ctx: ChainContext):
    def run(s: ChainState) -> ChainState:
        t = time.perf_counter()
        a = ctx.settings.answer
        k = max(s.k or ctx.settings.retrieval.top_k, 2 * a.context_passages)
        resolve_time(ctx.settings, s)  # the question's time against as_of (qa/time); relative dates written out
        # the passages the model (or the extractive answer) sees come first
        found = retrieve_in_time(ctx, s, k)
        s.passages = order_for_context_by_language(s.standalone, found, a.context_passages, a)
        s.timings["retrieve"] = time.perf_counter() - t
        s.refuse = ctx.policy.filtered_out(found, s.filters)
        return s

    return run


def _gate(ctx: ChainContext):
    """Questions about the article itself are answered from its fields; the others may be refused from the
    passages alone."""

    def run(s: ChainState) -> ChainState:
        if s.refuse is not None:
            return s
        mode_name = ctx.llm_kind if s.mode == "llm" else "extractive"
        s.direct = metadata_answer(s.standalone, s.lang, s.passages, mode_name, ctx.get_article, ctx.chunks_of)
        if s.direct is None:
            s.direct = compare_answer(ctx, s, mode_name)  # "which came first?", "same month?": from dates
        if s.direct is None:
            # a date the passages' publication dates cover is not a missing figure
            given = s.passages[: ctx.settings.answer.context_passages]
            question = gate_question(s, given)
            # word-overlap checks read the question in the top passage's language (its translation, if it had one)
            s.refuse = ctx.policy.before_reading(question, s.passages, s.lang,
                                                 in_passage_language(question, given))
        return s

    return run


def _read(ctx: ChainContext):
    def run(s: ChainState) -> ChainState:
        if s.direct is not None or s.refuse is not None:
            return s
        t = time.perf_counter()
        given = s.passages[: ctx.settings.answer.context_passages]
        question = reading_question(s)
        s.reading = ctx.get_reader().read(question, given)
        weight = ctx.settings.reader.sentence_weight
        if weight and s.reading.candidates:  # the candidates re-ranked by their sentence's match with the question
            s.reading.candidates = with_sentence_match(question, given[: ctx.settings.reader.passages],
                                                       s.reading.candidates, weight, ctx.settings, ctx.embedder)
        s.reading.candidates = with_whole_dates(question, sorted(
            with_passage_order(s.reading.candidates, ctx.settings.reader), key=lambda c: -c.score), given)
        s.timings["read"] = time.perf_counter() - t
        s.refuse = ctx.policy.after_reading(s.reading, s.lang, given, s.passages)
        return s

    return run


def _beyond_period(ctx: ChainContext):
    """A question refused within a period read against ``as_of`` is retrieved, gated and read again over every
    article up to ``as_of`` (qa/time/retrieve.py: beyond_period_state); the retry is kept only when it answers."""
    again = [make(ctx) for make in (_retrieve, _gate, _read)]

    def run(s: ChainState) -> ChainState:
        retry = beyond_period_state(ctx, s)
        if retry is None:
            return s
        period = s.time.period
        for step in again:
            retry = step(retry)
        if retry.refuse is not None:
            return s
        retry.notes = list(dict.fromkeys(retry.notes)) + [time_message(
            "note_beyond", s.lang, period=show_period(period), as_of=s.time.as_of.isoformat())]
        return retry

    return run


def _span_in_question_script(s: ChainState) -> bool:
    """The reader's best span is written in the question's script family (CJK or not)."""
    return has_cjk(s.reading.best.text) == has_cjk(s.standalone)


def reader_answers(ctx: ChainContext, s: ChainState) -> bool:
    """llm mode takes the reader's span without generating: a confident span (``reader.llm_defer_margin``) in the
    question's script family. The generator is kept for answers in another language than their evidence."""
    r = s.reading
    if r is None or r.best is None or r.answer_margin is None:
        return False
    return r.answer_margin >= ctx.settings.reader.llm_defer_margin and _span_in_question_script(s)


def reader_overrules(ctx: ChainContext, s: ChainState, ans: Answer) -> bool:
    """The generator answered from another passage than the one holding the reader's best span, which the reader is
    sure enough of (``reader.llm_other_passage_margin``): the small generator then most often copied a look-alike
    sentence of another article (「傅聪是什么时候去世的？」 answered with another musician's death)."""
    r = s.reading
    if ans.refused or not ans.citations or r is None or r.best is None or r.answer_margin is None:
        return False
    cfg = ctx.settings.reader
    threshold = cfg.llm_other_passage_margin if s.lang.startswith("zh") else cfg.llm_other_passage_margin_en
    if r.answer_margin < threshold or not _span_in_question_script(s):
        return False
    best = s.passages[r.best.passage_index].chunk.id
    return all(c.chunk_id != best for c in ans.citations)


def _generate(ctx: ChainContext):
    def run(s: ChainState) -> ChainState:
        if s.direct is not None or s.refuse is not None or s.mode != "llm" or reader_answers(ctx, s):
            return s
        a = ctx.settings.answer
        given = s.passages[: a.context_passages]
        question = reading_question(s)
        s.evidence = select_evidence(question, given, a, ctx.embedder)
        pairs = short_messages(format_evidence(s.evidence, given), question, s.lang, a.few_shot,
                               a.model_reads_simplified)
        llm = ctx.get_llm()
        relay = _TokenRelay(s.on_token, s.lang, s.cancel, given, [e.text for e in s.evidence])
        stream = AnswerStream(relay.feed, on_close=relay.flush)

        def check_cancel() -> None:
            if s.cancel is not None and s.cancel.is_set():
                raise Cancelled()

        t = time.perf_counter()
        try:
            with ctx.llm_lock:
                t = time.perf_counter()
                usage = generate_short(llm, pairs, a.short_answer_max_tokens, stream, check_cancel)
                relay.flush()
                s.tokens_in = usage.get("in") or count_tokens(llm, "\n".join(c for _, c in pairs[-1:]))
                s.tokens_out = usage.get("out") or count_tokens(llm, stream.raw)
        except Cancelled:
            raise
        except Exception as e:  # noqa: BLE001 - a failing model falls back to quoting the articles
            s.notes.append(message("note_llm_error", s.lang, error=f"{type(e).__name__}: {e}"[:200]))
            s.llm_failed = True
        s.timings["generate"] = time.perf_counter() - t
        if relay.first_at is not None:
            s.timings["first_token"] = relay.first_at - s.t0
        s.reply = parse_reply(stream.raw, stream.p_empty, stream.span_min)
        return s

    return run


def _extractive(ctx: ChainContext, s: ChainState, notes: list[str]) -> Answer:
    """The reader's best span, cited, with its sentence quoted; a refusal when the reader found none."""
    given = s.passages[: ctx.settings.answer.context_passages]
    if s.reading is not None and s.reading.best is not None:
        if has_cjk(s.reading.best.text) != s.lang.startswith("zh"):  # the span as written, its figures converted
            notes = notes + [message("note_extractive_lang", s.lang)]
        ans = span_answer(s, given, s.reading.best, "extractive", notes)
        if s.on_token is not None and s.mode != "llm":
            s.on_token(ans.text)
        return ans
    return refused_answer(s.question, s.passages, s.lang, "extractive", notes)


def _from_reply(ctx: ChainContext, s: ChainState, mode_name: str) -> Answer:
    """The llm-mode answer from the model's short reply: cited span, quoted sentence, refusal or extractive."""
    a = ctx.settings.answer
    given = s.passages[: a.context_passages]
    reply = s.reply
    if reply is None or not reply.parsed:
        return _extractive(ctx, s, s.notes + [message("note_fallback", s.lang)])
    action, note = ctx.policy.after_generation(reply, s.standalone, given, s.lang)
    if action == "refuse":
        return refused_answer(s.question, s.passages, s.lang, mode_name, s.notes + [note])
    if action == "quote":
        return _extractive(ctx, s, s.notes + [note])
    ans = short_answer(s, given, mode_name)
    if ans is None:
        return _extractive(ctx, s, s.notes + [message("note_short_unsupported", s.lang)])
    return ans


def _finish(ctx: ChainContext):
    def run(s: ChainState) -> Answer:
        mode_name = ctx.llm_kind if s.mode == "llm" else "extractive"
        if s.direct is not None:
            ans = s.direct
        elif s.refuse is not None:
            ans = refused_answer(s.question, s.passages, s.lang, mode_name, s.notes + [s.refuse])
        elif s.mode != "llm" or s.llm_failed:
            ans = _extractive(ctx, s, list(s.notes))
        elif s.reply is None and reader_answers(ctx, s):
            ans = span_answer(s, s.passages[: ctx.settings.answer.context_passages], s.reading.best, mode_name,
                              list(s.notes))
            if s.on_token is not None:
                s.on_token(ans.text)
        else:
            ans = _from_reply(ctx, s, mode_name)
            s.reader_overruled = reader_overrules(ctx, s, ans)
            if s.reader_overruled:
                ans = span_answer(s, s.passages[: ctx.settings.answer.context_passages], s.reading.best, mode_name,
                                  list(s.notes))
        if s.on_token is not None and s.mode == "llm" and ans.refused is False and not s.timings.get("first_token"):
            s.timings["first_token"] = time.perf_counter() - s.t0
        ans.standalone_question = s.standalone or s.question
        ans.lang = s.lang
        ans.passages = s.passages if not ans.refused and s.direct is None else ans.passages
        ans.tokens_in, ans.tokens_out = s.tokens_in, s.tokens_out
        if s.reading is not None:
            ans.reader_margin = s.reading.answer_margin
        ans.answered_by = _answered_by(s, ans)
        if s.reply is not None:
            ans.no_answer_p, ans.span_p = s.reply.p_empty, s.reply.span_min
        ans.timings = {**s.timings, "total": time.perf_counter() - s.t0}
        return finish_time(ctx, s, ans)

    return run


def _answered_by(s: ChainState, ans: Answer) -> str:
    if ans.refused:
        return ""
    if s.direct is not None:
        return "metadata"
    if ans.short_answer and s.reply is not None and s.reply.answer and ans.mode != "extractive" \
            and not s.reader_overruled:
        return "generator"
    return "reader" if ans.short_answer else "quote"


# The steps in order, each (name, factory(ctx) -> callable); `build_chain` and `AnswerSteps` compose the same ones.
STEPS = (("prepare", _prepare), ("rewrite", _rewrite), ("retrieve", _retrieve), ("gate", _gate), ("read", _read),
         ("beyond_period", _beyond_period), ("generate", _generate), ("verify", _finish))


class AnswerSteps:
    """The chain's steps called one after the other, with the runnable's ``invoke``: what `Assistant.ask` runs, so
    that a CLI start does not import ``langchain_core.runnables`` (about 0.7 CPU s). Same steps, same `Answer`."""

    def __init__(self, ctx: ChainContext) -> None:
        self.steps = [(name, make(ctx)) for name, make in STEPS]

    def invoke(self, request: dict | ChainState, config: Any = None) -> Answer:
        out: Any = request
        for _, step in self.steps:
            out = step(out)
        return out


def build_chain(ctx: ChainContext):
    """The LangChain runnable: invoke it with {"question", "history", "mode", "k", "filters", "on_token",
    "cancel"} -> `Answer`."""
    from langchain_core.runnables import RunnableLambda

    first, *rest = [RunnableLambda(make(ctx), name=name) for name, make in STEPS]
    for step in rest:
        first = first | step
    return first
