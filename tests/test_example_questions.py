"""Every example question of the web chat (`EXAMPLES` in interfaces/webui/ui.py) answers, with a citation, on the
bundled samples (samples/): the real pipeline in the default mode (llm: the real local model, the real span reader,
cross-lingual retrieval with the question translated by the real model), one assistant shared by all of them.
The translation cache is off, so a translation left on this machine's disk cannot stand in for the model."""
from __future__ import annotations

import pytest

from articleqa.settings import load_settings
from interfaces.webui.testing import build_sample_index, copy_index
from interfaces.webui.ui import EXAMPLES

# What each answer must hold (the samples' own text): an answer, not only a citation of something.
EXPECTED = {
    "京東金融在哪一年實現單季盈利?": ("2017",),
    "萬里長城在哪一年獲選為世界新七大奇蹟?": ("2007",),
    "色林错的湖水面积是多少平方公里?": ("2391",),
    "京东金融的个人用户数量超过多少?": ("3.6亿", "3.6億"),
    "Where did the black death originate?": ("Central Asia", "China"),  # the article names both
    "How many risk-control models has JD Finance built?": ("500",),
}


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    from qa import Assistant

    settings = load_settings()
    shared = build_sample_index(tmp_path_factory.getbasetemp() / "aq-sample-index", settings)
    index = copy_index(shared, tmp_path_factory.mktemp("examples") / "index")
    settings = settings.with_overrides({"index_dir": str(index), "retrieval.translate_cache": False})
    assert settings.answer.mode == "llm"  # the web chat's default mode is what the examples are asked in
    a = Assistant.open(index, settings)
    yield a
    a.close()


def test_every_example_has_an_expectation():
    assert set(EXAMPLES) == set(EXPECTED)


@pytest.mark.slow
@pytest.mark.parametrize("question", EXAMPLES)
def test_example_question_answers_with_a_citation(assistant, question):
    ans = assistant.ask(question)
    assert not ans.refused, (ans.text, ans.notes, [(p.chunk.id, p.lang, p.dense_score) for p in ans.passages])
    assert ans.citations, (ans.text, ans.notes)
    for c in ans.citations:
        assert f"[{c.n}]" in ans.text and c.quote.strip() and c.lang
    assert any(x in ans.text.split("\n")[0] for x in EXPECTED[question]), (ans.text, ans.notes)
