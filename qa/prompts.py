"""Prompts for the answer and follow-up rewriting calls.

Kept short: the local 1.5B model reads about 100 prompt tokens a second on 2 cores. The system message is the same
on every call, so llama.cpp reuses its KV cache for that prefix; everything that varies comes after it.
"""
from __future__ import annotations

from typing import Sequence

from articleqa.types import Passage
from qa.citations import strip_markers
from qa.refusal import REFUSAL_TOKEN

ANSWER_SYSTEM = (
    "You answer questions using only the numbered passages given.\n"
    "- Use only facts written in the passages. Never guess numbers, dates or names.\n"
    "- Answer briefly: one or two short sentences, in the language of the question.\n"
    "- After each claim, write the number of the passage it comes from in brackets, like [1].\n"
    f"- If the passages do not contain the answer, reply exactly: {REFUSAL_TOKEN}"
)

REWRITE_SYSTEM = (
    "Rewrite the user's follow-up question as a standalone question, replacing pronouns with the names they refer "
    "to in the conversation. Reply with the rewritten question only, in the language of the follow-up."
)

HISTORY_TURNS = 2  # conversation turns the rewrite sees
HISTORY_CHARS = 160  # of each past answer


def format_passages(passages: Sequence[Passage]) -> str:
    lines = []
    for i, p in enumerate(passages, 1):
        text = " ".join(p.chunk.text.split())
        title = " ".join((p.title or "").split())
        lines.append(f"[{i}] {title}: {text}" if title else f"[{i}] {text}")
    return "\n".join(lines)


# The last line of the answer prompt, in the question's language: a small model follows an instruction written in
# the language it must answer in more reliably (measured on the seed questions: an English-only instruction made
# Qwen2.5-1.5B answer "NOT_FOUND" to s02, whose answer is in passage [1]).
ANSWER_INSTRUCTION = {
    "zh-Hant": f"請用繁體中文簡短回答,並在每個事實後標註段落編號,例如[1]。如果段落中沒有答案,只回覆 {REFUSAL_TOKEN}。",
    "zh-Hans": f"请用简体中文简短回答,并在每个事实后标注段落编号,例如[1]。如果段落中没有答案,只回复 {REFUSAL_TOKEN}。",
    "en": f"Answer briefly in English, with the passage number in brackets after each fact, like [1]. "
    f"If the passages do not contain the answer, reply only {REFUSAL_TOKEN}.",
}


def answer_messages(question: str, passages: Sequence[Passage], lang: str) -> list[tuple[str, str]]:
    """(role, content) pairs for the answer call: fixed system prefix, passages, question."""
    user = (
        f"Passages:\n{format_passages(passages)}\n\n"
        f"Question: {question.strip()}\n"
        f"{ANSWER_INSTRUCTION.get(lang, ANSWER_INSTRUCTION['en'])}"
    )
    return [("system", ANSWER_SYSTEM), ("human", user)]


def rewrite_messages(question: str, history: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """(role, content) pairs for rewriting a follow-up into a standalone question."""
    turns = []
    for user, assistant in list(history)[-HISTORY_TURNS:]:
        a = " ".join(strip_markers(assistant or "").split())
        if len(a) > HISTORY_CHARS:
            a = a[:HISTORY_CHARS] + "…"
        turns.append(f"User: {' '.join((user or '').split())}\nAssistant: {a}")
    user_msg = "Conversation:\n" + "\n".join(turns) + f"\n\nFollow-up: {question.strip()}\nStandalone question:"
    return [("system", REWRITE_SYSTEM), ("human", user_msg)]


def clean_rewrite(text: str, original: str) -> str:
    """The first non-empty line of the model's rewrite, without a label or quotes; the original when unusable."""
    for line in (text or "").splitlines():
        line = line.strip().strip("\"'「」“”")
        for label in ("Standalone question:", "Question:", "問題:", "问题:", "問題：", "问题："):
            if line.lower().startswith(label.lower()):
                line = line[len(label):].strip()
        if line:
            if len(line) > 4 * max(len(original), 20):
                return original
            return line
    return original
