"""A short answer, then its evidence: the model's span is accepted only when the sentence it cites supports it.

Support: the span (normalised: Simplified script, folded width, lower case, no punctuation or spaces) is inside
the cited evidence sentence, or inside another evidence sentence (the citation then moves there). A span in another
language than its sentence (an English answer from a Chinese sentence) is accepted when every figure in it is in
that sentence. A span that only repeats the question's words is no answer. Otherwise the answer falls back to
quoting the best sentences, as extractive mode does.
"""
from __future__ import annotations

import re

from articleqa.text import has_cjk, normalize_for_match, to_simplified
from articleqa.types import Answer, Chunk, Passage
from qa.answer_language import cross_language, figures_first, in_question_language, shown
from qa.citations import make_citation, strip_markers
from qa.figures import find_figures
from qa.grounding import unsupported_claims
from qa.language import to_answer_script
from qa.state import ChainState, EvidenceSentence

_DROP = re.compile(r"[\W_]+")


def squash(text: str) -> str:
    return _DROP.sub("", normalize_for_match(strip_markers(text or "")))


def _figures_in(span: str, sentence: str) -> bool:
    probe = Passage(chunk=Chunk(id="s", article_id="", ordinal=0, text=sentence, start=0, end=len(sentence)))
    return not unsupported_claims(span, [probe])


_CHOICE = re.compile(r"還是|还是|或者|\bor\b|\bwhether\b", re.IGNORECASE)


def echoes_question(span: str, question: str) -> bool:
    """The span only repeats words of the question (「單位面積的能量」 for 「什麼數值與單位面積的能量相乘...?」): no answer.
    A choice question ("X or Y?") is exempt: its answer is in it."""
    key = squash(span)
    return bool(key) and key in squash(question) and not _CHOICE.search(question)


def _whole_at(text: str, key: str) -> int:
    """Where ``key`` stands in ``text`` with a figure as a whole number ("19" is not in "1977"), or -1."""
    at = text.find(key) if key else -1
    while at >= 0:
        end = at + len(key)
        if not (key[0].isdigit() and at > 0 and text[at - 1].isdigit()) and \
                not (key[-1].isdigit() and end < len(text) and text[end].isdigit()):
            return at
        at = text.find(key, at + 1)
    return -1


def supporting_sentence(span: str, source: int, evidence: list[EvidenceSentence]) -> EvidenceSentence | None:
    """The evidence sentence that supports ``span`` (the cited one first), or None."""
    key = squash(span)
    if not key:
        return None
    cited = [e for e in evidence if e.n == source]
    for e in cited + [e for e in evidence if e.n != source]:
        if _whole_at(squash(e.text), key) >= 0:
            return e
    for e in cited:
        if has_cjk(span) != has_cjk(e.text) and _figures_in(span, e.text):
            return e
    return None


# A figure's unit in Chinese text: 「1946年」, 「20萬人」, 「3公里」 (the model often drops it: "1946").
_UNIT_AFTER = re.compile(r"(?:[年月日號号時时分秒歲岁人名個个位次倍元萬万億亿%％度]|公里|公尺|公斤|平方公里|世紀|世纪|年代)+")


def with_unit(span: str, sentence: str) -> str:
    """A span ending in a digit, completed with the unit that follows it in its sentence: "1946" -> "1946年"."""
    span = span.strip()
    if not span or not span[-1].isdigit():
        return span
    at = _whole_at(sentence, span)
    if at < 0:
        return span
    m = _UNIT_AFTER.match(sentence, at + len(span))
    return span + m.group(0) if m else span


def in_sentence_script(span: str, sentence: str, simplified: str | None = None) -> str:
    """The span as its sentence writes it: a Simplified span read from a Traditional sentence (the model reads
    Simplified, ``answer.model_script``) becomes the sentence's own characters at the same place. ``simplified``:
    the sentence in Simplified script, when the caller has it already."""
    if not span or span in sentence or not has_cjk(span):
        return span
    simplified = to_simplified(sentence) if simplified is None else simplified
    at = simplified.find(span)
    if at < 0 or len(simplified) != len(sentence):
        return span
    return sentence[at: at + len(span)]


def original_wording(reading, cited: EvidenceSentence, answer: str) -> str:
    """The span of the cited sentence that the answer renders: the reader's best candidate inside it, else the
    sentence's figure (with the unit that follows it) of the same value as the answer's; "" when neither."""
    wants_figure = bool(find_figures(answer))
    for c in getattr(reading, "candidates", None) or []:
        if c.passage_index == cited.passage_index and cited.start <= c.start and c.end <= cited.end:
            text = c.text.strip(" \t\n,，、;；:：。.!！?？")
            if text and (find_figures(text) or not wants_figure):
                return text
    values = {f.value for f in find_figures(answer)}
    for f in find_figures(cited.text):
        if f.value in values:
            return with_unit(f.raw, cited.text)
    return ""


def quote_block(quote: str, lang: str) -> str:
    q = " ".join(quote.split())
    return f"「{q}」" if lang.startswith("zh") else f"\u201c{q}\u201d"


def short_answer(s: ChainState, given: list[Passage], mode_name: str) -> Answer | None:
    """The cited short answer with its quote beneath, or None when no evidence sentence supports the span (the
    caller then quotes the best sentences, as extractive mode does: on the DRCD tuning split that held the gold
    answer for 11 of 15 such questions, quoting the sentence the model cited for 7)."""
    reply = s.reply
    assert reply is not None
    if echoes_question(reply.answer, s.standalone or s.question):
        return None
    answer, original = reply.answer, ""
    cited = next((e for e in s.evidence if e.n == reply.source), None)
    if cited is not None and cross_language(answer, cited.text):  # in the question's language, not the passage's
        answer, original = in_question_language(answer, original_wording(s.reading, cited, answer), s.lang, given)
    e = supporting_sentence(answer, reply.source, s.evidence)
    if e is None:
        return None
    span = answer if original else with_unit(in_sentence_script(answer, e.text), e.text)
    span = to_answer_script(span, s.lang, e.text if span in e.text else None)
    n = e.passage_index + 1
    cite = make_citation(n, given[e.passage_index], e.start, e.end)
    quote = to_answer_script(cite.quote, s.lang) if s.lang.startswith("zh") else cite.quote
    head = shown(span, original)
    sep = "" if has_cjk(span) else " "
    text = f"{head}{sep}[{n}]\n{quote_block(quote, s.lang)}"
    return Answer(question=s.question, text=text, citations=[cite], refused=False, mode=mode_name,
                  notes=list(s.notes), passages=s.passages, lang=s.lang, short_answer=span)


_SPAN_EDGES = " \t\n,，、;；:：。.!！?？"


def span_answer(s: ChainState, given: list[Passage], candidate, mode_name: str, notes: list[str]) -> Answer:
    """The span reader's answer: its span as the passage writes it, cited, the sentence holding it quoted beneath."""
    from qa.citations import split_sentences

    passage = given[candidate.passage_index]
    text = passage.chunk.text
    sent = next((x for x in split_sentences(text) if x.start <= candidate.start < x.end), None)
    start, end = (sent.start, max(sent.end, candidate.end)) if sent else (candidate.start, candidate.end)
    n = candidate.passage_index + 1
    cite = make_citation(n, passage, start, end)
    span = with_unit(candidate.text.strip(_SPAN_EDGES) or candidate.text, text[start:end])
    span, original = figures_first(to_answer_script(span, s.lang, text), s.lang)
    quote = to_answer_script(cite.quote, s.lang, text) if s.lang.startswith("zh") else cite.quote
    head = shown(span, original)
    sep = "" if has_cjk(span) else " "
    out = f"{head}{sep}[{n}]\n{quote_block(quote, s.lang)}"
    return Answer(question=s.question, text=out, citations=[cite], refused=False, mode=mode_name,
                  notes=list(notes), passages=s.passages, lang=s.lang, short_answer=span)
