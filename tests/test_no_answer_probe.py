"""The model's own refusal confidence (qa.reader.EmptyAnswerProbe) on the real bundled model: read while the short
answer is generated, it changes nothing in the reply, and it is higher when the sentences lack what is asked."""
from __future__ import annotations

import pytest

from articleqa.models import generator as gen
from articleqa.settings import load_settings
from qa.prompts import short_messages
from qa.reader import AnswerStream, generate_short, parse_reply

EVIDENCE = "《台南老街的書店》\n[1] 位於正興街的「晴天書店」開業於2009年。\n[2] 店主陳家豪原本是一名記者。"


@pytest.fixture(scope="module")
def llm():
    return gen.load_chat_model(load_settings(), streaming=True)


def _ask(llm, question: str):
    stream = AnswerStream(None)
    with gen.generator_lock():
        generate_short(llm, short_messages(EVIDENCE, question, "zh-Hant", True), 48, stream, lambda: None)
    return parse_reply(stream.raw, stream.p_empty, stream.span_min)


def test_empty_answer_probability_is_read_and_separates(llm):
    answered = _ask(llm, "晴天書店的店主是誰?")
    assert answered.answer == "陳家豪" and answered.source == 2
    assert answered.p_empty is not None and 0.0 <= answered.p_empty < 0.01
    assert answered.span_min is not None and 0.0 < answered.span_min <= 1.0
    lacking = _ask(llm, "晴天書店每個月的營業額是多少?")
    assert lacking.p_empty is not None
    assert lacking.p_empty > 10 * answered.p_empty, (lacking, answered)


def test_the_probe_does_not_change_the_reply(llm):
    """The same prompt as a plain llama.cpp chat call in its own JSON-schema mode (no probe, no prefilled reply
    start, no grammar of ours) gives the same JSON."""
    from qa.prompts import SHORT_SCHEMA
    from qa.reader import _roles

    pairs = short_messages(EVIDENCE, "晴天書店是哪一年開業的?", "zh-Hant", True)
    with gen.generator_lock():
        plain = llm.client.create_chat_completion(messages=_roles(pairs), max_tokens=48, temperature=0.0,
                                                  response_format={"type": "json_object", "schema": SHORT_SCHEMA})
    probed = _ask(llm, "晴天書店是哪一年開業的?")
    assert plain["choices"][0]["message"]["content"] == probed.raw
    assert "2009" in probed.answer
