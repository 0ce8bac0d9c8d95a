"""OpenAI chat completions over `Answer`s: messages -> (question, history); an Answer -> a completion or SSE chunks.

The content is the answer with its [n] markers, then numbered footnotes ("Sources:\n[1] title: “quote”").
Structured, the same comes in the extra top-level field ``articleqa`` (on the last chunk when streaming):
``text``, ``citations``, ``refused``, ``notes``, ``mode``, ``question``, ``standalone_question``, ``lang``,
``passages`` (title, article and chunk ids, score), ``timings`` and ``stream_replaced``.

Streaming sends tokens as they are generated. The checks after generation may still change the answer (a sentence
dropped, a fallback to quoting the articles); when the final text is not what was streamed, the last content
chunk is "\n\n---\n" followed by the final text, and ``articleqa.stream_replaced`` is true.
"""
from __future__ import annotations

import json
import logging
import re
import secrets
import time
from typing import Any, Iterable, Iterator

from articleqa.types import Answer
from interfaces.api.errors import ApiError, error_body
from interfaces.api.schemas import ChatMessage

log = logging.getLogger("articleqa.api")

SOURCES_LABELS = ("Sources", "來源", "来源")
_FOOTNOTES = re.compile(r"\n\n(?:" + "|".join(SOURCES_LABELS) + r"):\n\[\d+\][\s\S]*$")
_MARKERS = re.compile(r"\[\d+\]|\s+")
_MARKER = re.compile(r"\[\d+\]")
REPLACED_SEPARATOR = "\n\n---\n"


def content_text(content: str | list[dict[str, Any]] | None) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if part.get("type") in ("text", "input_text"))


def split_messages(messages: list[ChatMessage]) -> tuple[str, list[tuple[str, str]]]:
    """(question, history): the last user message, and the earlier user/assistant pairs without footnotes."""
    turns = [(m.role, content_text(m.content)) for m in messages if m.role in ("user", "assistant")]
    if not turns or turns[-1][0] != "user":
        raise ApiError(400, "messages: the last message must have the role 'user'")
    question = turns[-1][1].strip()
    if not question:
        raise ApiError(400, "messages: the last user message is empty")
    history: list[tuple[str, str]] = []
    asked: str | None = None
    for role, text in turns[:-1]:
        if role == "user":
            asked = text
        elif asked is not None:
            history.append((asked, _FOOTNOTES.sub("", text)))
            asked = None
    return question, history


def _in_lang(answer: Answer, c) -> str:
    """" (in Chinese (Traditional))" after a source in another language than the question, else ""."""
    from qa.language import LANG_NAMES, evidence_language_differs

    name = LANG_NAMES.get(c.lang or "")
    return f" (in {name})" if name and evidence_language_differs(answer.lang, c.lang) else ""


def footnotes(answer: Answer) -> str:
    if not answer.citations:
        return ""
    from qa.language import message

    label = message("sources", answer.lang if answer.lang in ("zh-Hant", "zh-Hans") else "en")
    lines = [f"[{c.n}] {c.title}: “{' '.join(c.quote.split())}”{f' ({c.date})' if c.date else ''}{_in_lang(answer, c)}"
             for c in sorted(answer.citations, key=lambda c: c.n)]
    return f"\n\n{label}:\n" + "\n".join(lines)


def extra(answer: Answer, stream_replaced: bool = False) -> dict[str, Any]:
    """The documented ``articleqa`` field."""
    return {
        "text": answer.text, "citations": [c.to_dict() for c in answer.citations], "refused": answer.refused,
        "notes": list(answer.notes), "mode": answer.mode, "question": answer.question,
        "standalone_question": answer.standalone_question, "lang": answer.lang,
        "passages": [{"title": p.title, "article_id": p.chunk.article_id, "chunk_id": p.chunk.id,
                      "score": round(float(p.score), 4), "date": p.date, "lang": p.lang}
                     for p in answer.passages],
        "as_of": answer.as_of,
        "timings": {k: round(v, 3) for k, v in answer.timings.items()}, "stream_replaced": stream_replaced,
    }


def usage(answer: Answer) -> dict[str, int]:
    return {"prompt_tokens": answer.tokens_in, "completion_tokens": answer.tokens_out,
            "total_tokens": answer.tokens_in + answer.tokens_out}


def new_id() -> str:
    return "chatcmpl-" + secrets.token_hex(12)


def completion(answer: Answer, model: str) -> dict[str, Any]:
    return {
        "id": new_id(), "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.text + footnotes(answer)},
                     "finish_reason": "stop", "logprobs": None}],
        "usage": usage(answer), "articleqa": extra(answer),
    }


def _chunk(cid: str, model: str, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"id": cid, "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}


def sse(obj: Any) -> str:
    return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"


def closing_text(streamed: str, answer: Answer) -> tuple[str, bool]:
    """What to send after the streamed tokens: (text, whether the streamed text was replaced)."""
    text = answer.text
    if text.startswith(streamed):
        return text[len(streamed):] + footnotes(answer), False
    same_words = _MARKERS.sub("", text) == _MARKERS.sub("", streamed)
    if same_words and _MARKER.findall(text) == _MARKER.findall(streamed):  # only spacing differs
        return footnotes(answer), False
    return REPLACED_SEPARATOR + text + footnotes(answer), True


def stream_completion(events: Iterable[dict | Answer], model: str, include_usage: bool = False) -> Iterator[str]:
    """SSE lines for ``events`` (from `Assistant.stream`); an error mid-stream becomes an ``error`` event."""
    cid = new_id()
    yield sse(_chunk(cid, model, {"role": "assistant", "content": ""}))
    streamed, answer = "", None
    try:
        for ev in events:
            if isinstance(ev, Answer):
                answer = ev
            elif isinstance(ev, dict) and ev.get("type") == "token" and ev.get("text"):
                streamed += ev["text"]
                yield sse(_chunk(cid, model, {"content": ev["text"]}))
    except ApiError as e:
        yield sse(error_body(e.status, e.message))
        yield "data: [DONE]\n\n"
        return
    except Exception as e:  # noqa: BLE001 - the status line is gone; the client gets an error event
        log.exception("streaming an answer failed")
        yield sse(error_body(500, f"internal error ({type(e).__name__}); details are in the server log"))
        yield "data: [DONE]\n\n"
        return
    if answer is None:
        return
    tail, replaced = closing_text(streamed, answer)
    if tail:
        yield sse(_chunk(cid, model, {"content": tail}))
    last = _chunk(cid, model, {}, "stop")
    last["articleqa"] = extra(answer, replaced)
    if include_usage:
        last["usage"] = usage(answer)
    yield sse(last)
    yield "data: [DONE]\n\n"
