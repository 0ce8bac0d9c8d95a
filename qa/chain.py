"""The answer chain, as LangChain runnables:

    {question, history} -> standalone question (LLM rewrite of follow-ups; skipped without history)
        -> retrieve -> refuse on weak evidence -> prompt with numbered passages -> generate (streaming)
        -> refusal / script / grounding / citation checks -> `Answer`

Each step is a ``RunnableLambda`` over one state dict, so the whole is ``prepare | rewrite | retrieve | generate |
finish``. Tokens stream through ``state["on_token"]`` (a callable) while the chain runs; `Assistant.stream` runs the
chain in a worker thread and turns those calls into events.

Timings (seconds): ``rewrite``, ``retrieve``, ``first_token`` (from the start of the request to the first streamed
token), ``generate`` (the generation call), ``total``.
"""
from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from articleqa.settings import Settings
from articleqa.types import Answer, Passage
from qa.citations import build_citations, normalize_markers
from qa.extractive import extractive_answer, lexical_support, order_for_context
from qa.grounding import check_answer, unsupported_claims
from qa.language import message, question_lang, to_answer_script
from qa.prompts import answer_messages, clean_rewrite, rewrite_messages
from qa.refusal import (
    REFUSAL_TOKEN,
    missing_question_figures,
    model_refused,
    refused_answer,
    weak_evidence,
    weak_evidence_note,
    weak_overlap,
)

TokenCallback = Callable[[str], None]


class Cancelled(Exception):
    """The consumer of a stream went away; generation stopped early."""


@dataclass
class ChainContext:
    """What the chain needs from its owner: retrieval, the (lazily loaded) chat model and its lock."""

    retrieve: Callable[[str, int], list[Passage]]
    settings: Settings
    get_llm: Callable[[], Any]  # the LangChain chat model, or None when none is configured
    llm_lock: Any  # a context manager serialising calls into the model
    llm_kind: str = "llm"  # "llm" (local llama.cpp) or "openai"
    embedder: Any = None
    extras: dict[str, Any] = field(default_factory=dict)


def _to_messages(pairs: list[tuple[str, str]]):
    from langchain_core.messages import HumanMessage, SystemMessage

    return [SystemMessage(content=c) if r == "system" else HumanMessage(content=c) for r, c in pairs]


def _count_tokens(llm: Any, text: str) -> int:
    client = getattr(llm, "client", None)
    tok = getattr(client, "tokenize", None)
    if tok is not None:
        try:
            return len(tok(text.encode("utf-8"), add_bos=False, special=True))
        except Exception:  # noqa: BLE001 - a count is not worth failing an answer for
            pass
    return max(1, len(text) // 2) if text else 0


def _chunk_text(chunk: Any) -> str:
    c = getattr(chunk, "content", chunk)
    if isinstance(c, list):
        return "".join(x.get("text", "") if isinstance(x, dict) else str(x) for x in c)
    return str(c or "")


# Where a figure, date or quoted name may begin: streaming holds back from here until the sentence is complete
# and checked against the passages.
_CLAIM_START = re.compile(r"[0-9０-９「『“\"《‘零〇一二两兩三四五六七八九十百千万萬亿億]")
_SENTENCE_END = re.compile(r"[。！？!?；;\n]|\.(?=\s)")


class _TokenRelay:
    """Forwards generated text to the callback in the question's script.

    It holds back output while it could still be the refusal token (so a refusal never flashes "NOT_FOUND"), and
    it holds back any sentence with a figure, date or quoted name until the sentence is complete and its claims are
    found in the given passages: a sentence that fails never reaches the screen, even for a moment.
    """

    def __init__(self, on_token: TokenCallback | None, lang: str, cancel: threading.Event | None,
                 passages: list[Passage] | None = None) -> None:
        self.on_token = on_token
        self.lang = lang
        self.cancel = cancel
        self.passages = passages or []
        self.text = ""
        self.sent = 0
        self.first_at: float | None = None

    def feed(self, piece: str) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled()
        if piece and self.first_at is None:
            self.first_at = time.perf_counter()
        self.text += piece
        if self.on_token is None:
            return
        head = self.text.lstrip()
        if REFUSAL_TOKEN.startswith(head[: len(REFUSAL_TOKEN)]) and len(head) <= len(REFUSAL_TOKEN) + 2:
            return  # may still be the refusal token
        if REFUSAL_TOKEN in head[: len(REFUSAL_TOKEN) + 2]:
            return
        self._release(final=False)

    def flush(self) -> None:
        if self.on_token is not None and REFUSAL_TOKEN not in self.text:
            self._release(final=True)

    def _emit(self, text: str) -> None:
        if text:
            self.on_token(to_answer_script(text, self.lang))

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


# ------------------------------------------------------------------------------------------------------- steps


def _prepare(ctx: ChainContext):
    def run(state: dict) -> dict:
        s = dict(state)
        s["t0"] = s.get("t0") or time.perf_counter()
        s["timings"] = {}
        s["notes"] = []
        s["lang"] = question_lang(s["question"])
        s["history"] = [tuple(h) for h in (s.get("history") or ())]
        mode = s.get("mode") or ctx.settings.answer.mode
        if mode not in ("llm", "extractive"):
            raise ValueError(f"mode {mode!r}: expected 'llm' or 'extractive'")
        if mode == "llm" and ctx.get_llm() is None:
            s["notes"].append(message("note_no_llm", s["lang"]))
            mode = "extractive"
        s["mode"] = mode
        return s

    return run


def _rewrite(ctx: ChainContext):
    def run(state: dict) -> dict:
        s = dict(state)
        question = s["question"].strip()
        s["standalone"] = question
        history = s["history"]
        if not history:
            return s
        t = time.perf_counter()
        if s["mode"] == "llm":
            llm = ctx.get_llm()
            msgs = _to_messages(rewrite_messages(question, history))
            with ctx.llm_lock:
                out = llm.bind(max_tokens=64).invoke(msgs) if hasattr(llm, "bind") else llm.invoke(msgs)
            standalone = clean_rewrite(_chunk_text(out), question)
        else:
            # no generation in extractive mode: let retrieval see the previous question as well
            standalone = f"{history[-1][0].strip()} {question}"
        s["standalone"] = standalone
        s["timings"]["rewrite"] = time.perf_counter() - t
        if standalone != question:
            s["notes"].append(message("note_rewritten", s["lang"], question=standalone))
        return s

    return run


def _retrieve(ctx: ChainContext):
    def run(state: dict) -> dict:
        s = dict(state)
        t = time.perf_counter()
        n_ctx = ctx.settings.answer.context_passages
        k = max(s.get("k") or ctx.settings.retrieval.top_k, 2 * n_ctx)
        # the passages the model (or the extractive answer) sees come first
        filters = s.get("filters")
        found = ctx.retrieve(s["standalone"], k) if filters is None else ctx.retrieve(s["standalone"], k, filters)
        s["passages"] = order_for_context(s["standalone"], found, n_ctx)
        s["timings"]["retrieve"] = time.perf_counter() - t
        s["refuse"] = None
        if not found and filters is not None and not filters.is_empty():
            s["refuse"] = f"No article matches the filter ({filters.describe()})."
        elif weak_evidence(s["passages"], ctx.settings, s["standalone"]):
            s["refuse"] = weak_evidence_note(s["passages"], ctx.settings, s["lang"], s["standalone"])
        elif weak_overlap(s["standalone"], s["passages"][:n_ctx], ctx.settings):
            # nothing in the passages is about what the question asks
            s["refuse"] = message("note_weak_overlap", s["lang"])
        else:
            missing = missing_question_figures(s["standalone"], s["passages"])
            if missing:
                s["refuse"] = message("note_missing_figures", s["lang"], figures=", ".join(missing))
        return s

    return run


def _generate(ctx: ChainContext):
    def run(state: dict) -> dict:
        s = dict(state)
        s["raw"] = None
        if s["refuse"] is not None or s["mode"] != "llm":
            return s
        given = s["passages"][: ctx.settings.answer.context_passages]
        pairs = answer_messages(s["standalone"], given, s["lang"])
        msgs = _to_messages(pairs)
        llm = ctx.get_llm()
        relay = _TokenRelay(s.get("on_token"), s["lang"], s.get("cancel"), given)
        t = time.perf_counter()
        try:
            with ctx.llm_lock:
                t = time.perf_counter()
                for chunk in llm.stream(msgs):
                    relay.feed(_chunk_text(chunk))
                    usage = getattr(chunk, "usage_metadata", None)
                    if usage:
                        s["usage"] = usage
                relay.flush()
                s["tokens_in"] = _count_tokens(llm, "\n".join(c for _, c in pairs)) if "usage" not in s else 0
                s["tokens_out"] = _count_tokens(llm, relay.text) if "usage" not in s else 0
        except Cancelled:
            raise
        except Exception as e:  # noqa: BLE001 - a failing model falls back to quoting the articles
            s["notes"].append(message("note_llm_error", s["lang"], error=f"{type(e).__name__}: {e}"[:200]))
            s["llm_failed"] = True
        end = time.perf_counter()
        s["timings"]["generate"] = end - t
        if relay.first_at is not None:
            s["timings"]["first_token"] = relay.first_at - s["t0"]
        usage = s.get("usage")
        if usage:
            s["tokens_in"] = int(usage.get("input_tokens", 0))
            s["tokens_out"] = int(usage.get("output_tokens", 0))
        s["raw"] = relay.text
        return s

    return run


def _extractive(ctx: ChainContext, s: dict, notes: list[str]) -> Answer:
    question = s["standalone"] if s["mode"] == "llm" else s["question"]
    if s.get("history") and s["mode"] != "llm":
        question = s["standalone"]
    lang = s["lang"]
    text, citations = extractive_answer(question, s["passages"], ctx.settings, embedder=ctx.embedder)
    if not text:
        return refused_answer(s["question"], s["passages"], lang, "extractive", notes)
    if lang == "en" and re.search(r"[\u3400-\u9fff]", text):
        notes.append(message("note_extractive_lang", lang))
    if s.get("on_token") is not None and s["mode"] != "llm":
        s["on_token"](to_answer_script(text, lang))
    return Answer(
        question=s["question"],
        text=to_answer_script(text, lang),
        citations=citations,
        refused=False,
        mode="extractive",
        notes=notes,
        passages=s["passages"],
        lang=lang,
    )


def _finish(ctx: ChainContext):
    def run(s: dict) -> Answer:
        lang = s["lang"]
        notes = list(s["notes"])
        mode_name = ctx.llm_kind if s["mode"] == "llm" else "extractive"
        if s["refuse"] is not None:
            ans = refused_answer(s["question"], s["passages"], lang, mode_name, notes + [s["refuse"]])
        elif s["mode"] != "llm" or s.get("llm_failed"):
            ans = _extractive(ctx, s, notes)
        else:
            given = s["passages"][: ctx.settings.answer.context_passages]
            refused, cleaned = model_refused(s["raw"] or "")
            if refused and lexical_support(s["standalone"], given) >= ctx.settings.answer.quote_over_model_refusal:
                notes.append(message("note_model_refused_quoting", lang))
                ans = _extractive(ctx, s, notes)
            elif refused:
                ans = refused_answer(s["question"], s["passages"], lang, mode_name,
                                     notes + [message("note_model_refused", lang)])
            else:
                text = to_answer_script(cleaned, lang)
                text, removed = normalize_markers(text, len(given))
                notes.extend(message("note_bad_citation", lang, n=n) for n in removed)
                checked = check_answer(text, given, lang)
                notes.extend(checked.notes)
                cited = build_citations(checked.text, given, s["standalone"]) if not checked.fallback else None
                if cited is None or not cited.citations:
                    notes.append(message("note_fallback", lang))
                    ans = _extractive(ctx, s, notes)
                else:
                    ans = Answer(
                        question=s["question"],
                        text=cited.text,
                        citations=cited.citations,
                        refused=False,
                        mode=mode_name,
                        notes=notes,
                        passages=s["passages"],
                        lang=lang,
                    )
        ans.standalone_question = s.get("standalone", s["question"])
        ans.lang = lang
        ans.passages = s["passages"] if not ans.refused else ans.passages
        ans.tokens_in = int(s.get("tokens_in") or 0)
        ans.tokens_out = int(s.get("tokens_out") or 0)
        timings = dict(s["timings"])
        timings["total"] = time.perf_counter() - s["t0"]
        ans.timings = timings
        return ans

    return run


def build_chain(ctx: ChainContext):
    """The runnable: invoke it with {"question", "history", "mode", "k", "on_token", "cancel"} -> `Answer`."""
    from langchain_core.runnables import RunnableLambda

    return (
        RunnableLambda(_prepare(ctx), name="prepare")
        | RunnableLambda(_rewrite(ctx), name="standalone_question")
        | RunnableLambda(_retrieve(ctx), name="retrieve")
        | RunnableLambda(_generate(ctx), name="generate")
        | RunnableLambda(_finish(ctx), name="check")
    )
