"""The local model's short answer held to a span of one evidence sentence (qa.copy_spans), on the real bundled model
and its real vocabulary."""
from __future__ import annotations

import numpy as np
import pytest

from articleqa.models import generator as gen
from articleqa.settings import load_settings
from qa.copy_spans import SpanConstraint, copy_applies, vocab_index
from qa.prompts import short_messages
from qa.reader import AnswerStream, generate_short, parse_reply

HARBOUR = ["舊碼頭在颱風過後重建，新碼頭於一九九八年啟用。", "碼頭區現有三座貨倉。"]
EVIDENCE = "《港口》\n" + "\n".join(f"[{i}] {s}" for i, s in enumerate(HARBOUR, 1))


@pytest.fixture(scope="module")
def llm():
    return gen.load_chat_model(load_settings(), streaming=True)


def _answer(llm, question: str, lang: str, copy_from) -> str:
    stream = AnswerStream(None)
    with gen.generator_lock():
        generate_short(llm, short_messages(EVIDENCE, question, lang, True), 48, stream, lambda: None, copy_from)
    return parse_reply(stream.raw).answer


def test_a_reworded_answer_is_copied_from_its_sentence_instead(llm):
    """Left free, the model writes the year in Arabic digits, which no sentence holds (the answer would have fallen
    back to quoting whole sentences); held to the sentences, it copies the year as written."""
    free = _answer(llm, "新碼頭是哪一年啟用的?", "zh-Hant", None)
    assert free == "1998年"
    held = _answer(llm, "新碼頭是哪一年啟用的?", "zh-Hant", HARBOUR)
    assert held == "一九九八年"
    assert any(held in s for s in HARBOUR)


def test_a_simplified_question_copies_the_traditional_text(llm):
    """The span is copied in the sentence's own script; the chain converts the shown answer to the question's."""
    held = _answer(llm, "新码头是哪一年启用的?", "zh-Hans", HARBOUR)
    assert held and any(held in s for s in HARBOUR), held


def _allowed(constraint: SpanConstraint, index, generated: list[int]) -> set[bytes]:
    prompt = list(range(5))
    scores = np.zeros(len(index.token_bytes), dtype=np.float32)
    constraint(np.asarray(prompt), scores.copy())  # the first call fixes where the prompt ends
    out = constraint(np.asarray(prompt + generated), scores.copy())
    return {index.token_bytes[i] for i in np.flatnonzero(out > -np.inf)}


def test_english_spans_start_and_end_at_word_boundaries(llm):
    index = vocab_index(llm.client)
    sentence = ["The harbour was rebuilt in 1953."]
    first = _allowed(SpanConstraint(index, sentence), index, [])
    assert {b"The", b"har", b"was", b"1"} <= first
    assert b"our" not in first and b"arb" not in first  # inside "harbour"
    assert b'"' in first  # an empty answer (a refusal) stays possible

    har = index.by_bytes[b"har"][0]
    after_har = _allowed(SpanConstraint(index, sentence), index, [har])
    assert b"bour" in after_har
    assert not any(b.startswith(b'"') for b in after_har)  # no answer ends inside a word

    bour = index.by_bytes[b"bour"][0]
    after_harbour = _allowed(SpanConstraint(index, sentence), index, [har, bour])
    assert b'"' in after_harbour and b" was" in after_harbour
    assert b" in" not in after_harbour


def test_the_constraint_steps_aside_once_the_answer_is_closed(llm):
    index = vocab_index(llm.client)
    constraint = SpanConstraint(index, HARBOUR)
    quote = next(int(i) for i in index.closing if index.token_bytes[i] == b'"')
    scores = np.arange(len(index.token_bytes), dtype=np.float32)
    constraint(np.asarray([0, 1]), scores.copy())
    out = constraint(np.asarray([0, 1, quote]), scores.copy())
    assert np.array_equal(out, scores)


@pytest.mark.parametrize(("lang", "sentences", "applies"), [
    ("zh-Hant", ["新碼頭於一九九八年啟用。"], True),
    ("zh-Hans", ["新碼頭於一九九八年啟用。"], True),  # same family, other script
    ("en", ["The harbour was rebuilt in 1953."], True),
    ("en", ["新碼頭於一九九八年啟用。"], False),  # answered in English, which no span of the sentence is
    ("zh-Hant", ["The harbour was rebuilt in 1953."], False),
    ("en", ["The harbour was rebuilt in 1953.", "新碼頭於一九九八年啟用。"], False),
    ("en", [], False),
])
def test_copy_applies_within_one_language_family(lang, sentences, applies):
    assert copy_applies(lang, sentences) is applies
