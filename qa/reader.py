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


class AnswerStream:
    """Feeds the characters of the JSON reply's "answer" value to ``emit`` as they arrive."""

    def __init__(self, emit: Callable[[str], None] | None) -> None:
        self.emit = emit
        self.raw = ""
        self.sent = 0  # characters of the decoded value already emitted
        self.closed = False

    def feed(self, piece: str) -> None:
        self.raw += piece
        if self.emit is None or self.closed:
            return
        m = _ANSWER_OPEN.search(self.raw)
        if m is None:
            return
        body = self.raw[m.end():]
        end = re.search(r'(?<!\\)"', body)
        if end is not None:
            body, self.closed = body[: end.start()], True
        elif body.endswith("\\"):
            body = body[:-1]
        try:
            value = json.loads(f'"{body}"')
        except ValueError:
            return
        if len(value) > self.sent:
            self.emit(value[self.sent:])
            self.sent = len(value)


def parse_reply(raw: str) -> ShortReply:
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
            return ShortReply(str(d.get("answer") or "").strip(), source, raw)
    return ShortReply("", 0, raw, parsed=False)


def _llama_client(llm: Any):
    client = getattr(llm, "client", None)
    return client if client is not None and hasattr(client, "create_chat_completion") else None


def _roles(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    names = {"system": "system", "human": "user", "ai": "assistant"}
    return [{"role": names[r], "content": c} for r, c in pairs]


def generate_short(llm: Any, pairs: list[tuple[str, str]], max_tokens: int, stream: AnswerStream,
                   check_cancel: Callable[[], None]) -> dict[str, int]:
    """Run the short-answer call, feeding ``stream``; returns token usage when the model reports it."""
    client = _llama_client(llm)
    usage: dict[str, int] = {}
    if client is not None:
        chunks = client.create_chat_completion(
            messages=_roles(pairs), max_tokens=max_tokens, temperature=0.0, stream=True,
            response_format={"type": "json_object", "schema": SHORT_SCHEMA},
        )
        for ch in chunks:
            check_cancel()
            delta = ch["choices"][0].get("delta", {}).get("content") or ""
            stream.feed(delta)
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
