"""The short-answer call: schema-constrained JSON from the local model (llama.cpp's JSON-schema grammar), so the
reply always parses; other chat models (an OpenAI-compatible endpoint) are asked for the same JSON and parsed
leniently. The answer span streams out as it is generated."""
from __future__ import annotations

import json
import re
from typing import Any, Callable

from qa.prompts import SHORT_SCHEMA
from qa.state import ShortReply

_ANSWER_OPEN = re.compile(r'"answer"\s*:\s*"')
_CLOSING_QUOTE = re.compile(r'(?<!\\)"')


def answer_value(raw: str) -> tuple[str | None, bool]:
    """The JSON reply's "answer" value as written so far (still escaped; None before its opening quote) and whether
    its closing quote has come."""
    m = _ANSWER_OPEN.search(raw)
    if m is None:
        return None, False
    body = raw[m.end():]
    end = _CLOSING_QUOTE.search(body)
    return (body[: end.start()], True) if end is not None else (body, False)


class AnswerStream:
    """Feeds the characters of the JSON reply's "answer" value to ``emit`` as they arrive."""

    def __init__(self, emit: Callable[[str], None] | None) -> None:
        self.emit = emit
        self.raw = ""
        self.sent = 0  # characters of the decoded value already emitted
        self.closed = False
        self.p_empty: float | None = None  # the local model's probability of an empty answer
        self.span_min: float | None = None  # its least confident token of the answer it wrote

    def feed(self, piece: str) -> None:
        self.raw += piece
        if self.emit is None or self.closed:
            return
        body, self.closed = answer_value(self.raw)
        if body is None:
            return
        if not self.closed and body.endswith("\\"):
            body = body[:-1]
        try:
            value = json.loads(f'"{body}"')
        except ValueError:
            return
        if len(value) > self.sent:
            self.emit(value[self.sent:])
            self.sent = len(value)


def parse_reply(raw: str, p_empty: float | None = None, span_min: float | None = None) -> ShortReply:
    """The reply as JSON, or the first {...} in it; an unparsable reply has ``parsed`` False."""
    for cand in (raw, *(m.group(0) for m in re.finditer(r"\{.*?\}", raw or "", re.S))):
        try:
            d = json.loads(cand)
        except (ValueError, TypeError):
            continue
        if isinstance(d, dict):
            try:
                source = int(d.get("source") or 0)
            except (TypeError, ValueError):
                source = 0
            return ShortReply(str(d.get("answer") or "").strip(), source, raw, p_empty=p_empty, span_min=span_min)
    return ShortReply("", 0, raw, parsed=False, p_empty=p_empty, span_min=span_min)


_closing_ids: dict[int, Any] = {}


def _closing_quote_ids(client: Any):
    """The ids of the tokens whose text starts with ``"``: one of them right after ``"answer": "`` is an empty
    answer (the model's refusal). Scanned once per model (about 0.3 s over Qwen's 151k tokens)."""
    key = id(client)
    if key not in _closing_ids:
        import numpy as np

        n_vocab = client.n_vocab()
        ids = [i for i in range(n_vocab) if client.detokenize([i]).startswith(b'"')]
        _closing_ids[key] = np.asarray(ids, dtype=np.int64)
    return _closing_ids[key]


class EmptyAnswerProbe:
    """A llama.cpp logits processor that watches the answer's value being generated (greedily; it changes nothing):

    - ``p_empty``: at the value's first token, the probability of closing it at once (an empty answer, "the
      sentences don't say"), a refusal confidence that costs no extra model call;
    - ``span_probs``: the probability the model gave each token of the answer it wrote (its confidence in the span).
    """

    def __init__(self, client: Any) -> None:
        self.client = client
        self.prompt_len: int | None = None
        self.p_empty: float | None = None
        self.span_probs: list[float] = []
        self._in_value = False
        self._last = None  # the previous step's probabilities, to read the chosen token's
        self._quote_ids = _closing_quote_ids(client)

    def __call__(self, input_ids, scores):
        import numpy as np

        if self.prompt_len is None:
            self.prompt_len = len(input_ids)
        if self._in_value and self._last is not None:
            self.span_probs.append(float(self._last[input_ids[-1]]))
        made = self.client.detokenize(list(input_ids[self.prompt_len:])).decode("utf-8", "ignore")
        body, closed = answer_value(made)
        opened = body == "" and not closed
        self._in_value = body is not None and not closed
        if self._in_value:
            p = np.exp(scores - scores.max())
            p /= p.sum()
            self._last = p
            if opened and self.p_empty is None:
                self.p_empty = float(p[self._quote_ids].sum())
        return scores

    @property
    def span_min(self) -> float | None:
        return min(self.span_probs) if self.span_probs else None


def _llama_client(llm: Any):
    client = getattr(llm, "client", None)
    return client if client is not None and hasattr(client, "create_chat_completion") else None


def _roles(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    names = {"system": "system", "human": "user", "ai": "assistant"}
    return [{"role": names[r], "content": c} for r, c in pairs]


def generate_short(llm: Any, pairs: list[tuple[str, str]], max_tokens: int, stream: AnswerStream,
                   check_cancel: Callable[[], None]) -> dict[str, int]:
    """Run the short-answer call, feeding ``stream``; returns token usage when the model reports it. With the local
    model, ``stream.p_empty`` is set to the model's probability of an empty answer (`EmptyAnswerProbe`)."""
    client = _llama_client(llm)
    usage: dict[str, int] = {}
    if client is not None:
        from llama_cpp import LogitsProcessorList

        probe = EmptyAnswerProbe(client)
        chunks = client.create_chat_completion(
            messages=_roles(pairs), max_tokens=max_tokens, temperature=0.0, stream=True,
            response_format={"type": "json_object", "schema": SHORT_SCHEMA},
            logits_processor=LogitsProcessorList([probe]),
        )
        for ch in chunks:
            check_cancel()
            delta = ch["choices"][0].get("delta", {}).get("content") or ""
            stream.feed(delta)
        stream.p_empty, stream.span_min = probe.p_empty, probe.span_min
        return usage
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    kinds = {"system": SystemMessage, "human": HumanMessage, "ai": AIMessage}
    msgs = [kinds[r](content=c) for r, c in pairs]
    model = llm.bind(max_tokens=max_tokens) if hasattr(llm, "bind") else llm
    for chunk in model.stream(msgs):
        check_cancel()
        content = getattr(chunk, "content", chunk)
        stream.feed(content if isinstance(content, str) else str(content))
        if getattr(chunk, "usage_metadata", None):
            usage = {"in": int(chunk.usage_metadata.get("input_tokens", 0)),
                     "out": int(chunk.usage_metadata.get("output_tokens", 0))}
    return usage


def count_tokens(llm: Any, text: str) -> int:
    client = getattr(llm, "client", None)
    tok = getattr(client, "tokenize", None)
    if tok is not None:
        try:
            return len(tok(text.encode("utf-8"), add_bos=False, special=True))
        except Exception:  # noqa: BLE001 - a count is not worth failing an answer for
            pass
    return max(1, len(text) // 2) if text else 0
