"""Eval metrics on hand-worked cases (no models needed)."""
from __future__ import annotations

import pytest

from articleqa.types import Answer, Chunk, Citation, Passage
from eval.metrics import QuestionResult, aggregate_all, bootstrap_ci, metrics_for, score
from eval.metrics import answer_match as am
from eval.metrics.evidence import find_span, resolve_gold
from eval.metrics.figures import cn_value
from eval.metrics.figures import unsupported as unsupported_figures_local
from eval.metrics.grounding import checker, unsupported_in
from eval.metrics.latency import LatencyP


# ---------------------------------------------------------------- SQuAD 1.1 (English)


def test_squad_normalize_answer():
    assert am.normalize_answer("The  Mongol Empire!") == "mongol empire"
    assert am.normalize_answer("An apple, a pear and THE plum.") == "apple pear and plum"
    assert am.normalize_answer("  a an the  ") == ""
    # articles only as whole words: "theory" and "another" keep theirs
    assert am.normalize_answer("Theory of another") == "theory of another"


def test_squad_em_and_f1_hand_worked():
    assert am.squad_em("the Mongol Empire", "Mongol Empire") == 1.0
    assert am.squad_f1("the Mongol Empire", "Mongol Empire") == 1.0
    # P = 2/3, R = 1 -> F1 = 0.8
    assert am.squad_f1("Mongol Empire founded", "Mongol Empire") == pytest.approx(0.8)
    # Counter overlap counts duplicates once per gold occurrence: common = {cat: 1}; P = 1/3, R = 1/2 -> 0.4
    assert am.squad_f1("the cat cat cat", "cat sat") == pytest.approx(0.4)
    assert am.squad_f1("Denver Broncos", "Carolina Panthers") == 0.0


def test_squad_edge_cases():
    # empty prediction scores 0
    assert am.squad_em("", "Denver") == 0.0
    assert am.squad_f1("", "Denver") == 0.0
    # punctuation-only gold and empty prediction: both normalise to "", so EM is 1 but F1 is 0 (no common token)
    assert am.squad_em("", "!!!") == 1.0
    assert am.squad_f1("", "!!!") == 0.0
    # "500+" normalises to "500"
    assert am.exact_match("500+", ["500"], "en") == 1.0


def test_squad_max_over_ground_truths():
    golds = ["Denver Broncos", "the Broncos", "Broncos"]
    assert am.exact_match("Broncos", golds, "en") == 1.0
    assert am.f1("the Denver team", golds, "en") == pytest.approx(2 * (1 / 2) * (1 / 2) / 1.0)  # vs "Denver Broncos"
    assert am.f1("anything", [], "en") is None


# ---------------------------------------------------------------- CMRC 2018 (Chinese)


def test_cmrc_mixed_segmentation():
    assert am.mixed_segmentation("500+個", rm_punc=True) == ["500", "个"]
    assert am.mixed_segmentation("京東金融的CEO是陳生強", rm_punc=True) == list("京东金融的") + ["ceo"] + list("是陈生强")
    # without rm_punc punctuation stays as tokens; non-CJK runs split on white space
    assert am.mixed_segmentation("你好，big world", rm_punc=False) == ["你", "好", "，", "big", "world"]
    # the official quirk: a removed character does not break a non-CJK run ("a+b" -> "ab")
    assert am.mixed_segmentation("a+b", rm_punc=True) == ["ab"]


def test_cmrc_find_lcs_is_contiguous():
    lcs, n = am.find_lcs(list("abcd"), list("axcd"))
    assert (lcs, n) == (["c", "d"], 2)  # a subsequence would give 3
    assert am.find_lcs([], list("abc")) == ([], 0)


def test_cmrc_em_and_f1_hand_worked():
    assert am.cmrc_em("2014年2月", "2014年2月。") == 1.0
    assert am.cmrc_f1("2014年2月", "2014年2月") == 1.0
    # pred 10 tokens (京 东 金 融 的 ceo 是 陈 生 强), gold 3, lcs 3: P = .3, R = 1 -> 6/13
    assert am.cmrc_f1("京東金融的CEO是陳生強", "陳生強") == pytest.approx(2 * 0.3 / 1.3)
    # lcs is contiguous: gold 2017年 (2 tokens) vs pred 2017 年底 -> tokens 2017 年 底: lcs 2, P 2/3, R 1 -> 0.8
    assert am.cmrc_f1("2017年底", "2017年") == pytest.approx(0.8)
    assert am.cmrc_f1("完全無關", "陳生強") == 0.0


def test_cmrc_edge_cases():
    # empty prediction
    assert am.cmrc_em("", "陳生強") == 0.0
    assert am.cmrc_f1("", "陳生強") == 0.0
    # punctuation-only gold vs empty prediction: EM 1 (both strings empty), F1 0 (as the official script)
    assert am.cmrc_em("", "。") == 1.0
    assert am.cmrc_f1("", "。") == 0.0
    # internal white space is not a difference (our addition to the official EM)
    assert am.cmrc_em("2014 年 2 月", "2014年2月") == 1.0
    # ASCII punctuation is removed like the official full-width list
    assert am.cmrc_em("2017年.", "2017年") == 1.0
    assert am.cmrc_f1("2017年.", "2017年") == 1.0


def test_chinese_mixed_and_scripts():
    # "500+個" vs "500个": '+' removed, 個 -> 个
    assert am.exact_match("500+個", ["500个"], "zh-Hant") == 1.0
    # Traditional prediction, Simplified gold (and the other way round)
    assert am.exact_match("3.6億", ["3.6亿"], "zh-Hans") == 1.0
    assert am.exact_match("陈生强", ["陳生強"], "zh-Hant") == 1.0
    # max over golds: the second gold matches exactly
    assert am.f1("2017", ["2017年", "2017"], "zh-Hant") == 1.0
    assert am.exact_match("2017", ["2017年", "2017"], "zh-Hant") == 1.0
    # lang picks the scorer: the same strings score differently with the English scorer (one token "2017年")
    assert am.f1("2017", ["2017年"], "en") == 0.0
    assert am.f1("2017", ["2017年"], "zh-Hant") == pytest.approx(2 * 1 * 0.5 / 1.5)


def test_contains_answer():
    assert am.contains_answer("京東金融的CEO是陳生強。[1]", ["陈生强"], "zh-Hant") == 1.0
    assert am.contains_answer("JD Finance has built more than 500 models.", ["500+", "500"], "en") == 1.0
    assert am.contains_answer("It built 5000 models.", ["500"], "en") == 0.0  # whole tokens in English
    assert am.contains_answer("x", [], "en") is None


# ---------------------------------------------------------------- evidence, retrieval, citations

ART = "First paragraph about nothing.\n\nThe company reached 3.6億 users in 2017.\n\nLast paragraph with 3.6億 too."
CTX = "The company reached 3.6億 users in 2017."


def _chunk(cid: str, aid: str, start: int, end: int, text: str | None = None) -> Chunk:
    return Chunk(id=cid, article_id=aid, ordinal=0, text=ART[start:end] if text is None else text, start=start, end=end)


def _result(**kw) -> QuestionResult:
    r = QuestionResult(
        qid=kw.pop("qid", "q1"), question=kw.pop("question", "How many users?"), lang=kw.pop("lang", "zh-Hant"),
        answers=kw.pop("answers", ["3.6亿"]), article_id="a1", context=CTX, mode=kw.pop("mode", "llm"),
    )
    r.gold_article_id, r.gold_span = resolve_gold(r, {"a1": ART, "a2": "other"})
    for k, v in kw.items():
        setattr(r, k, v)
    return r


P1 = ART.index("First")
P2 = ART.index("The company")
P3 = ART.index("Last")
C_FIRST = _chunk("a1:0", "a1", P1, P2)  # same article, no answer, no overlap
C_GOLD = _chunk("a1:1", "a1", P2, P3)  # overlaps the context and holds the answer
C_LAST = _chunk("a1:2", "a1", P3, len(ART))  # holds the answer but outside the gold context
C_OTHER = _chunk("a2:0", "a2", 0, 20, text="another 3.6億 elsewhere")  # answer text, wrong article


def test_find_span_and_resolve_gold():
    assert find_span(ART, CTX) == (P2, P2 + len(CTX))
    r = _result()
    assert r.gold_article_id == "a1" and r.gold_span == (P2, P2 + len(CTX))
    # an ingested file under another id is found by its context
    r2 = QuestionResult(qid="s", question="?", lang="zh-Hant", answers=["x"], article_id="seed-000", context=CTX)
    assert resolve_gold(r2, {"file-abc": ART}) == ("file-abc", (P2, P2 + len(CTX)))


def _values(r: QuestionResult, mode: str) -> dict:
    return score(r, metrics_for(mode)).values


def test_retrieval_hits_and_mrr():
    r = _result(mode="retrieval", retrieved=[Passage(C_OTHER), Passage(C_LAST), Passage(C_GOLD), Passage(C_FIRST)])
    v = _values(r, "retrieval")
    assert (v["hit@1"], v["hit@3"], v["hit@5"], v["hit@10"]) == (0.0, 1.0, 1.0, 1.0)
    assert v["mrr@10"] == pytest.approx(1 / 3)
    miss = _result(mode="retrieval", retrieved=[Passage(C_OTHER), Passage(C_LAST), Passage(C_FIRST)])
    vm = _values(miss, "retrieval")
    assert vm["hit@10"] == 0.0 and vm["mrr@10"] == 0.0
    # a chunk overlapping the context but without the answer is not a hit
    no_ans = _result(mode="retrieval", answers=["陳生強"], retrieved=[Passage(C_GOLD)])
    assert _values(no_ans, "retrieval")["hit@1"] == 0.0
    # unanswerable questions are skipped
    un = _result(mode="retrieval", answers=[], retrieved=[Passage(C_GOLD)])
    un.answerable = False
    assert _values(un, "retrieval")["hit@1"] is None


def test_retrieval_beyond_rank_10_is_a_miss():
    filler = [Passage(_chunk(f"a2:{i}", "a2", 0, 5, text="nothing")) for i in range(10)]
    r = _result(mode="retrieval", retrieved=[*filler, Passage(C_GOLD)])
    v = _values(r, "retrieval")
    assert v["hit@10"] == 0.0 and v["mrr@10"] == 0.0


def _cite(n: int, c: Chunk) -> Citation:
    return Citation(n=n, article_id=c.article_id, title="", chunk_id=c.id, quote=c.text[:20], start=c.start, end=c.end)


def test_citation_precision_and_recall():
    ans = Answer(question="q", text="3.6億 [1][2]", citations=[_cite(1, C_GOLD), _cite(2, C_OTHER)],
                 passages=[Passage(C_GOLD), Passage(C_OTHER)], mode="llm")
    v = _values(_result(answer=ans), "llm")
    assert v["citation_precision"] == 0.5 and v["citation_recall"] == 1.0 and v["cited"] == 1.0
    # a citation of the gold article holding the answer outside the context still counts (contains a gold answer)
    ans2 = Answer(question="q", text="3.6億 [1]", citations=[_cite(1, C_LAST)], passages=[Passage(C_LAST)], mode="llm")
    v2 = _values(_result(answer=ans2), "llm")
    assert v2["citation_precision"] == 1.0 and v2["citation_recall"] == 1.0
    # wrong citations only
    ans3 = Answer(question="q", text="3.6億 [1]", citations=[_cite(1, C_FIRST)], passages=[Passage(C_FIRST)], mode="llm")
    v3 = _values(_result(answer=ans3), "llm")
    assert v3["citation_precision"] == 0.0 and v3["citation_recall"] == 0.0
    # no citations: precision does not apply, recall is 0
    ans4 = Answer(question="q", text="3.6億", mode="llm")
    v4 = _values(_result(answer=ans4), "llm")
    assert v4["citation_precision"] is None and v4["citation_recall"] == 0.0 and v4["cited"] == 0.0


def test_refusal_metrics():
    refused = Answer(question="q", text="The articles do not say.", refused=True, mode="llm")
    un = _result(answers=[], answer=refused)
    un.answerable = False
    v = _values(un, "llm")
    assert v["refusal_rate"] == 1.0 and v["false_refusal_rate"] is None and v["em"] is None
    v2 = _values(_result(answer=refused), "llm")
    assert v2["false_refusal_rate"] == 1.0 and v2["refusal_rate"] is None
    assert v2["em"] == 0.0 and v2["citation_recall"] == 0.0 and v2["ungrounded_figures"] is None
    answered = Answer(question="q", text="Something", mode="llm")
    un2 = _result(answers=[], answer=answered)
    un2.answerable = False
    assert _values(un2, "llm")["refusal_rate"] == 0.0


def test_grounding_local_checker():
    assert unsupported_figures_local("共5,000家[2]", ["有5000家企業"]) == []
    assert unsupported_figures_local("增長了24倍 [1]", ["增長了24倍"]) == []
    assert unsupported_figures_local("增長了99倍", ["增長了24倍"]) == ["99"]
    # whole numbers, not substrings: 20 is not supported by 2017
    assert unsupported_figures_local("20家", ["2017年"]) == ["20"]
    # full-width digits fold to ASCII
    assert unsupported_figures_local("５００家", ["500家"]) == []
    # by value, with scales and Chinese numerals: 3.6亿 = 360 million; 三十 = 30; an English bare 500 vs 「500+個」
    assert unsupported_figures_local("360 million users", ["個人用戶數量超過3.6億"]) == []
    assert unsupported_figures_local("30 years", ["種茶已有三十年"]) == []
    assert unsupported_figures_local("500", ["構建起500+個風控模型"]) == []
    assert unsupported_figures_local("四十年", ["種茶已有三十年"]) == ["四十"]
    assert (cn_value("两千五百"), cn_value("三亿"), cn_value("十二")) == (2500, 3e8, 12)


def test_grounding_checker_does_not_use_qa():
    import subprocess
    import sys

    name, _ = checker()
    assert name == "eval.metrics.figures"
    code = ("import sys, eval.metrics, eval.report, eval.harness; "
            "print(sorted(m for m in sys.modules if m == 'qa' or m.startswith('qa.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_grounding_metric_and_fallbacks():
    good = Answer(question="q", text="用戶達3.6億。[1]", passages=[Passage(C_GOLD)], mode="llm")
    r = _result(answer=good)
    assert unsupported_in(r) == []
    assert _values(r, "llm")["ungrounded_figures"] == 0.0
    bad = Answer(question="q", text="用戶達9.9億。[1]", passages=[Passage(C_GOLD)], mode="llm")
    rb = _result(answer=bad)
    assert unsupported_in(rb) != []
    assert _values(rb, "llm")["ungrounded_figures"] == 1.0
    # figures the question itself states are allowed
    echo = Answer(question="q", text="2019年的營收沒有提到。", passages=[Passage(C_GOLD)], mode="llm")
    assert _values(_result(answer=echo, question="2019年的營收是多少?"), "llm")["ungrounded_figures"] == 0.0
    # fallbacks: notes, or an llm run answered extractively
    assert _values(_result(answer=good), "llm")["fallback_rate"] == 0.0
    noted = Answer(question="q", text="x", notes=["dropped a sentence"], mode="llm")
    assert _values(_result(answer=noted), "llm")["fallback_rate"] == 1.0
    fell = Answer(question="q", text="x", mode="extractive")
    assert _values(_result(answer=fell), "llm")["fallback_rate"] == 1.0
    assert _values(_result(answer=fell, mode="extractive"), "extractive")["fallback_rate"] == 0.0


# ---------------------------------------------------------------- latency, aggregation, bootstrap


def test_latency_percentiles_and_tokens():
    rs = []
    for i, t in enumerate([1.0, 2.0, 3.0, 4.0, 100.0]):
        a = Answer(question="q", text="x", timings={"total": t, "first_token": t / 10}, tokens_in=100 * (i + 1),
                   tokens_out=10, mode="llm")
        rs.append(score(_result(qid=f"q{i}", answer=a), metrics_for("llm")))
    overall, _ = aggregate_all(metrics_for("llm"), rs)
    assert overall["latency_p50"]["value"] == pytest.approx(3.0)
    assert overall["latency_p95"]["value"] == pytest.approx(80.8)  # 4 + 0.8 * (100 - 4), linear interpolation
    assert overall["first_token_p50"]["value"] == pytest.approx(0.3)
    assert overall["tokens_in"]["value"] == pytest.approx(300.0)
    assert overall["tokens_out"]["value"] == pytest.approx(10.0)
    # retrieval mode falls back to the harness's wall time
    r = _result(mode="retrieval", elapsed=0.02)
    assert score(r, metrics_for("retrieval")).values["latency_p50"] == pytest.approx(0.02)


def test_bootstrap_ci():
    m = metrics_for("retrieval")[0]  # hit@1: mean
    assert bootstrap_ci([1.0] * 50, m) == (1.0, 1.0)
    assert bootstrap_ci([], m) == (None, None)
    vals = [1.0] * 50 + [0.0] * 50
    lo, hi = bootstrap_ci(vals, m)
    assert lo < 0.5 < hi
    # about 0.5 +- 1.96 * sqrt(.25/100) = +-0.098
    assert 0.07 < (hi - lo) / 2 < 0.13
    assert bootstrap_ci(vals, m) == (lo, hi)  # fixed seed: reproducible
    p50 = LatencyP(50)
    lo2, hi2 = bootstrap_ci([1.0, 2.0, 3.0, 4.0, 5.0] * 20, p50)
    assert 1.0 <= lo2 <= 3.0 <= hi2 <= 5.0


def test_aggregate_by_language_and_mode_sets():
    rs = []
    for i, (lang, hit) in enumerate([("zh-Hant", True), ("zh-Hant", False), ("en", True)]):
        chunks = [Passage(C_GOLD)] if hit else [Passage(C_FIRST)]
        rs.append(score(_result(qid=f"q{i}", lang=lang, mode="retrieval", retrieved=chunks), metrics_for("retrieval")))
    overall, by_lang = aggregate_all(metrics_for("retrieval"), rs)
    assert overall["hit@1"]["value"] == pytest.approx(2 / 3) and overall["hit@1"]["n"] == 3
    assert by_lang["zh-Hant"]["hit@1"]["value"] == 0.5 and by_lang["en"]["hit@1"]["value"] == 1.0
    names = {m.name for m in metrics_for("retrieval")}
    assert "em" not in names and "hit@1" in names
    assert {"em", "f1", "citation_precision", "refusal_rate", "ungrounded_figures"} <= {
        m.name for m in metrics_for("llm")
    }
    with pytest.raises(ValueError):
        metrics_for("nonsense")
    # a metric that applies to no row (hit@1 of an unanswerable question) aggregates to None, never NaN
    none = score(_result(qid="u", mode="retrieval", answers=[], answerable=False, retrieved=[Passage(C_GOLD)]),
                 metrics_for("retrieval"))
    overall, by_lang = aggregate_all(metrics_for("retrieval"), [none])
    assert overall["hit@1"]["value"] is None and overall["hit@1"]["n"] == 0
    assert (overall["hit@1"]["ci_low"], overall["hit@1"]["ci_high"]) == (None, None)
    assert by_lang["zh-Hant"]["hit@1"] == {"value": None, "ci_low": None, "ci_high": None, "n": 0}


def test_contains_for_an_english_question_answered_with_a_chinese_quote():
    # the English question about a Chinese article gets the article's sentence quoted: matched as Chinese text
    assert am.contains_answer("京東金融已經構建起500+個風控模型[1]", ["500+", "500"], "en") == 1.0
    assert am.contains_answer("京東金融已有60萬+風控變量", ["500"], "en") == 0.0


def test_holds_gold_reads_either_language_and_figures_by_value():
    # an English answer over a Chinese article, with the article's wording beside it
    assert am.holds_gold("50 billion yuan (500億元) [1]", ["500亿"]) == 1.0
    assert am.holds_gold("50 billion yuan [1]", ["500亿"]) == 1.0  # the exact conversion of a figure answer
    assert am.holds_gold("5 billion yuan [1]", ["500亿"]) == 0.0  # a wrong conversion is not a match
    assert am.holds_gold("in 1966", ["1966年"]) == 1.0
    assert am.holds_gold("12 million users", ["1200万用户"]) == 1.0
    # a Chinese answer over an English article, the English name beside it
    assert am.holds_gold("達文西（Leonardo da Vinci）", ["Leonardo da Vinci"]) == 1.0
    # words are not translated by the metric: only the gold as written, or a figure answer's value
    assert am.holds_gold("Leonardo da Vinci", ["达芬奇"]) == 0.0
    assert am.holds_gold("12 million", ["1200万人口以上的大城市"]) == 0.0  # more than a figure and its unit
    assert am.holds_gold("anything", []) is None


def test_holds_gold_is_scored_in_answer_modes():
    ans = Answer(question="How much?", text="50 billion yuan (500億元) [1]", lang="en")
    r = QuestionResult(qid="q", question="How much?", lang="en", answers=["500亿"], mode="extractive", answer=ans)
    score(r, metrics_for("extractive"))
    assert r.values["holds_gold"] == 1.0
    assert "holds_gold" not in {m.name for m in metrics_for("retrieval")}


def test_mlqa_halves_split_the_questions_in_two():
    from bench.answer_quality import mlqa_half

    qs = [{"id": f"mlqa-xl-{i}"} for i in range(200)]
    tuning, report = mlqa_half(qs, "tuning"), mlqa_half(qs, "report")
    assert {q["id"] for q in tuning}.isdisjoint(q["id"] for q in report)
    assert len(tuning) + len(report) == 200 and 70 < len(tuning) < 130
    assert mlqa_half(qs, "all") == qs
    assert mlqa_half(qs, "tuning") == tuning  # the same half every run
