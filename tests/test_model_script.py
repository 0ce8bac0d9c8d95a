"""answer.model_script: the model reads Chinese in Simplified script, and its span comes back in the article's own
characters, streamed and final (real OpenCC conversion)."""
from __future__ import annotations

from articleqa.settings import load_settings
from articleqa.text import detect_lang, to_simplified, to_traditional
from qa.language import to_answer_script
from qa.prompts import SHORT_INSTRUCTION, short_messages
from qa.short_answer import in_sentence_script
from qa.streaming import _TokenRelay

EVIDENCE = "《淡水的古蹟》\n[1] 荷蘭人在1644年於原址重建了這座城堡。"
QUESTION = "荷蘭人在哪一年重建紅毛城?"


def _texts(pairs):
    return "\n".join(content for _, content in pairs)


def test_the_default_is_simplified():
    assert load_settings().answer.model_script == "simplified"


def test_simplified_the_model_reads_no_traditional_characters():
    pairs = short_messages(EVIDENCE, QUESTION, "zh-Hant", few_shot=True, simplified=True)
    text = _texts(pairs)
    assert text == to_simplified(text)
    assert "荷兰人在1644年于原址重建了这座城堡" in pairs[-1][1]
    assert "荷兰人在哪一年重建红毛城" in pairs[-1][1]
    assert pairs[-1][1].endswith(SHORT_INSTRUCTION["zh-Hans"])
    assert "台南老街的咖啡馆" in text  # the worked examples are read in Simplified too


def test_as_is_the_model_reads_the_text_as_written():
    pairs = short_messages(EVIDENCE, QUESTION, "zh-Hant", few_shot=True, simplified=False)
    assert EVIDENCE in pairs[-1][1] and QUESTION in pairs[-1][1]
    assert pairs[-1][1].endswith(SHORT_INSTRUCTION["zh-Hant"])
    assert "台南老街的咖啡館" in _texts(pairs)


def test_english_is_unchanged():
    ev = "《The lighthouse》\n[1] The lamp was converted in 1931."
    assert short_messages(ev, "When?", "en", few_shot=False, simplified=True)[-1][1].startswith(ev)


def test_a_simplified_span_comes_back_in_the_sentences_characters():
    sentence = "1914年,台灣的英國僑民為了了解戰況而回國。"
    # s2t would write 爲 and 臺灣 and 瞭解: the span is taken from the sentence, not converted
    assert to_traditional("为了") == "爲了" and to_traditional("台湾") == "臺灣"
    assert in_sentence_script("为了了解", sentence) == "為了了解"
    assert in_sentence_script("台湾", sentence) == "台灣"
    assert in_sentence_script("1914年", sentence) == "1914年"


def test_an_answer_from_a_traditional_sentence_keeps_its_characters():
    sentence = "1914年,台灣的英國僑民為了了解戰況而回國。"
    assert to_answer_script("台灣", "zh-Hant", sentence) == "台灣"
    assert to_answer_script("台灣", "zh-Hans", sentence) == "台湾"
    assert to_answer_script("台灣", "zh-Hant") == "台灣"  # no sentence to go by: itself
    assert to_answer_script("台湾", "zh-Hant") == "臺灣"  # Simplified: OpenCC's form
    assert to_answer_script("台湾", "zh-Hant", "台湾的人口是多少") == "臺灣"
    assert detect_lang("台灣的首都是台北。") == "zh-Hant" and detect_lang("台湾的首都是台北。") == "zh-Hans"


def test_the_streamed_answer_is_written_as_the_article_writes_it():
    sentence = "1914年,台灣的英國僑民為了了解戰況而回國。"

    def streamed(lang: str, sentences: list[str]) -> str:
        out: list[str] = []
        relay = _TokenRelay(out.append, lang, None, [], sentences)
        for piece in ("台湾", "的英国", "侨民"):
            relay.feed(piece)
        relay.flush()
        return "".join(out)

    assert streamed("zh-Hant", [sentence]) == "台灣的英國僑民"
    assert streamed("zh-Hans", [sentence]) == "台湾的英国侨民"
    assert streamed("zh-Hant", []) == "臺灣的英國僑民"


def test_a_span_not_in_the_sentence_is_left_alone():
    sentence = "荷蘭人在1644年於原址重建了這座城堡。"
    assert in_sentence_script("西班牙人", sentence) == "西班牙人"
    assert in_sentence_script("the Dutch", sentence) == "the Dutch"
    assert in_sentence_script("", sentence) == ""
