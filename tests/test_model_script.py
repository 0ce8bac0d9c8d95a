"""answer.model_script: the model reads Chinese in Simplified script, and its span comes back in the article's own
characters (real OpenCC conversion)."""
from __future__ import annotations

from articleqa.settings import load_settings
from articleqa.text import to_simplified
from qa.prompts import SHORT_INSTRUCTION, short_messages
from qa.short_answer import in_sentence_script

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
    sentence = "1914年,英國爲了制衡德軍而參戰。"
    # s2t would write 為, the article writes 爲: the span is taken from the sentence, not converted
    assert in_sentence_script("为了制衡德军", sentence) == "爲了制衡德軍"
    assert in_sentence_script("1914年", sentence) == "1914年"
    assert in_sentence_script("英国", sentence) == "英國"


def test_a_span_not_in_the_sentence_is_left_alone():
    sentence = "荷蘭人在1644年於原址重建了這座城堡。"
    assert in_sentence_script("西班牙人", sentence) == "西班牙人"
    assert in_sentence_script("the Dutch", sentence) == "the Dutch"
    assert in_sentence_script("", sentence) == ""
