"""Citation markers, sentence spans, and citations quoting a passage sentence with its article span."""
from __future__ import annotations

from qa.citations import make_citation, split_sentences, strip_markers
from tests.test_grounding import seed_article, seed_passages


def test_marker_forms_are_parsed():
    assert strip_markers("甲[1]乙【2】丙[1, 3]丁[4，5]戊［6］") == "甲乙丙丁戊"
    assert strip_markers("陳生強[1]【2】。") == "陳生強。"


def test_sentences_keep_their_trailing_markers():
    spans = split_sentences("京東金融在2017年實現單季盈利。[1] 白條於2014年2月推出[2]。JD has 500+ models [3]. Done.")
    assert [s.text for s in spans][1:] == ["白條於2014年2月推出[2]。", "JD has 500+ models [3].", "Done."]
    assert spans[0].text == "京東金融在2017年實現單季盈利。[1]"


def test_citation_quotes_a_passage_sentence_with_its_article_span():
    art = seed_article()
    for n, passage in enumerate(seed_passages(), 1):
        for sentence in split_sentences(passage.chunk.text):
            c = make_citation(n, passage, sentence.start, sentence.end)
            assert c.n == n and c.article_id == "seed-000" and c.chunk_id == passage.chunk.id
            assert c.quote == sentence.text == art.text[c.start : c.end]
