"""The refusal gates' edge cases found on the tuning split: a decade without its century, the year in the sentence
before the one matching the question, a short answer that only echoes the question."""
from __future__ import annotations

from articleqa.settings import load_settings
from articleqa.types import Chunk, Passage
from qa.refusal import missing_asked_figure, missing_question_figures
from qa.short_answer import echoes_question


def _passage(text: str) -> Passage:
    return Passage(chunk=Chunk(id="a:0", article_id="a", ordinal=0, text=text, start=0, end=len(text)), title="",
                   score=1.0, dense_score=0.9)


def test_a_decade_without_its_century_is_not_a_missing_figure():
    p = [_passage("灣仔向海的方向則有戰後1950年代至1960年代香港紅燈區所在地的駱克道、謝斐道。")]
    assert missing_question_figures("謝斐道和哪一條街道是1950、60年代灣仔的紅燈區?", p) == []
    assert missing_question_figures("謝斐道和哪一條街道是1970年代灣仔的紅燈區?", p) != []


def test_the_year_in_the_sentence_before_the_match_keeps_the_question():
    text = ("嘉靖七年二月，王守仁率湖廣兵抵達南寧。王守仁於是派遣大臣商議，並命廣西副使翁素襲剿斷藤峽叛軍。"
            "此後仍然總督兩廣軍務。")
    q = "王守仁在哪一年派廣西副使翁素襲剿斷藤峽叛軍?"
    on = load_settings()
    off = on.with_overrides({"answer.figure_gate_neighbours": False})
    assert on.answer.figure_gate_neighbours is True
    assert missing_asked_figure(q, [_passage(text)], off) is True
    assert missing_asked_figure(q, [_passage(text)], on) is False


def test_a_year_nowhere_near_the_match_still_refuses():
    text = ("王守仁率湖廣兵抵達南寧。當地居民夾道歡迎。王守仁於是派遣大臣商議，並命廣西副使翁素襲剿斷藤峽叛軍。"
            "叛軍很快潰散。此後仍然總督兩廣軍務。他在1528年病逝。")
    q = "王守仁在哪一年派廣西副使翁素襲剿斷藤峽叛軍?"
    assert missing_asked_figure(q, [_passage(text)], load_settings()) is True


def test_an_answer_that_echoes_the_question_is_no_answer():
    q = "什麼數值與單位面積的能量相乘就會是總能量?"
    assert echoes_question("單位面積的能量", q)
    assert not echoes_question("整個表面積", q)
    assert not echoes_question("", q)
    assert not echoes_question("茶", "他喜歡喝茶還是咖啡?")
    assert echoes_question("The lamp", "When was the lamp converted?")


def test_a_bare_number_gets_the_unit_its_sentence_gives_it():
    from qa.short_answer import with_unit

    assert with_unit("1946", "外蒙古於1946年1月5日獨立。") == "1946年"
    assert with_unit("20", "共有20萬人參加。") == "20萬人"
    assert with_unit("19", "在1946年,共有19人。") == "19人"  # not the "19" inside 1946
    assert with_unit("46", "外蒙古於1946年獨立,46人反對。") == "46人"
    assert with_unit("1933", "The bridge opened in 1933.") == "1933"
    assert with_unit("林美華", "店主林美華原本是老師。") == "林美華"


def test_the_figure_gate_applies_to_the_languages_it_was_tuned_for():
    text = "The lighthouse was built by the harbour authority. It still stands on the cape."
    q = "In what year was the lighthouse built?"
    on = load_settings()
    assert "en" not in on.answer.figure_gate_languages
    assert missing_asked_figure(q, [_passage(text)], on) is False
    assert missing_asked_figure(q, [_passage(text)], on.with_overrides({"answer.figure_gate_languages": ["en"]}))


def test_a_number_is_not_supported_by_a_longer_number_holding_its_digits():
    from qa.short_answer import supporting_sentence
    from qa.state import EvidenceSentence

    ev = [EvidenceSentence(1, 0, 0, 40, "Among the logo's many variants was a 1977 ID sequence."),
          EvidenceSentence(2, 0, 41, 80, "The logo is shown in four variants.")]
    assert supporting_sentence("19", 1, ev) is None
    assert supporting_sentence("1977", 2, ev) is ev[0]
    assert supporting_sentence("four variants", 1, ev) is ev[1]


def test_the_models_own_refusal_probability_refuses_only_when_switched_on():
    from qa.refusal import RefusalPolicy
    from qa.state import ShortReply

    unsure = ShortReply("1922年", 1, "{}", p_empty=3e-4)
    sure = ShortReply("1922年", 1, "{}", p_empty=2e-6)
    off = RefusalPolicy(load_settings())
    on = RefusalPolicy(load_settings().with_overrides({"answer.no_answer_p": 1e-4}))

    def refused(policy, reply, lang):
        return policy.after_generation(reply, "q", [], lang)[0] == "refuse"

    assert not refused(off, unsure, "zh-Hant")
    assert refused(on, unsure, "zh-Hant") and refused(on, unsure, "zh-Hans")
    assert not refused(on, sure, "zh-Hant")
    assert not refused(on, unsure, "en")  # not tuned for English
    assert not refused(on, ShortReply("x", 1, "{}"), "zh-Hant")  # another backend: no probability
