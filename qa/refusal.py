"""When to say "the articles don't say": weak retrieval evidence, nothing in the passages matching the question, or
a figure the question names or asks for missing from them.

The evidence threshold is ``settings.answer.min_dense_score``, the best passage's e5 cosine with the question.
Both it and ``min_lexical_overlap`` were calibrated on answerable DRCD dev questions against questions from another
corpus (CMRC 2018 dev) asked of the DRCD index; see bench/refusal_calibration.py and settings.py.
"""
from __future__ import annotations

import re

from articleqa.settings import Settings
from articleqa.text import has_cjk
from articleqa.types import Answer, Passage
from qa.language import message


class RefusalPolicy:
    """Every refusal decision of the answer chain, and its knobs (``settings.answer``, ``settings.reader``).

    - ``before_reading``: from the retrieved passages alone (no evidence, nothing matching, a named figure or the
      asked-for figure missing);
    - ``after_reading``: the span reader's no-answer margin (both modes);
    - ``after_generation``: the local model's own reply (an empty answer, or one it was unsure of).

    Each returns None (answer) or the note that says why not."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def filtered_out(self, found: list[Passage], filters) -> str | None:
        """Nothing is left once the request's filter is applied."""
        if not found and filters is not None and not filters.is_empty():
            return f"No article matches the filter ({filters.describe()})."
        return None

    def before_reading(self, question: str, passages: list[Passage], lang: str,
                       same_language_question: str | None = None) -> str | None:
        """``same_language_question``: the question in the passages' language (a translation), for the checks
        that compare words."""
        a = self.settings.answer
        given = passages[: a.context_passages]
        same = same_language_question or question
        if weak_evidence(passages, self.settings, question):
            return weak_evidence_note(passages, self.settings, lang, question)
        if weak_words(question, same, passages, given, self.settings):
            return message("note_weak_overlap", lang)
        missing = missing_question_figures(question, passages)
        if missing:
            return message("note_missing_figures", lang, figures=", ".join(missing))
        if missing_asked_figure(same, given, self.settings):
            return message("note_not_answerable", lang, kind=message("kind_figure", lang))
        return None

    def after_reading(self, reading, lang: str, given: list[Passage] | None = None,
                      found: list[Passage] | None = None) -> str | None:
        """The reader's best span scores less than ``reader.min_margin`` (``min_margin_en`` for a question without
        Chinese; the language pair's, `pair_margin`, for a span in a passage found through a translation, or in a
        passage of the question's language when cross-lingual retrieval gave ``found``, all the passages retrieved;
        ``given``: the passages read) above its no-answer score."""
        if reading is None or reading.answer_margin is None:
            return None
        from qa.cross_lingual import is_mixed, pair_margin

        r = self.settings.reader
        best = reading.best.passage_index if reading.best is not None else None
        threshold = pair_margin(self.settings, lang, given or [], best, is_mixed(found or given or []))
        if threshold is None:
            threshold = r.min_margin if lang.startswith("zh") else r.min_margin_en
        if reading.best is None or reading.answer_margin < threshold:
            margin = reading.answer_margin if reading.answer_margin > -1e9 else -99.0
            return message("note_reader_no_answer", lang, margin=margin, threshold=threshold)
        return None

    def after_generation(self, reply, question: str, given: list[Passage], lang: str) -> tuple[str, str | None]:
        """("answer", None), ("refuse", note) or ("quote", note): quote the best sentences instead of refusing when
        the model wrote no answer but a sentence matches the question strongly (``quote_over_model_refusal``)."""
        from qa.extractive import lexical_support

        a = self.settings.answer
        if (a.no_answer_p and reply.answer and reply.p_empty is not None and lang in a.no_answer_languages
                and reply.p_empty >= a.no_answer_p):
            return "refuse", message("note_model_unsure", lang)
        if not reply.answer:
            if lexical_support(question, given, a) >= a.quote_over_model_refusal:
                return "quote", message("note_model_refused_quoting", lang)
            return "refuse", message("note_model_refused", lang)
        return "answer", None


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


def weak_words(question: str, same: str, passages: list[Passage], given: list[Passage], settings: Settings) -> bool:
    """The word-overlap gate: `weak_overlap` with ``same`` (the question in the top passage's language), or, when
    cross-lingual retrieval gave the passages, each passage compared with the question it was found with
    (`qa.cross_lingual.weak_overlap_by_language`)."""
    from qa.cross_lingual import is_mixed, weak_overlap_by_language

    if is_mixed(passages):
        return weak_overlap_by_language(question, given, settings)
    return weak_overlap(same, given, settings)


def weak_evidence_note(passages: list[Passage], settings: Settings, lang: str, question: str = "") -> str:
    best = best_dense_score(passages)
    if not passages or best is None:
        return message("note_no_passages", lang)
    return message("note_weak_evidence", lang, score=best, threshold=dense_threshold(settings, question, passages))


_NUMBER = re.compile(r"\d|[一二两三四五六七八九十百千万亿零〇]")


def missing_asked_figure(question: str, passages: list[Passage], settings: Settings) -> bool:
    """The question asks for a number or a year, and none of the sentences that match it best holds one (near-miss
    questions: the article is about the subject, the asked figure is not there). ``settings.answer.figure_gate``."""
    from qa.extractive import asks_for_figure, score_sentences
    from qa.language import question_lang

    a = settings.answer
    if not a.figure_gate or not passages or not asks_for_figure(question, number_only=True):
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
