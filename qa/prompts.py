"""Prompts for the short-answer and follow-up rewriting calls.

Kept short: the local 1.5B model reads about 100-150 prompt tokens a second on 2 cores. The system message and the
worked examples are the same on every call, so llama.cpp reuses its KV cache for that prefix; everything that
varies (the evidence sentences and the question) comes after it.
"""
from __future__ import annotations

from typing import Sequence

from articleqa.text import has_cjk, to_simplified
from qa.citations import strip_markers

REWRITE_SYSTEM = (
    "Rewrite the user's follow-up question as a standalone question, replacing pronouns with the names they refer "
    "to in the conversation. Reply with the rewritten question only, in the language of the follow-up."
)

# Short answers (evidence first): the model returns JSON of SHORT_SCHEMA's shape; the local model is held to it by
# qa.reader's grammar (the same replies as llama.cpp's own schema mode, tests/test_no_answer_probe.py).
SHORT_SYSTEM = (
    "Answer the question from the numbered sentences only.\n"
    'Reply with JSON: {"answer": "<the shortest span that answers the question: a name, number, date, place or '
    'short phrase, copied from one sentence>", "source": <the number of that sentence>}.\n'
    "Answer in the language of the question: for an English question about Chinese sentences, translate the span "
    "into English.\n"
    'If no sentence answers the question, reply {"answer": "", "source": 0}.'
)

SHORT_SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string"}, "source": {"type": "integer"}},
    "required": ["answer", "source"],
}

SHORT_INSTRUCTION = {
    "zh-Hant": "請用繁體中文,只回覆 JSON。",
    "zh-Hans": "请用简体中文,只回复 JSON。",
    "en": "Reply with JSON only; the answer in English.",
}


def short_user(evidence_text: str, question: str, lang: str) -> str:
    return f"{evidence_text}\n\nQuestion: {question.strip()}\n{SHORT_INSTRUCTION.get(lang, SHORT_INSTRUCTION['en'])}"


def model_reads(text: str, simplified: bool) -> str:
    """``text`` as the model is given it: Chinese in Simplified script when ``simplified`` (see
    ``answer.model_script``), otherwise unchanged."""
    return to_simplified(text) if simplified and has_cjk(text) else text


def model_lang(lang: str, simplified: bool) -> str:
    """The language the model is asked to answer in: a Traditional Chinese question read in Simplified script is
    answered in Simplified (the span is copied from the Simplified sentence and mapped back to the article's)."""
    return "zh-Hans" if simplified and lang == "zh-Hant" else lang


def short_prefix(few_shot: bool, simplified: bool = False) -> list[tuple[str, str]]:
    """The fixed head of every short-answer prompt: the system message and the worked examples."""
    from qa.fewshot import EXAMPLES
    from qa.language import question_lang

    pairs = [("system", SHORT_SYSTEM)]
    if few_shot:
        for ev, q, reply in EXAMPLES:
            lang = model_lang(question_lang(q), simplified)
            pairs += [("human", short_user(model_reads(ev, simplified), model_reads(q, simplified), lang)),
                      ("ai", model_reads(reply, simplified))]
    return pairs


def short_messages(evidence_text: str, question: str, lang: str, few_shot: bool,
                   simplified: bool = False) -> list[tuple[str, str]]:
    """(role, content) pairs for the short-answer call: the fixed prefix, then the evidence and the question."""
    user = short_user(model_reads(evidence_text, simplified), model_reads(question, simplified),
                      model_lang(lang, simplified))
    return short_prefix(few_shot, simplified) + [("human", user)]


def rewrite_messages(question: str, history: Sequence[tuple[str, str]], turns_kept: int = 2,
                     answer_chars: int = 160) -> list[tuple[str, str]]:
    """(role, content) pairs for rewriting a follow-up into a standalone question (settings.answer.history_turns /
    history_chars)."""
    turns = []
    for user, assistant in list(history)[-turns_kept:]:
        a = " ".join(strip_markers(assistant or "").split())
        if len(a) > answer_chars:
            a = a[:answer_chars] + "…"
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
