"""The short-answer call: schema-constrained JSON from the local model (llama.cpp's JSON-schema grammar), so the
reply always parses; other chat models (an OpenAI-compatible endpoint) are asked for the same JSON and parsed
leniently. The answer span streams out as it is generated."""
from __future__ import annotations

import functools
import json
import re
from typing import Any, Callable

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
    """Feeds the characters of the JSON reply's "answer" value to ``emit`` as they arrive, and calls ``on_close``
    once the value's closing quote has come (the answer is whole before its sentence number is written)."""

    def __init__(self, emit: Callable[[str], None] | None, on_close: Callable[[], None] | None = None) -> None:
        self.emit = emit
        self.on_close = on_close
        self.raw = ""
        self.sent = 0  # characters of the decoded value already emitted
        self.closed = False
        self.p_empty: float | None = None  # the local model's probability of an empty answer
        self.span_min: float | None = None  # its least confident token of the answer it wrote

    def feed(self, piece: str) -> None:
        self.raw += piece
        if self.closed:
            return
        body, self.closed = answer_value(self.raw)
        if body is None:
            return
        if self.emit is not None:
            self._emit_value(body)
        if self.closed and self.on_close is not None:
            self.on_close()

    def _emit_value(self, body: str) -> None:
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


def closing_quote_ids(client: Any):
    """The ids of the tokens whose text starts with ``"``: one of them right after ``"answer": "`` is an empty
    answer (the model's refusal). Scanned once per model, at the warm-up (about 0.5 s over Qwen's 151k tokens)."""
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

    def __init__(self, client: Any, prefilled: str = "") -> None:
        self.client = client
        self.prefilled = prefilled  # the reply's start that is in the prompt, not generated
        self.prompt_len: int | None = None
        self.p_empty: float | None = None
        self.span_probs: list[float] = []
        self._in_value = False
        self._last = None  # the previous step's probabilities, to read the chosen token's
        self._quote_ids = closing_quote_ids(client)

    def __call__(self, input_ids, scores):
        import numpy as np

        if self.prompt_len is None:
            self.prompt_len = len(input_ids)
        if self._in_value and self._last is not None:
            self.span_probs.append(float(self._last[input_ids[-1]]))
        made = self.prefilled + self.client.detokenize(list(input_ids[self.prompt_len:])).decode("utf-8", "ignore")
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


# The local model's reply starts with this (it is part of the prompt, not generated: four tokens saved per answer),
# and REST_GRAMMAR holds it to the rest of SHORT_SCHEMA's JSON: the answer string, then the sentence number.
ANSWER_PREFILL = '{"answer": "'
REST_GRAMMAR = r"""
root ::= char* "\", \"source\": " [0-9] [0-9]? "}"
char ::= [^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F])
"""


@functools.lru_cache(maxsize=1)
def _rest_grammar():
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_string(REST_GRAMMAR, verbose=False)


@functools.lru_cache(maxsize=4)
def _chat_formatter(template: str, eos_token: str, bos_token: str):
    """The model's chat template, compiled once (compiling it costs about 8 ms, rendering it 0.02 ms)."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    return Jinja2ChatFormatter(template=template, eos_token=eos_token, bos_token=bos_token)


def chat_prompt_tokens(client: Any, messages: list[dict[str, str]]) -> list[int]:
    """``messages`` through the model's own chat template (as ``create_chat_completion`` renders them, so the
    cached prompt prefix still matches), then the assistant's turn opened and ``ANSWER_PREFILL``."""
    eos, bos = client.token_eos(), client.token_bos()
    formatter = _chat_formatter(client.metadata["tokenizer.chat_template"],
                                client._model.token_get_text(eos) if eos != -1 else "",
                                client._model.token_get_text(bos) if bos != -1 else "")
    text = formatter(messages=messages).prompt
    return (client.tokenize(text.encode("utf-8"), add_bos=False, special=True)
            + client.tokenize(ANSWER_PREFILL.encode("utf-8"), add_bos=False, special=False))


def _generate_local(client: Any, pairs: list[tuple[str, str]], max_tokens: int, stream: AnswerStream,
                    check_cancel: Callable[[], None]) -> None:
    from llama_cpp import LogitsProcessorList

    probe = EmptyAnswerProbe(client, prefilled=ANSWER_PREFILL)
    chunks = client.create_completion(
        prompt=chat_prompt_tokens(client, _roles(pairs)), max_tokens=max_tokens, temperature=0.0, stream=True,
        grammar=_rest_grammar(), logits_processor=LogitsProcessorList([probe]),
    )
    stream.feed(ANSWER_PREFILL)
    for ch in chunks:
        check_cancel()
        stream.feed(ch["choices"][0].get("text") or "")
        if stream.closed and stream.raw.rstrip().endswith("}"):
            break  # the grammar allows nothing more: spare the model one more step
    stream.p_empty, stream.span_min = probe.p_empty, probe.span_min


def generate_short(llm: Any, pairs: list[tuple[str, str]], max_tokens: int, stream: AnswerStream,
                   check_cancel: Callable[[], None]) -> dict[str, int]:
    """Run the short-answer call, feeding ``stream``; returns token usage when the model reports it. With the local
    model, ``stream.p_empty`` is set to the model's probability of an empty answer (`EmptyAnswerProbe`)."""
    client = _llama_client(llm)
    usage: dict[str, int] = {}
    if client is not None:
        _generate_local(client, pairs, max_tokens, stream, check_cancel)
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
