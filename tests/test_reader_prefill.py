"""The local short-answer call (qa.reader): the reply's ``{"answer": "`` is part of the prompt, not generated, and a
small grammar holds the model to the rest of the JSON. On the real bundled model: the cached prompt head is still
reused (only the question's own part is evaluated), and the answer is announced whole before its sentence number."""
from __future__ import annotations

import pytest

from articleqa.models import generator as gen
from articleqa.settings import load_settings
from qa.prompts import short_messages
from qa.reader import AnswerStream, _roles, generate_short, parse_reply

EVIDENCE = "《台南老街的書店》\n[1] 位於正興街的「晴天書店」開業於2009年。\n[2] 店主陳家豪原本是一名記者。"


@pytest.fixture(scope="module")
def llm():
    return gen.load_chat_model(load_settings(), streaming=True)


class _CountingDecode:
    """Records how many tokens each llama.cpp decode call evaluates."""

    def __init__(self, ctx) -> None:
        self.ctx, self.sizes = ctx, []
        self.original = ctx.decode

    def __enter__(self) -> "_CountingDecode":
        def decode(batch):
            self.sizes.append(batch.n_tokens())
            return self.original(batch)

        self.ctx.decode = decode
        return self

    def __exit__(self, *exc) -> None:
        del self.ctx.decode


@pytest.mark.parametrize("simplified, owner", [(False, "陳家豪"), (True, "陈家豪")])
def test_the_cached_prompt_head_is_reused(llm, simplified, owner):
    """After a chat-completion call over the same head (as the warm-up makes), a question costs only its own part:
    the prompt the prefilled call renders must match the head token for token, or llama.cpp evaluates it all again.
    Read in Simplified script (answer.model_script), the model answers in it."""
    client = llm.client
    head = _roles(short_messages(EVIDENCE, "晴天書店的店主是誰?", "zh-Hant", True, simplified)[:-1])
    with gen.generator_lock():
        client.create_chat_completion(messages=head + [{"role": "user", "content": "《"}], max_tokens=1,
                                      temperature=0.0)
        with _CountingDecode(client._ctx) as counted:
            stream = AnswerStream(None)
            generate_short(llm, short_messages(EVIDENCE, "晴天書店的店主是誰?", "zh-Hant", True, simplified), 48,
                           stream, lambda: None)
    question_part = client.tokenize(EVIDENCE.encode("utf-8"), add_bos=False)
    assert counted.sizes, "nothing was evaluated"
    assert counted.sizes[0] < len(question_part) + 40, counted.sizes[:3]
    assert parse_reply(stream.raw).answer == owner


def test_the_answer_is_announced_whole_before_its_source(llm):
    events: list[tuple[str, str]] = []
    stream = AnswerStream(lambda piece: events.append(("text", piece)),
                          on_close=lambda: events.append(("closed", stream.raw)))
    with gen.generator_lock():
        generate_short(llm, short_messages(EVIDENCE, "晴天書店是哪一年開業的?", "zh-Hant", True), 48, stream,
                       lambda: None)
    closed = [raw for kind, raw in events if kind == "closed"]
    assert len(closed) == 1
    assert '"source"' not in closed[0]
    assert "".join(p for kind, p in events if kind == "text") == parse_reply(stream.raw).answer
    assert parse_reply(stream.raw).source == 1


def test_answer_stream_on_text_alone():
    """The JSON reply arriving in awkward pieces: an escape split across two, then the closing quote."""
    got, closes = [], []
    stream = AnswerStream(got.append, on_close=lambda: closes.append(len(got)))
    for piece in ['{"answer": "', '他說\\', '"好\\"', '", "so', 'urce": 2}']:
        stream.feed(piece)
    assert "".join(got) == '他說"好"'
    assert closes == [len(got)]
    assert parse_reply(stream.raw).source == 2
