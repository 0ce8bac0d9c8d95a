"""The web chat's date controls through the `ChatUI` handlers (no browser; real embedder, FAISS + SQLite,
extractive mode): the as-of day read into relative questions, the publication-date range filter (the store's own
filter), one-line messages for bad dates, and each source's publication date ("undated" for none)."""
from __future__ import annotations

from datetime import date

import pytest


FERRY = "How many passengers did the Orlen ferry carry last year?"
BRIDGE = "Which bridge did the Tamsel council repaint?"


@pytest.fixture(scope="module")
def ui(tmp_path_factory):
    from interfaces.webui.ui import ChatUI
    from tests.store_helpers import dated_news_settings

    chat_ui = ChatUI(dated_news_settings(tmp_path_factory.mktemp("dates")), seed_samples=False)
    yield chat_ui
    chat_ui.app.base.close()


def _turn(ui, question, as_of="", date_from="", date_to=""):
    *_, last = ui.respond(question, [], "extractive", 5, None, as_of, date_from, date_to)
    return last, last[1][-1]


def test_as_of_is_read_into_a_relative_question(ui):
    out, turn = _turn(ui, FERRY, "2024-11-12")
    ans = turn["answer"]
    assert "18,400" in ans.text and [c.article_id for c in ans.citations] == ["orlen-2023"], ans.text
    assert any("2023-01-01" in n and "2024-11-12" in n for n in ans.notes), ans.notes
    assert turn["settings"]["as_of"] == "2024-11-12"
    assert '<span class="aq-date">· 2023-10-04</span>' in out[3]  # the source card shows its article's date
    assert out[4]["choices"] == [("[1] Orlen ferry figures for 2023 (2023-10-04)", "c1")]
    _, later = _turn(ui, FERRY, "2025-03-01")  # a year later the same words mean 2024
    assert "21,900" in later["answer"].text and later["answer"].citations[0].date == "2024-10-03"


def test_empty_as_of_is_today_and_the_notes_say_so(ui):
    _, turn = _turn(ui, FERRY, "")
    assert any(date.today().isoformat() in n and "today" in n for n in turn["answer"].notes), turn["answer"].notes
    assert turn["settings"]["as_of"] is None


def test_date_range_restricts_retrieval(ui):
    _, after = _turn(ui, BRIDGE, "2024-11-12", "2021-01-01")
    ans = after["answer"]
    assert "Mill bridge" in ans.text and [c.article_id for c in ans.citations] == ["tamsel-2022"], ans.text
    assert "tamsel-2019" not in {p.chunk.article_id for p in ans.passages}
    assert all(p.date >= "2021" for p in ans.passages)  # undated articles are out of a date range too
    _, before = _turn(ui, BRIDGE, "2024-11-12", "", "2020-12-31")
    assert "Weir bridge" in before["answer"].text
    assert {p.chunk.article_id for p in before["answer"].passages} == {"tamsel-2019"}
    assert (before["settings"]["date_from"], before["settings"]["date_to"]) == ("", "2020-12-31")


@pytest.mark.parametrize("dates, message", [
    (("yesterday", "", ""), "As of&#58; &#39;yesterday&#39; is not a date"),
    (("", "2024-13-01", ""), "Published from&#58; &#39;2024&#45;13&#45;01&#39; is not a date"),
    (("", "", "soon"), "Published to&#58; &#39;soon&#39; is not a date"),
    (("", "2021", "2019-06"), "Published from 2021&#45;01&#45;01 is after Published to 2019&#45;06&#45;30"),
])
def test_bad_dates_get_one_line_in_the_chat(ui, dates, message):
    outputs = list(ui.respond(BRIDGE, [], "extractive", 5, None, *dates))
    assert len(outputs) == 1
    messages, turns = outputs[0][0], outputs[0][1]
    assert turns[-1]["answer"] is None and message in turns[-1]["error_html"], turns[-1]["error_html"]
    assert "\n" not in turns[-1]["error_html"] and messages[-1]["content"] == turns[-1]["error_html"]


def test_undated_source_says_undated(ui):
    out, turn = _turn(ui, "How many counters does the Orlen ticket hall have?", "2024-11-12")
    assert [c.article_id for c in turn["answer"].citations] == ["orlen-hall"], turn["answer"].text
    assert "· undated</span>" in out[3] and out[4]["choices"] == [("[1] Orlen ticket hall (undated)", "c1")]
    assert "undated" in ui.open_source("c1", out[1])  # the article view says it too


def test_layout_sets_as_of_on_load_and_chat_api_keeps_its_defaults(ui):
    demo = ui.build()
    by_id = {b.elem_id: b for b in demo.blocks.values() if getattr(b, "elem_id", None)}
    assert by_id["aq-as-of"].value == ""  # the page fills in the browser's today (tests/test_browser.py)
    on_load = [f for f in demo.fns.values() if f.js and "getFullYear" in f.js]
    assert [[b.elem_id for b in f.outputs] for f in on_load] == [["aq-as-of"]] and on_load[0].fn is None
    assert by_id["aq-date-from"].value == "" and by_id["aq-date-to"].value == ""
    params = demo.get_api_info()["named_endpoints"]["/chat"]["parameters"]
    new = [p for p in params if p["parameter_name"] in ("as_of", "date_from", "date_to")]
    assert len(new) == 3 and all(p["parameter_has_default"] for p in new)
