"""Exact match and F1, as the datasets' own scripts compute them.

English follows SQuAD 1.1's ``evaluate-v1.1.py`` exactly: ``normalize_answer`` (lower case, drop
``string.punctuation``, drop the articles a/an/the, collapse white space), token-overlap F1 with ``Counter``, and
the maximum over the gold answers.

Chinese follows CMRC 2018's ``cmrc2018_evaluate.py``: ``mixed_segmentation`` (every CJK character is a token,
runs of other characters are word-tokenised), F1 from ``find_lcs`` (the longest common *contiguous* run of
tokens: precision = lcs/len(prediction), recall = lcs/len(gold)), EM on ``remove_punctuation`` strings, maximum over
the gold answers. Three deliberate additions, because our answers mix scripts and widths:

- both sides are converted to Simplified (``articleqa.text.to_simplified``) so Traditional and Simplified agree;
- the punctuation set is the official ``sp_char`` list *plus* every ASCII punctuation mark and every Unicode
  punctuation character (full-width ``，`` and ASCII ``,`` both go; the official list misses ``...`` and ``.``);
- EM also removes internal white space (the official script only strips the ends).

On inputs whose punctuation is all in the official list and that hold no internal spaces the scores equal the
official script's. ``nltk.word_tokenize`` (used by the official script on non-CJK runs) is replaced by a split
on white space: with all punctuation already removed that is what it does to letters and digits.
"""
from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from typing import Iterable

from articleqa.text import to_simplified

from .base import ANSWER_MODES, Metric, QuestionResult

# ---------------------------------------------------------------- English: SQuAD 1.1

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_ASCII_PUNCT = frozenset(string.punctuation)


def normalize_answer(s: str) -> str:
    """SQuAD 1.1: lower text and remove punctuation, articles and extra white space."""

    def remove_articles(text: str) -> str:
        return _ARTICLES.sub(" ", text)

    def white_space_fix(text: str) -> str:
        return " ".join(text.split())

    def remove_punc(text: str) -> str:
        return "".join(ch for ch in text if ch not in _ASCII_PUNCT)

    return white_space_fix(remove_articles(remove_punc(s.lower())))


def squad_f1(prediction: str, ground_truth: str) -> float:
    prediction_tokens = normalize_answer(prediction).split()
    ground_truth_tokens = normalize_answer(ground_truth).split()
    common = Counter(prediction_tokens) & Counter(ground_truth_tokens)
    return _f1(sum(common.values()), len(prediction_tokens), len(ground_truth_tokens))


def _f1(overlap: int, n_prediction: int, n_gold: int) -> float:
    """Harmonic mean of overlap / n_prediction and overlap / n_gold (0 without overlap)."""
    if overlap == 0:
        return 0.0
    precision = overlap / n_prediction
    recall = overlap / n_gold
    return (2 * precision * recall) / (precision + recall)


def squad_em(prediction: str, ground_truth: str) -> float:
    return 1.0 if normalize_answer(prediction) == normalize_answer(ground_truth) else 0.0


# ---------------------------------------------------------------- Chinese: CMRC 2018

# The official list, in its order ('……' is two characters, so a per-character test never matches it).
OFFICIAL_SP_CHAR = [
    "-", ":", "_", "*", "^", "/", "\\", "~", "`", "+", "=",
    "，", "。", "：", "？", "！", "“", "”", "；", "’", "《", "》", "……", "·", "、",
    "「", "」", "（", "）", "－", "～", "『", "』",
]
_OFFICIAL_SET = frozenset(OFFICIAL_SP_CHAR)
_CMRC_CJK = re.compile(r"[\u4e00-\u9fa5]")


def is_punct(ch: str) -> bool:
    """Official sp_char, ASCII punctuation, or any Unicode punctuation (category P*)."""
    return ch in _OFFICIAL_SET or ch in _ASCII_PUNCT or unicodedata.category(ch).startswith("P")


def _word_tokenize(s: str) -> list[str]:
    return s.split()


def _zh_prepare(s: str) -> str:
    return to_simplified(str(s)).lower().strip()


def mixed_segmentation(in_str: str, rm_punc: bool = False) -> list[str]:
    """CJK characters one token each; other runs word-tokenised (official logic, extended punctuation)."""
    in_str = _zh_prepare(in_str)
    segs_out: list[str] = []
    temp_str = ""
    for char in in_str:
        if rm_punc and is_punct(char):
            continue
        if _CMRC_CJK.search(char) or is_punct(char):
            if temp_str != "":
                segs_out.extend(_word_tokenize(temp_str))
                temp_str = ""
            segs_out.append(char)
        else:
            temp_str += char
    if temp_str != "":
        segs_out.extend(_word_tokenize(temp_str))
    return segs_out


def remove_punctuation(in_str: str) -> str:
    """Punctuation and (our addition) all white space removed, Simplified, lower case."""
    in_str = _zh_prepare(in_str)
    return "".join(ch for ch in in_str if not is_punct(ch) and not ch.isspace())


def find_lcs(s1: list[str], s2: list[str]) -> tuple[list[str], int]:
    """Longest common contiguous run of tokens (the official dynamic programme)."""
    m = [[0] * (len(s2) + 1) for _ in range(len(s1) + 1)]
    mmax = 0
    p = 0
    for i in range(len(s1)):
        for j in range(len(s2)):
            if s1[i] == s2[j]:
                m[i + 1][j + 1] = m[i][j] + 1
                if m[i + 1][j + 1] > mmax:
                    mmax = m[i + 1][j + 1]
                    p = i + 1
    return s1[p - mmax : p], mmax


def cmrc_f1(prediction: str, answer: str) -> float:
    ans_segs = mixed_segmentation(answer, rm_punc=True)
    prediction_segs = mixed_segmentation(prediction, rm_punc=True)
    _, lcs_len = find_lcs(ans_segs, prediction_segs)
    return _f1(lcs_len, len(prediction_segs), len(ans_segs))


def cmrc_em(prediction: str, answer: str) -> float:
    return 1.0 if remove_punctuation(answer) == remove_punctuation(prediction) else 0.0


# ---------------------------------------------------------------- dispatch


def _max_over(fn, prediction: str, golds: Iterable[str]) -> float | None:
    scores = [fn(prediction, g) for g in golds]
    return max(scores) if scores else None


def is_english(lang: str) -> bool:
    return (lang or "").lower().startswith("en")


def exact_match(prediction: str, golds: Iterable[str], lang: str) -> float | None:
    """Max EM over the gold answers with the scorer for ``lang``; None when there is no gold answer."""
    return _max_over(squad_em if is_english(lang) else cmrc_em, prediction, golds)


def f1(prediction: str, golds: Iterable[str], lang: str) -> float | None:
    return _max_over(squad_f1 if is_english(lang) else cmrc_f1, prediction, golds)


def contains_answer(prediction: str, golds: Iterable[str], lang: str) -> float | None:
    """1 when some normalised gold answer is a substring of the normalised prediction (long answers' EM)."""
    golds = list(golds)
    if not golds:
        return None
    if is_english(lang) and not _CMRC_CJK.search(prediction):  # an English question may get a Chinese quote
        pred = f" {normalize_answer(prediction)} "
        hits = [g for g in (normalize_answer(x) for x in golds) if g and f" {g} " in pred]
    else:
        pred = remove_punctuation(prediction)
        hits = [g for g in (remove_punctuation(x) for x in golds) if g and g in pred]
    return 1.0 if hits else 0.0


_MARKERS = re.compile(r"\s*[\[【]\s*\d+(?:\s*[,，、]\s*\d+)*\s*[\]】]")


def _figure_answer(gold: str) -> list[float]:
    """The values of a gold answer that is a figure (eval's own reader, `figures.extract`: 500亿, 50 billion, 1966年):
    its figures, when what is left beside them is at most a unit (3 characters without punctuation and space, or
    one English word); else []."""
    from .figures import extract

    found = extract(gold)
    if not found:
        return []
    rest = remove_punctuation(gold)
    for raw, _, _ in found:
        rest = rest.replace(remove_punctuation(raw), "", 1)
    words = normalize_answer(re.sub(r"[\d.,]+", " ", gold)).split()
    short = len(rest) <= 3 or (not _CMRC_CJK.search(gold) and len(words) <= 1)
    return [round(v, 6) for _, v, _ in found] if short else []


def holds_gold(prediction: str, golds: Iterable[str]) -> float | None:
    """1 when the prediction holds a gold answer in either language: the gold as written (``contains_answer``
    under the English and under the Chinese normalisation), or, for a gold answer that is a figure, a figure of the
    same value (an English "50 billion" for 500亿; ``figures.extract``, not the product's converter)."""
    from .figures import extract

    golds = [g for g in golds if g and g.strip()]
    if not golds:
        return None
    if contains_answer(prediction, golds, "en") or contains_answer(prediction, golds, "zh"):
        return 1.0
    have = {round(v, 6) for _, v, _ in extract(prediction)}
    return 1.0 if any((vals := _figure_answer(g)) and set(vals) <= have for g in golds) else 0.0


class _AnswerMetric(Metric):
    family = "answer_match"
    modes = ANSWER_MODES

    def value(self, r: QuestionResult) -> float | None:
        if not r.answerable or not r.answers:
            return None
        return self.score(self.text(r), r.answers, r.lang)

    def text(self, r: QuestionResult) -> str:
        return r.short_text

    def score(self, prediction: str, golds: list[str], lang: str) -> float | None:
        raise NotImplementedError


class ExactMatch(_AnswerMetric):
    name = "em"
    label = "exact match"

    def score(self, prediction, golds, lang):
        return exact_match(prediction, golds, lang)


class F1(_AnswerMetric):
    name = "f1"
    label = "F1"

    def score(self, prediction, golds, lang):
        return f1(prediction, golds, lang)


class ContainsAnswer(_AnswerMetric):
    name = "answer_contains"
    label = "short answer (or quoted answer) contains a gold answer"

    def score(self, prediction, golds, lang):
        return contains_answer(prediction, golds, lang)


class ShownContainsAnswer(ContainsAnswer):
    """The whole shown answer, the quote beneath the short answer included (lenient: the quote is the evidence)."""

    name = "shown_contains"
    label = "answer or its quote contains a gold answer"
    gate = False

    def text(self, r: QuestionResult) -> str:
        return _MARKERS.sub(" ", r.answer_text)


class HoldsGold(_AnswerMetric):
    """Cross-lingual answers (an English question answered from a Chinese article keeps the article's wording
    beside its own): a gold answer in either language, or a figure of the same value (`holds_gold`)."""

    name = "holds_gold"
    label = "short answer holds a gold answer (either language; figures by value)"
    gate = False

    def score(self, prediction, golds, lang):
        return holds_gold(prediction, golds)


METRICS: list[Metric] = [ExactMatch(), F1(), ContainsAnswer(), ShownContainsAnswer(), HoldsGold()]
