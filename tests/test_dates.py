"""Publication dates: one test per date shape the product reads, the filter on reduced-precision dates in both
store backends, and dates through the loaders (JSONL ``date``, HTML markup, an English byline)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from articleqa.dates import Period, parse_pub_date, precision
from articleqa.settings import Settings
from articleqa.store import SearchFilter, open_store
from ingest.errors import IngestError
from ingest.loaders import load_path
from tests.store_helpers import backend_settings, make_article, unit


@pytest.mark.parametrize("text, iso", [
    ("2018年第5期", "2018"),  # a magazine issue: the year only
    ("2018年1月11日", "2018-01-11"),
    ("2018年1月11日 下午3:05", "2018-01-11"),
    ("民國107年", "2018"),
    ("民國107年3月5日", "2018-03-05"),
    ("民国107年3月", "2018-03"),
    ("Mar 5, 2018", "2018-03-05"),
    ("March 5th, 2018", "2018-03-05"),
    ("Sept. 3, 2019", "2019-09-03"),
    ("5 March 2018", "2018-03-05"),
    ("Tuesday 12 June 2018 09.05 BST", "2018-06-12"),
    ("March 2018", "2018-03"),
    ("2018-03-05T10:00:00+08:00", "2018-03-05"),
    ("Updated 2021-12-20 21:29", "2021-12-20"),
    ("2018/1/11", "2018-01-11"),
    ("2018.03.05", "2018-03-05"),
    ("20180305", "2018-03-05"),
    ("2018年3月", "2018-03"),
    ("2018-03", "2018-03"),
    ("2018", "2018"),
    ("no date here", ""),
    ("", ""),
    ("2018年2月30日", "2018-02"),  # not a day: the month it names
])
def test_each_date_shape(text, iso):
    assert parse_pub_date(text) == iso
    assert precision(iso) == {10: "day", 7: "month", 4: "year", 0: ""}[len(iso)]


def test_first_date_wins_and_periods():
    assert parse_pub_date("Mar 5, 2018, updated 2019-01-01") == "2018-03-05"
    p = Period.of("2018-02")
    assert (str(p.start), str(p.end)) == ("2018-02-01", "2018-02-28")
    assert Period.of("2018").end.isoformat() == "2018-12-31" and Period.of("") is None


def test_filter_reads_english_and_reduced_dates_without_a_store():
    """Issue 25's defect: "Mar 5, 2018" counted as undated, so it never matched a date filter (fails on main)."""
    f = SearchFilter.make(date_from="2018-03-01", date_to="2018-03-31")
    assert f.matches({"id": "a", "date": "Mar 5, 2018"})
    assert f.matches({"id": "a", "date": "2018-03"})  # a month that overlaps the range
    assert f.matches({"id": "a", "date": "2018"})
    assert not f.matches({"id": "a", "date": "2018-04"})
    assert not f.matches({"id": "a", "date": ""})
    month = SearchFilter.make(date_from="2018-03", date_to="2018-03")
    assert (month.date_from, month.date_to) == ("2018-03-01", "2018-03-31")


@pytest.fixture(params=["faiss", "postgres"])
def store_settings(request, tmp_path):
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    return backend_settings(request.param, tmp_path, url)


def test_store_filters_on_english_and_reduced_precision_dates(store_settings):
    rng = np.random.default_rng(0)
    dates = ["Mar 5, 2018", "2018-03", "2018", "2018-04-02", "民國107年3月9日", "", "2017-12-31"]
    vecs = {}
    with open_store(None, store_settings, create=True) as st:
        for j, d in enumerate(dates):
            art, chunks = make_article(f"a{j}", 1, date=d)
            v = unit(rng, 1)
            vecs[f"a{j}:0"] = v[0]
            st.add(art, chunks, v)
        st.commit()
        assert st.check() == []
        cases = [
            (SearchFilter.make(date_from="2018-03-01", date_to="2018-03-31"), {0, 1, 2, 4}),
            (SearchFilter.make(date_from="2018-03-06"), {1, 2, 3, 4}),  # the month and the year still overlap
            (SearchFilter.make(date_to="2018-02-28"), {2, 6}),
            (SearchFilter.make(date_from="2018-03-05", date_to="2018-03-05"), {0, 1, 2}),
        ]
        for f, want in cases:
            hits = st.search(vecs["a0:0"], 10, f)
            assert {h[0] for h in hits} == {f"a{j}:0" for j in want}, f.describe()
            assert st.count_matching(f) == len(want)


def test_jsonl_date_field_is_honoured(tmp_path):
    p = tmp_path / "a.jsonl"
    rows = [{"id": "x", "text": "正文。", "date": "Mar 5, 2018"}, {"id": "y", "text": "正文二。", "date": "2018年第5期"},
            {"id": "z", "text": "正文三。"}, {"id": "w", "text": "正文四。", "date": "someday"}]
    p.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    errors: list[IngestError] = []
    got = {a.id: a.date for a in load_path(p, Settings(), errors)}
    assert got == {"x": "2018-03-05", "y": "2018", "z": ""}
    assert len(errors) == 1 and "field 'date'" in str(errors[0]) and "someday" in str(errors[0])


_BODY = "".join(f"<p>This is paragraph {i} of a long enough news story about the harbour and the city council, "
                f"which met again on Tuesday to talk about the budget.</p>" for i in range(6))


@pytest.mark.parametrize("head, byline, iso", [
    ('<meta property="article:published_time" content="2019-07-04T08:00:00Z">', "", "2019-07-04"),
    ('<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2020-02-29"}</script>', "",
     "2020-02-29"),
    ("", '<time datetime="2021-11-08">8 November 2021</time>', "2021-11-08"),
    ("", "<p>By Jane Smith | Mar 5, 2018</p>", "2018-03-05"),
    ("", "<p>記者 陳曉華／高雄報導 2018年1月11日</p>", "2018-01-11"),
    ("", "", ""),  # a page with no date says so: nothing from the wall clock
])
def test_html_publication_date(tmp_path, head, byline, iso):
    page = (f"<html><head><title>Harbour budget</title>{head}</head><body><article><h1>Harbour budget</h1>"
            f"{byline}{_BODY}</article><footer>© 2024 The Paper</footer></body></html>")
    p = tmp_path / "page.html"
    p.write_text(page, encoding="utf-8")
    [art] = load_path(p, Settings())
    assert art.date == iso
