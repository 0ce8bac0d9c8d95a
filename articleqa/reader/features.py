"""Question + passage -> model windows, shared by training and inference so that both cut text the same way.

A window is ``<s> question </s></s> passage-part </s>`` (the XLM-R pair layout the e5 encoder was trained
with). A passage longer than one window is read in overlapping windows sharing ``stride`` tokens. Position 0
(``<s>``) stands for "no answer", as in SQuAD 2.0 readers. Uses the ``tokenizers`` library only (no torch).
"""
from __future__ import annotations

from dataclasses import dataclass, field

MAX_LENGTH = 256  # tokens per window (question + passage + 4 special tokens)
STRIDE = 64  # tokens two windows of one passage share
MAX_QUESTION_TOKENS = 64


@dataclass(frozen=True)
class WindowSpec:
    max_length: int = MAX_LENGTH
    stride: int = STRIDE
    max_question_tokens: int = MAX_QUESTION_TOKENS


@dataclass
class Window:
    """One model input: token ids and, for each token, its character span in the passage (None outside it)."""

    pair: int  # index of the (question, passage) pair this window reads
    ids: list[int]
    offsets: list[tuple[int, int] | None] = field(default_factory=list)


def special_ids(tokenizer) -> tuple[int, int]:
    bos, eos = tokenizer.token_to_id("<s>"), tokenizer.token_to_id("</s>")
    if bos is None or eos is None:
        raise ValueError("reader tokenizer has no <s> / </s> tokens")
    return bos, eos


def windows(tokenizer, questions: list[str], passages: list[str], spec: WindowSpec = WindowSpec()) -> list[Window]:
    """Every window of every (question, passage) pair, in order. ``tokenizer`` is a ``tokenizers.Tokenizer``."""
    bos, eos = special_ids(tokenizer)
    q_enc = tokenizer.encode_batch([q.strip() for q in questions], add_special_tokens=False)
    p_enc = tokenizer.encode_batch(list(passages), add_special_tokens=False)
    out: list[Window] = []
    for pair, (q, p) in enumerate(zip(q_enc, p_enc)):
        q_ids = q.ids[: spec.max_question_tokens]
        budget = max(8, spec.max_length - len(q_ids) - 4)
        step = max(1, budget - spec.stride)
        head = [bos, *q_ids, eos, eos]
        n = len(p.ids)
        start = 0
        while True:
            end = min(n, start + budget)
            ids = head + p.ids[start:end] + [eos]
            offsets = [None] * len(head) + [tuple(o) for o in p.offsets[start:end]] + [None]
            out.append(Window(pair, ids, offsets))
            if end >= n:
                break
            start += step
    return out


def span_labels(window: Window, answer_start: int, answer_text: str) -> tuple[int, int]:
    """Start/end token of the answer when the window holds all of it, else (0, 0): "no answer"."""
    if not answer_text:
        return 0, 0
    s_char, e_char = answer_start, answer_start + len(answer_text)
    inside = [k for k, o in enumerate(window.offsets) if o is not None]
    if not inside or window.offsets[inside[0]][0] > s_char or window.offsets[inside[-1]][1] < e_char:
        return 0, 0
    start = next(k for k in inside if window.offsets[k][1] > s_char)
    end = next(k for k in reversed(inside) if window.offsets[k][0] < e_char)
    return (start, end) if end >= start else (0, 0)
