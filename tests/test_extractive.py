"""Sentence scoring (qa/extractive.py): what the gates, the context order and the model's evidence are built on.
Extractive answers themselves come from the span reader (tests/test_span_reader.py)."""
from __future__ import annotations

from articleqa.settings import Settings
from qa.extractive import score_sentences
from tests.test_grounding import seed_passages


def _settings(passages: int = 4) -> Settings:
    return Settings().with_overrides({"answer.context_passages": passages})


def test_scores_are_ordered():
    ranked = score_sentences("京東金融的CEO是誰?", seed_passages())
    assert ranked == sorted(ranked, key=lambda r: -r.score)
    assert "陳生強" in ranked[0].text


def test_context_order_puts_the_answering_passage_first():
    from qa.extractive import order_for_context

    passages = seed_passages()
    # retrieval ranked the passage that answers last; the sentence that names 單季盈利 brings it forward
    reordered = order_for_context("京東金融在哪一年實現單季盈利?", list(reversed(passages)), 2)
    assert reordered[0].chunk.id == "seed-000:0"
    assert sorted(p.chunk.id for p in reordered) == sorted(p.chunk.id for p in passages)
    # an English question shares no words with the passages: the retrieval order stands
    same = order_for_context("Who runs it?", passages, 2)
    assert [p.chunk.id for p in same] == [p.chunk.id for p in passages]


def test_questions_asking_for_figures_prefer_sentences_with_figures():
    from qa.extractive import asks_for_figure

    assert asks_for_figure("How many risk-control models has JD Finance built?")
    assert asks_for_figure("京東金融的個人用戶數量超過多少?")
    assert not asks_for_figure("京東金融的CEO是誰?")
    # the figure gate's narrower sense: a number or a year, not any date
    assert asks_for_figure("京東白條是哪一年推出的?", number_only=True)
    assert asks_for_figure("When was JD's Baitiao launched?")
    assert not asks_for_figure("When was JD's Baitiao launched?", number_only=True)
    ranked = score_sentences("京東金融累計放款總額是多少?", seed_passages(), _settings().answer)
    assert "5000億" in ranked[0].text


def test_a_sentence_shared_by_overlapping_chunks_is_quoted_and_numbered_once():
    """Chunks overlap by a sentence: the answer sentence at a boundary is in two passages, and used to be given to the
    model twice, under two numbers."""
    from qa.evidence import select_evidence

    settings = _settings()
    overlapping = seed_passages(groups=((0, 1), (1, 2), (4,), (5, 6)))
    shared = "京東白條是什麼時候推出的?"
    evidence = select_evidence(shared, overlapping, settings.answer)
    texts = [" ".join(e.text.split()) for e in evidence]
    assert len(texts) == len(set(texts)) and any("2014年2月" in t for t in texts)


def test_a_date_cut_at_the_year_is_widened_unless_the_year_is_asked():
    from qa.extractive import with_whole_dates
    from qa.readers.base import Candidate

    passages = seed_passages()
    i = next(n for n, p in enumerate(passages) if "2014年2月" in p.chunk.text)
    start = passages[i].chunk.text.index("2014年2月")
    year = Candidate("2014年", i, start, start + 5, 7.8)
    other = Candidate("白條", i, start + 30, start + 32, 5.0)
    (when, same) = with_whole_dates("京東白條是什麼時候推出的?", [year, other], passages)
    assert when.text == "2014年2月" and passages[i].chunk.text[when.start:when.end] == "2014年2月"
    assert same == other
    (asked,) = with_whole_dates("京東白條是哪一年推出的?", [year], passages)
    assert asked.text == "2014年"


def test_question_coverage_gate_when_switched_on():
    # answer.min_question_coverage is off by default (tuning chose off); switched on, a question naming things no
    # passage mentions is refused before reading, and one whose words the passages hold is not
    from qa.extractive import question_coverage
    from qa.refusal import weak_overlap

    passages = seed_passages()
    on = Settings().with_overrides({"answer.min_question_coverage": 0.9})
    held = "京東白條是什麼時候推出的?"
    absent = "京東金融的員工宿舍在哪個城市的哪條街道?"
    assert question_coverage(held, passages) > question_coverage(absent, passages)
    assert weak_overlap(absent, passages, on) and not weak_overlap(held, passages, on)
