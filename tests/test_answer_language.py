"""Answers in the question's language from evidence in the other one (issue 24): figures converted by code
(qa/figures.py), the span shown as the passage writes it beside the answer, names never transliterated by guesswork
(qa/answer_language.py, qa/short_answer.py). Real seed-article text, the real grounding check; the model's reply
and the reader's candidate are given (tests/test_example_questions.py runs the real model)."""
from __future__ import annotations

import pytest

from articleqa.types import Chunk, Passage
from qa.answer_language import in_question_language, reads_as_name
from qa.citations import split_sentences
from qa.figures import english_figure, figures_in_language, find_figures, restate_figures
from qa.grounding import unsupported_claims
from qa.readers.base import Candidate, Reading
from qa.short_answer import short_answer, span_answer
from qa.state import ChainState, EvidenceSentence, ShortReply
from tests.test_grounding import SEED_PARAGRAPHS, TITLE

MODELS = SEED_PARAGRAPHS[5]  # ...京東金融已經構建起500+個風控模型...
VALUATION = SEED_PARAGRAPHS[4]  # ...估值近500億元...
CEO = SEED_PARAGRAPHS[6]  # ...京東金融CEO陳生強介紹說...
USERS_EN = "By the end of 2017 the service had 12 million users. Its loans reached 3.6 billion yuan."


@pytest.mark.parametrize("text, english", [
    ("500億", "50 billion"), ("3.5萬", "35,000"), ("1,200萬", "12 million"), ("三點六億元", "360 million"),
    ("500+個風控模型", "500+"), ("增長24倍", "24 times"), ("95%", "95%"), ("兩千萬", "20 million"),
    ("千億級", "100 billion"), ("1.2萬億", "1.2 trillion"), ("萬里長城", ""), ("2017年", "2017"),
])
def test_chinese_figures_in_english(text, english):
    assert figures_in_language(text, "en") == english


@pytest.mark.parametrize("text, simplified, traditional", [
    ("50 billion", "500亿", "500億"), ("35,000", "3.5万", "3.5萬"), ("12 million", "1200万", "1200萬"),
    ("3.6 billion yuan", "36亿", "36億"), ("24 times", "24倍", "24倍"), ("800", "800", "800"),
])
def test_english_figures_in_chinese(text, simplified, traditional):
    assert figures_in_language(text, "zh-Hans") == simplified
    assert figures_in_language(text, "zh-Hant") == traditional


def test_the_model_chooses_the_words_and_code_the_figures():
    assert restate_figures("5 billion yuan", "500億元", "en") == "50 billion yuan"  # the model's slip, corrected
    assert restate_figures("over 500 risk-control models", "500+個風控模型", "en") == "over 500 risk-control models"
    assert restate_figures("1200万用户", "12 million users", "zh-Hans") == "1200万用户"
    assert restate_figures("two figures 5 and 6", "500億", "en") == "two figures 5 and 6"  # no pairing: unchanged
    assert english_figure(find_figures("500+")[0]) == "500+"


def test_grounding_checks_a_converted_figure_against_the_evidence_figure():
    p = [_passage(VALUATION, "zh-Hant")]
    assert unsupported_claims("50 billion yuan (500億元)", p) == []
    assert unsupported_claims("5 billion yuan", p) == ["5 billion"]
    en = [_passage(USERS_EN, "en")]
    assert unsupported_claims("1200万用户（12 million users）", en) == []
    assert unsupported_claims("36亿元", en) == [] and unsupported_claims("3.6亿元", en) == ["3.6亿"]  # 3.6 billion


def test_names_are_never_transliterated_by_guesswork():
    assert reads_as_name("Chen Shengqiang") and reads_as_name("Bank of China")
    assert not reads_as_name("over 500 risk-control models") and not reads_as_name("陳生強")
    plain = [_passage(CEO, "zh-Hant")]
    assert in_question_language("Chen Shengqiang", "陳生強", "en", plain) == ("陳生強", "")
    glossed = [_passage(CEO.replace("陳生強", "陳生強(Chen Shengqiang)"), "zh-Hant")]
    assert in_question_language("Chen Shengqiang", "陳生強", "en", glossed) == ("Chen Shengqiang", "陳生強")
    # and the reverse: an English name given a Chinese form no passage writes
    assert in_question_language("切尔西", "Chelsea", "zh-Hans", [_passage("Chelsea won.", "en")]) == ("Chelsea", "")


def _passage(text: str, lang: str, n: int = 0) -> Passage:
    chunk = Chunk(id=f"a{n}:0", article_id=f"a{n}", ordinal=0, text=text, start=0, end=len(text))
    return Passage(chunk=chunk, title=TITLE if lang != "en" else "Service", score=1.0, dense_score=0.9, lang=lang)


def _state(question: str, lang: str, passage: Passage, span: str, reply: str) -> ChainState:
    """The chain's state after reading and generating: one evidence sentence (the one holding ``span``), the
    reader's candidate ``span`` in it, and the model's ``reply`` citing it."""
    text = passage.chunk.text
    sent = next(x for x in split_sentences(text) if span in x.text)
    at = text.index(span)
    s = ChainState(question=question, lang=lang, standalone=question, mode="llm", passages=[passage])
    s.evidence = [EvidenceSentence(1, 0, sent.start, sent.end, sent.text)]
    s.reading = Reading("span", [Candidate(span, 0, at, at + len(span), 5.0)], 3.0)
    s.reply = ShortReply(reply, 1, "")
    return s


def test_llm_answer_in_english_with_the_chinese_span_beside_it():
    q = "How many risk-control models has JD Finance built?"
    p = _passage(MODELS, "zh-Hant")
    ans = short_answer(_state(q, "en", p, "500+個風控模型", "over 500 risk-control models"), [p], "llm")
    assert ans.text.startswith("over 500 risk-control models (500+個風控模型) [1]\n"), ans.text
    assert ans.short_answer == "over 500 risk-control models" and ans.citations[0].quote in MODELS
    p = _passage(VALUATION, "zh-Hant")
    ans = short_answer(_state("What was JD Finance valued at?", "en", p, "500億元", "5 billion yuan"), [p], "llm")
    assert ans.text.startswith("50 billion yuan (500億元) [1]"), ans.text  # the figure is code's, not the model's
    assert unsupported_claims(ans.text, [p]) == []


def test_llm_answer_keeps_a_chinese_name_no_passage_writes_in_english():
    p = _passage(CEO, "zh-Hant")
    ans = short_answer(_state("Who is the CEO of JD Finance?", "en", p, "陳生強", "Chen Shengqiang"), [p], "llm")
    assert ans.text.startswith("陳生強[1]"), ans.text


def test_llm_answer_in_chinese_from_english_evidence():
    p = _passage(USERS_EN, "en")
    ans = short_answer(_state("这个服务有多少用户?", "zh-Hans", p, "12 million users", "1200万用户"), [p], "llm")
    assert ans.text.startswith("1200万用户（12 million users）[1]"), ans.text


def test_extractive_answer_converts_only_the_figures():
    p = _passage(VALUATION, "zh-Hant")
    s = _state("What was JD Finance valued at?", "en", p, "500億元", "")
    ans = span_answer(s, [p], s.reading.best, "extractive", [])
    assert ans.text.startswith("50 billion (500億元) [1]"), ans.text
    s = _state("Who is the CEO of JD Finance?", "en", _passage(CEO, "zh-Hant"), "陳生強", "")
    assert span_answer(s, s.passages, s.reading.best, "extractive", []).text.startswith("陳生強[1]")
    en = _passage(USERS_EN, "en")
    s = _state("这个服务有多少用户?", "zh-Hans", en, "12 million users", "")
    assert span_answer(s, [en], s.reading.best, "extractive", []).text.startswith("1200万（12 million users）[1]")


def test_extractive_pipeline_answers_an_english_question_from_the_chinese_article(tmp_path_factory):
    """The real pipeline on the bundled samples (no generator: the question's translation is given to the
    translator's cache as a reviewed one): the English question's answer is the Chinese span's figure in English,
    the span as written beside it, its citation in Traditional Chinese."""
    from articleqa.settings import load_settings
    from interfaces.webui.testing import build_sample_index, copy_index
    from qa import Assistant
    from qa.retrieval.translate import shared_translator

    shared = build_sample_index(tmp_path_factory.getbasetemp() / "aq-sample-index", load_settings())
    index = copy_index(shared, tmp_path_factory.mktemp("xl-extractive") / "index")
    settings = load_settings().with_overrides({"index_dir": str(index), "retrieval.translate_cache": False,
                                               "models.generator": "none"})
    question = "How many risk-control models has JD Finance built?"
    shared_translator(settings).remember(question, "zh", "京东金融建立了多少个风控模型？")
    a = Assistant.open(index, settings)
    try:
        ans = a.ask(question, mode="extractive")
    finally:
        a.close()
    assert not ans.refused and ans.text.startswith("500+ (500+個") and "[1]" in ans.text, ans.text
    assert ans.citations[0].lang == "zh-Hant" and "風控模型" in ans.citations[0].quote
    assert unsupported_claims(ans.text.split("\n")[0], ans.passages) == []
