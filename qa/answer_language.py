"""An answer in the question's language, with the span as the passage writes it beside it where the two differ:
"Chen Shengqiang (陳生強) [1]", "over 500 risk-control models (500+個風控模型) [1]" (issue 24).

* llm mode: the generator is asked for the answer in the question's language (qa/prompts.py); the original wording
  is the span reader's best candidate inside the sentence the model cited (the reader reads every passage, in both
  modes), or failing that the figure of that sentence the answer states. Figures in the answer are the code's
  conversion of the original's (`qa.figures.restate_figures`), never the model's arithmetic.
* extractive mode: no generation (it is the fast mode, and the one without a generator), so the span stays as the
  passage writes it; only its figures are put into the question's language, by code: "50 billion (500億元) [1]".
  A model translation of the span would give up extractive mode's promise that its answer is copied, and cost a
  generator call.
* A name is never transliterated by guesswork: an answer that reads as a name (capitalised words, or Chinese for
  an English original) and that no given passage writes is replaced by the name as the passage writes it.
"""
from __future__ import annotations

import re

from articleqa.text import has_cjk, normalize_for_match
from articleqa.types import Passage
from qa.figures import figures_in_language, find_figures, restate_figures

_NAME_WORD = re.compile(r"^[A-Z][\w'’.\-]*$")
_LINKS = {"of", "de", "the", "and", "van", "von", "da", "du", "la", "le", "al", "bin", "y"}


def reads_as_name(text: str) -> bool:
    """A proper name in Latin script: one to six words, each capitalised (linking words aside), no digits."""
    words = (text or "").strip().split()
    if not words or len(words) > 6 or any(ch.isdigit() for ch in text) or has_cjk(text):
        return False
    return all(_NAME_WORD.match(w) or w.lower() in _LINKS for w in words) and bool(_NAME_WORD.match(words[0]))


def written_in(text: str, passages: list[Passage]) -> bool:
    """Whether some passage (its text or title) writes ``text`` (case, width and script folded)."""
    key = " ".join(normalize_for_match(text).lower().split())
    return bool(key) and any(key in " ".join(normalize_for_match(f"{p.title}\n{p.chunk.text}").lower().split())
                             for p in passages)


def cross_language(answer: str, sentence: str) -> bool:
    """The answer is in another script family than the sentence it comes from."""
    return bool(answer) and bool(sentence) and has_cjk(answer) != has_cjk(sentence)


def in_question_language(answer: str, original: str, lang: str, passages: list[Passage]) -> tuple[str, str]:
    """(the answer to show, the original wording to show beside it, or "" when there is none to add).

    ``answer`` is in the question's language ``lang``, ``original`` as the passage writes it."""
    if not original or not cross_language(answer, original):
        return answer, ""
    if find_figures(original):
        answer = restate_figures(answer, original, lang)
    elif not written_in(answer, passages) and (reads_as_name(answer) or reads_as_name(original)):
        return original, ""  # no English (or Chinese) form of this name in the evidence: the name as written
    return answer, original


def figures_first(span: str, lang: str) -> tuple[str, str]:
    """Extractive mode's answer for a span in another language than the question: (the span's figures in the
    question's language, the span as written), or (the span, "") when it holds no figure."""
    head = figures_in_language(span, lang) if has_cjk(span) != lang.startswith("zh") else ""
    return (head, span) if head else (span, "")


def shown(answer: str, original: str) -> str:
    """"over 500 risk-control models (500+個風控模型)"; the answer alone when there is no original to add."""
    if not original:
        return answer
    return f"{answer}（{original}）" if has_cjk(answer) else f"{answer} ({original})"
