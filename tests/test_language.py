"""Question language, conversion of answers to the question's script, localized strings."""
from __future__ import annotations

from articleqa.text import detect_lang
from qa.language import message, not_found, question_lang, to_answer_script


def test_question_language():
    assert question_lang("京東金融的CEO是誰?") == "zh-Hant"
    assert question_lang("京东金融的个人用户数量超过多少?") == "zh-Hans"
    assert question_lang("How many risk-control models has JD Finance built?") == "en"


def test_answers_follow_the_question_script():
    assert to_answer_script("京东金融的CEO是陈生强[1]。", "zh-Hant") == "京東金融的CEO是陳生強[1]。"
    assert to_answer_script("京東金融的CEO是陳生強[1]。", "zh-Hans") == "京东金融的CEO是陈生强[1]。"
    mixed = "京东金融在2017年實現单季盈利"
    assert to_answer_script(mixed, "zh-Hant") == "京東金融在2017年實現單季盈利"
    assert to_answer_script("JD Finance CEO is 陳生強", "en") == "JD Finance CEO is 陳生強"


def test_fixed_strings_are_localized():
    assert detect_lang(not_found("zh-Hant")) == "zh-Hant"
    assert detect_lang(not_found("zh-Hans")) == "zh-Hans"
    assert not_found("en") == "The articles don't say."
    assert not_found("xx") == not_found("en")
    assert "0.700" in message("note_weak_evidence", "en", score=0.7, threshold=0.8)
    assert detect_lang(message("note_fallback", "zh-Hant")) == "zh-Hant"


def test_questions_naming_figures_the_passages_lack():
    from qa.refusal import missing_question_figures
    from tests.test_grounding import seed_passages

    assert missing_question_figures("京東金融2019年的營收是多少?", seed_passages()) == ["2019年"]
    assert missing_question_figures("京東金融2017年實現單季盈利了嗎?", seed_passages()) == []
    assert missing_question_figures("京東金融的CEO是誰?", seed_passages()) == []
