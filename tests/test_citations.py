"""Citation markers: parsing, removal of citations of passages not given, quotes and their spans."""
from __future__ import annotations

from qa.citations import build_citations, marker_numbers, normalize_markers, split_sentences, strip_markers
from tests.test_grounding import seed_article, seed_passages


def test_marker_forms_are_parsed():
    assert marker_numbers("甲[1]乙【2】丙[1, 3]丁[4，5]戊［6］") == [1, 2, 3, 4, 5, 6]
    assert strip_markers("陳生強[1]【2】。") == "陳生強。"


def test_out_of_range_citations_are_removed():
    text, removed = normalize_markers("甲[1, 7]乙【3】丙[9]丁[0]。", 3)
    assert text == "甲[1]乙[3]丙丁。"
    assert removed == [7, 9, 0]
    assert normalize_markers("甲[1][1]", 3)[0] == "甲[1]"
    assert normalize_markers("500+ [n][1]", 3)[0] == "500+ [1]"
    cited = build_citations("京東金融的CEO是陳生強[4][9]。", seed_passages())
    assert [c.n for c in cited.citations] == [4]
    assert cited.removed == [9]
    assert "[9]" not in cited.text


def test_sentences_keep_their_trailing_markers():
    spans = split_sentences("京東金融在2017年實現單季盈利。[1] 白條於2014年2月推出[2]。JD has 500+ models [3]. Done.")
    assert [s.cites for s in spans] == [[1], [2], [3], []]
    assert spans[0].text == "京東金融在2017年實現單季盈利。[1]"


def test_citation_quotes_the_supporting_sentence_with_its_article_span():
    art = seed_article()
    passages = seed_passages()
    cited = build_citations("京東白條於2014年2月推出[1]。", passages)
    (c,) = cited.citations
    assert c.n == 1 and c.article_id == "seed-000" and c.chunk_id == "seed-000:0"
    assert "2014年2月" in c.quote and "白條" in c.quote
    assert c.quote == art.text[c.start : c.end]
    assert "2017年實現單季盈利" not in c.quote  # the other sentence of that passage


def test_simplified_answer_matches_traditional_passage():
    art = seed_article()
    cited = build_citations("京东金融的个人用户数量超过3.6亿[2]。", seed_passages())
    (c,) = cited.citations
    assert "3.6億" in c.quote
    assert c.quote == art.text[c.start : c.end]


def test_uncited_sentence_gets_the_passage_that_supports_it():
    art = seed_article()
    cited = build_citations("京東金融的CEO是陳生強。", seed_passages())
    assert cited.added == [4]
    assert cited.text == "京東金融的CEO是陳生強[4]。"
    (c,) = cited.citations
    assert "陳生強" in c.quote and c.quote == art.text[c.start : c.end]
    # nothing supports this one: it stays uncited
    assert build_citations("天氣很好。", seed_passages()).citations == []


def test_every_citation_span_is_exact_across_passages():
    art = seed_article()
    answer = "京東金融在2017年實現單季盈利[1]。個人用戶超過3.6億[2],估值近500億元[3]。已構建500+個風控模型[4]。"
    cited = build_citations(answer, seed_passages())
    assert [c.n for c in cited.citations] == [1, 2, 3, 4]
    for c in cited.citations:
        assert c.quote == art.text[c.start : c.end]
    assert "500億" in cited.citations[2].quote
    assert "500+個風控模型" in cited.citations[3].quote
