"""When to say "the articles don't say": weak retrieval evidence, or the model saying it cannot find the answer.

The evidence threshold is ``settings.answer.min_dense_score``, the best passage's e5 cosine with the question.
Both it and ``min_lexical_overlap`` were calibrated on answerable DRCD dev questions against questions from another
corpus (CMRC 2018 dev) asked of the DRCD index; see bench/refusal_calibration.py and settings.py.
"""
from __future__ import annotations

import re

from articleqa.settings import Settings
from articleqa.text import has_cjk, normalize_for_match
from articleqa.types import Answer, Passage
from qa.language import message

# What the prompt asks the model to reply, exactly, when the passages lack the answer.
REFUSAL_TOKEN = "NOT_FOUND"

# Phrases small models use instead of the token (compared after Simplified conversion and lower-casing).
_REFUSAL_PATTERNS = [
    r"not[_ ]found",
    r"没有(?:提到|提及|提供|说明|相关|给出|明确|关于|涉及|找到|记载|资料|信息|数据)",
    r"未(?:提到|提及|提供|说明|给出|明确|找到|涉及|记载|披露)",
    r"(?:无法|不能|难以)(?:回答|确定|找到|得知|判断|提供)",
    r"找不到",
    r"并未(?:提到|提及|说明)",
    r"不(?:知道|清楚)",
    r"\b(?:do|does|did)(?: not|n['’]t) (?:say|mention|state|provide|contain|specify|include)",
    r"\bnot (?:mentioned|stated|provided|specified|given|available|found|included)",
    r"\bno (?:information|mention|data|answer)\b",
    r"\b(?:cannot|can['’]t|unable to) (?:find|answer|determine|tell)",
    r"\bthe articles don['’]t say",
]
_REFUSAL_RE = re.compile("|".join(_REFUSAL_PATTERNS), re.IGNORECASE)


def best_dense_score(passages: list[Passage]) -> float | None:
    scores = [p.dense_score for p in passages if p.dense_score is not None]
    return max(scores) if scores else None


def cross_lingual(question: str, passages: list[Passage]) -> bool:
    """An English question over Chinese passages, or the reverse (e5 cosines run lower across languages)."""
    return bool(passages) and has_cjk(question) != has_cjk(" ".join(p.chunk.text[:200] for p in passages[:3]))


def dense_threshold(settings: Settings, question: str = "", passages: list[Passage] | None = None) -> float:
    a = settings.answer
    if question and passages and cross_lingual(question, passages):
        return a.min_dense_score_cross_lingual
    if question and not has_cjk(question):
        return a.min_dense_score_en
    return a.min_dense_score


def weak_evidence(passages: list[Passage], settings: Settings, question: str = "") -> bool:
    """True when there are no passages or the best dense cosine is below ``settings.answer.min_dense_score``
    (``min_dense_score_cross_lingual`` when the question and the passages are in different languages), unless a
    passage sentence matches the question's words strongly (``quote_over_model_refusal``)."""
    if not passages:
        return True
    from qa.cross_lingual import is_mixed, weak_evidence_by_pair

    if is_mixed(passages):  # passages found through the question's translation: each pair's own floor
        return weak_evidence_by_pair(passages, settings, question)
    best = best_dense_score(passages)
    if best is None or best >= dense_threshold(settings, question, passages):
        return False
    # A short, generic question ("這篇文章的作者是誰?") can sit far from every passage in embedding space while one
    # sentence plainly answers it ("作者:周琦 | ..."): a strong word match keeps it, above the cross-lingual floor.
    from qa.extractive import lexical_support

    a = settings.answer
    if best < a.min_dense_score_cross_lingual or not question:
        return True
    return lexical_support(question, passages[: a.context_passages]) < a.quote_over_model_refusal


def missing_question_figures(question: str, passages: list[Passage]) -> list[str]:
    """Figures and dates the question names that none of the passages contain ("2019年" in "京東金融2019年的營收是
    多少?" over an article that never mentions 2019): the answer cannot be in them. Quoted names are left out
    (articles often word them differently)."""
    from qa.grounding import unsupported_claims

    return unsupported_claims(_DECADE.sub("", question), passages, kinds=("num", "pct", "times", "date"))


# "60年代" names a decade without its century ("1950、60年代" over "1950年代至1960年代"): not checkable as a figure.
_DECADE = re.compile(r"(?<![\d.])[1-9]0\s*(?:年代|'s|s\b)")


def is_refusal(text: str) -> bool:
    """The model said the passages do not contain the answer (the token, or a phrase meaning it)."""
    t = normalize_for_match(text or "")
    return bool(_REFUSAL_RE.search(t))


def model_refused(text: str) -> tuple[bool, str]:
    """(refused, text without the refusal token). The model refused when every sentence with content says the
    passages lack the answer; an answer that also says what it could not find ("...是陳生強[1]。文章沒有提到他的年齡。")
    is not a refusal."""
    from qa.citations import split_sentences, strip_markers

    content = False
    for s in split_sentences(text or ""):
        body = strip_markers(s.text)
        if len(re.findall(r"\w", body)) >= 2 and not is_refusal(body):
            content = True
            break
    cleaned = re.sub(REFUSAL_TOKEN + r"[.。]?", "", text or "", flags=re.IGNORECASE).strip()
    return (not content), cleaned


def refused_answer(
    question: str,
    passages: list[Passage],
    lang: str,
    mode: str,
    notes: list[str] | None = None,
    related: int = 3,
) -> Answer:
    """ "The articles don't say" in the question's language, with the closest passages as related reading."""
    return Answer(
        question=question,
        text=message("not_found", lang),
        citations=[],
        refused=True,
        mode=mode,
        notes=list(notes or []),
        passages=list(passages[:related]),
        lang=lang,
    )


def weak_overlap(question: str, passages: list[Passage], settings: Settings) -> bool:
    """No sentence of ``passages`` shares enough with a same-language question (``settings.answer.
    min_lexical_overlap``), or the passages lack too many of its content words (``min_question_coverage``): the
    passages are near the question in embedding space but not about what it asks. Not applied across languages,
    where questions share no words with the passages."""
    from qa.extractive import lexical_support, question_coverage

    if not passages or cross_lingual(question, passages):
        return False
    a = settings.answer
    if a.min_question_coverage > 0 and question_coverage(question, passages) < a.min_question_coverage:
        return True
    floor = a.min_lexical_overlap if has_cjk(question) else a.min_lexical_overlap_en
    return lexical_support(question, passages, a) < floor


def weak_evidence_note(passages: list[Passage], settings: Settings, lang: str, question: str = "") -> str:
    best = best_dense_score(passages)
    if not passages or best is None:
        return message("note_no_passages", lang)
    return message("note_weak_evidence", lang, score=best, threshold=dense_threshold(settings, question, passages))


# Questions whose answer must be a number or a year (matched after Simplified conversion and lower-casing).
_ASKS_NUMBER = re.compile(r"\bhow (?:many|much)\b|\b(?:what|which) year\b|\bin what year\b|多少|几[个年次位名人岁]|"
                          r"哪一年|哪年|几年|何年")
_NUMBER = re.compile(r"\d|[一二两三四五六七八九十百千万亿零〇]")


def missing_asked_figure(question: str, passages: list[Passage], settings: Settings) -> bool:
    """The question asks for a number or a year, and none of the sentences that match it best holds one (near-miss
    questions: the article is about the subject, the asked figure is not there). ``settings.answer.figure_gate``."""
    from qa.extractive import score_sentences
    from qa.language import question_lang

    a = settings.answer
    if not a.figure_gate or not passages or not _ASKS_NUMBER.search(normalize_for_match(question)):
        return False
    if question_lang(question) not in a.figure_gate_languages:
        return False
    ranked = sorted(score_sentences(question, passages, a), key=lambda r: -r.lexical)
    if not ranked:
        return False
    best = ranked[0].lexical
    close = [r for r in ranked[: a.figure_gate_sentences] if r.lexical >= a.figure_gate_share * best]
    texts = [r.text for r in close]
    if a.figure_gate_neighbours:
        texts += [t for r in close for t in _neighbour_texts(passages[r.passage_index].chunk.text, r.start)]
    return not any(_NUMBER.search(t) for t in texts)


def _neighbour_texts(text: str, start: int) -> list[str]:
    """The sentences just before and after the one starting at ``start`` (a paragraph often gives the year in the
    sentence before the one that matches the question: 「嘉靖七年二月,王守仁率兵抵達南寧。王守仁於是派遣...」)."""
    from qa.citations import split_sentences

    sents = split_sentences(text)
    at = next((i for i, s in enumerate(sents) if s.start == start), None)
    if at is None:
        return []
    return [sents[i].text for i in (at - 1, at + 1) if 0 <= i < len(sents)]
