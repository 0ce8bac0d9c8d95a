"""Report generation from synthetic QuestionResults: json/md/html written, html self-contained and escaped."""
from __future__ import annotations

import json
import random
import re

from articleqa.types import Answer, Chunk, Citation, Passage
from eval.metrics import QuestionResult, metrics_for, score
from eval.report import Report

ARTICLE = "Intro line.\n\nThe gold answer is Paris, said the report.\n\nOutro."
CONTEXT = "The gold answer is Paris, said the report."
START = ARTICLE.index(CONTEXT)
GOLD = Chunk(id="a1:1", article_id="a1", ordinal=1, text=CONTEXT, start=START, end=START + len(CONTEXT))
MISS = Chunk(id="a1:0", article_id="a1", ordinal=0, text="Intro line.", start=0, end=11)


def make_results(
    n: int = 60, hit_rate: float = 0.8, mode: str = "llm", seed: int = 1, question: str = "Where? #{i}"
) -> list[QuestionResult]:
    """n scored results: a share ``hit_rate`` retrieve the gold chunk first and answer right, the rest miss."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        good = i < round(n * hit_rate)
        lang = "en" if i % 2 else "zh-Hant"
        r = QuestionResult(
            qid=f"q{i:03d}", question=question.format(i=i), lang=lang, answers=["Paris"], article_id="a1",
            context=CONTEXT, mode=mode, gold_article_id="a1", gold_span=(START, START + len(CONTEXT)),
            elapsed=0.01 + rng.random() * 0.02,
        )
        r.retrieved = [Passage(GOLD, score=0.9), Passage(MISS, score=0.5)] if good else [Passage(MISS, score=0.7)]
        if mode != "retrieval":
            text = "It is Paris [1]." if good else "It is Lyon, 1999 [1]."
            chunk = GOLD if good else MISS
            cite = Citation(n=1, article_id="a1", title="t", chunk_id=chunk.id, quote=chunk.text, start=chunk.start,
                            end=chunk.end)
            r.answer = Answer(question=r.question, text=text, citations=[cite], passages=list(r.retrieved),
                              timings={"total": 1.0 + rng.random(), "first_token": 0.2 + rng.random() / 10},
                              tokens_in=500, tokens_out=20, mode=mode)
        out.append(score(r, metrics_for(mode)))
    return out


def make_report(results: list[QuestionResult], mode: str = "llm", **kw) -> Report:
    return Report.from_results(results, metrics_for(mode), mode=mode, dataset=kw.pop("dataset", "synthetic"), **kw)


def test_report_files_written(tmp_path):
    results = make_results(40, 0.75)
    report = make_report(results, settings={"retrieval": {"top_k": 5}}, models={"embedder": "e5"})
    paths = report.write(tmp_path / "run")
    for key in ("json", "md", "html"):
        assert paths[key].exists() and paths[key].stat().st_size > 0
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert data["n_questions"] == 40 and data["mode"] == "llm" and data["partial"] is False
    assert data["metrics"]["hit@1"]["value"] == 0.75
    lo, hi = data["metrics"]["hit@1"]["ci_low"], data["metrics"]["hit@1"]["ci_high"]
    assert lo < 0.75 < hi
    assert set(data["by_lang"]) == {"en", "zh-Hant"}
    row = data["rows"][0]
    for key in ("question", "gold", "answer", "citations", "retrieved", "metrics", "latency"):
        assert key in row
    assert row["retrieved"][0]["chunk_id"] == "a1:1" and row["retrieved"][0]["hit"] is True
    assert row["citations"][0]["correct"] is True
    bad = next(r for r in data["rows"] if r["metrics"]["hit@1"] == 0.0)
    assert bad["unsupported_figures"] == ["1999"]
    # round trip
    again = Report.load(paths["json"])
    assert again.metrics == report.metrics and len(again.rows) == 40

    md = paths["md"].read_text(encoding="utf-8")
    assert "| metric | value | 95% CI | n |" in md
    assert "| hit@1 ↑ | 0.750 |" in md
    assert "The 20 worst questions" in md
    assert "It is Lyon" in md  # worst questions show their answers


def test_html_self_contained_and_escaped(tmp_path):
    nasty = '<script>alert("x")</script> & <b>bold</b> #{i}'
    results = make_results(12, 0.5, question=nasty)
    paths = make_report(results, dataset="<img src=x onerror=alert(1)>").write(tmp_path)
    page = paths["html"].read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    assert "<img" not in page.lower() and "<b>bold" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert page.count("<svg") == 3  # metrics with CIs, hit@k curve, latency histogram
    assert re.search(r"<(link|iframe|img|object|embed|audio|video)\b", page, re.I) is None  # nothing loads
    assert re.search(r"<[^>]*\s(src|href)=", page, re.I) is None
    for banned in ("http://", "https://", "@import"):
        assert banned not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_partial_and_retrieval_reports(tmp_path):
    results = make_results(10, 0.6, mode="retrieval")
    report = make_report(results, mode="retrieval", partial=True, n_planned=50)
    paths = report.write(tmp_path)
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert data["partial"] is True and data["n_questions"] == 10 and data["n_planned"] == 50
    assert "em" not in data["metrics"] and data["metrics"]["mrr@10"]["value"] == 0.6
    assert "partial" in paths["md"].read_text(encoding="utf-8").lower()
    assert "Partial run" in paths["html"].read_text(encoding="utf-8")
    # the worst list is sorted by the primary score (MRR in retrieval mode): misses first
    assert [r["primary"] for r in report.worst(5)] == [0.0] * 4 + [1.0]
