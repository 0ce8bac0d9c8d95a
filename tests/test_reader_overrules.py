"""llm mode: the reader's span replaces a generator answer taken from another passage (qa.chain.reader_overrules)."""
from __future__ import annotations

from types import SimpleNamespace

from articleqa.settings import load_settings
from articleqa.types import Answer, Chunk, Citation, Passage
from qa.chain import reader_overrules
from qa.readers.base import Candidate, Reading
from qa.state import ChainState

TEXTS = ["钢琴家傅聪于2020年12月28日在英国因感染新冠病毒去世，享年86岁。", "2021年2月4日，曲艺名家马增蕙去世，享年85岁。"]
PASSAGES = [Passage(Chunk(f"a{i}:0", f"a{i}", 0, t, 0, len(t))) for i, t in enumerate(TEXTS)]


def _state(margin: float) -> ChainState:
    s = ChainState(question="傅聪是什么时候去世的？", mode="llm", lang="zh-Hans", standalone="傅聪是什么时候去世的？",
                   passages=PASSAGES)
    s.reading = Reading("span", [Candidate("2020年12月28日", 0, 5, 16, 9.0)], answer_margin=margin)
    return s


def _answer(chunk: int, refused: bool = False) -> Answer:
    cite = Citation(1, f"a{chunk}", "", f"a{chunk}:0", TEXTS[chunk], 0, len(TEXTS[chunk]))
    return Answer(question="傅聪是什么时候去世的？", text="2021年2月4日[1]", citations=[] if refused else [cite],
                  refused=refused, mode="llm")


def _ctx(threshold: float):
    return SimpleNamespace(settings=load_settings().with_overrides({"reader.llm_other_passage_margin": threshold}))


def test_reader_overrules_an_answer_from_another_passage():
    assert reader_overrules(_ctx(2), _state(5.0), _answer(1))


def test_not_when_they_agree_unsure_refused_or_off():
    assert not reader_overrules(_ctx(2), _state(5.0), _answer(0))  # same passage
    assert not reader_overrules(_ctx(2), _state(1.0), _answer(1))  # the reader is not sure enough
    assert not reader_overrules(_ctx(2), _state(5.0), _answer(1, refused=True))
    assert not reader_overrules(_ctx(100), _state(50.0), _answer(1))  # 100 = off


def test_english_questions_have_their_own_threshold():
    s = _state(5.0)
    s.lang = "en"
    s.standalone = s.question = "When did Fou Ts'ong die?"
    s.reading = Reading("span", [Candidate("28 December 2020", 0, 0, 16, 9.0)], answer_margin=5.0)
    assert not reader_overrules(_ctx(2), s, _answer(1))  # reader.llm_other_passage_margin_en: off by default
    ctx = SimpleNamespace(settings=load_settings().with_overrides({"reader.llm_other_passage_margin_en": 2}))
    assert reader_overrules(ctx, s, _answer(1))
