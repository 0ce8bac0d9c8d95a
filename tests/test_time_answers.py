"""Time-aware answers end to end (real embedder, FAISS + SQLite, extractive mode): as_of through the Python API,
the CLI and the HTTP API (the official openai client's extra body and /api/ask); date filters, comparisons and
same-month questions from the passages' dates, yes/no answers, dates on sources, and today's date in the notes
when no as_of is given."""
from __future__ import annotations

import json
from datetime import date

import httpx
import pytest

from articleqa.settings import load_settings

ARTICLES = [
    ("u2310", "2023-10-05", "国家统计局10月5日公布，全国城镇调查失业率为5.0%，比上月下降0.2个百分点。"),
    ("u2311", "2023-11-06", "国家统计局11月6日公布，全国城镇调查失业率为4.8%，比上月有所回落。"),
    ("u2410", "2024-10-04", "国家统计局10月4日公布，全国城镇调查失业率为5.1%，比上月上升0.1个百分点。"),
    ("e1", "2020-03-13", "加西大学宣布关闭校园，所有课程改为线上教学，学生宿舍将在一周内关闭。"),
    ("e2", "2020-05-20", "陕西城固县朝阳小学发生学生集体呕吐事件，当地已成立调查组调查原因。"),
    ("e3", "2020-05-28", "北京市发布生活垃圾分类条例实施细则，明确了各类场所的分类责任。"),
    ("p1", "2023-04-01", "国家体育总局原副局长杜兆才因涉嫌严重违纪违法被查，正接受纪律审查和监察调查。"),
    ("p2", "2024-08-28", "武汉市中级人民法院一审开庭审理杜兆才受贿案，杜兆才被查后被控受贿5000余万元。"),
    ("y1", "", "2020年，加西大学关闭校园。"),  # a year only: cannot tell a month, so e1 dates the closure
    ("m2", "2020-03-20", "多家上市公司发布回购公告，回购金额合计超过百亿元，市场信心有所恢复。"),
    ("m3", "2020-03-25", "上市公司股东减持股份的公告明显减少，部分股东承诺六个月内不减持。"),
    ("m1", "2020-04-02", "3月以来，162家上市公司股东增持股份，95家上市公司发布回购预案。"),
    ("n1", "", "英国瓦工Neil Jones赢得240万英镑彩票大奖，开始追求台球爱好。"),
    ("b1", "Mar 5, 2018", "The harbour board approved a budget of 12 million dollars for the new ferry terminal."),
    ("b2", "2019-03-07", "The harbour board approved a budget of 15 million dollars for dredging the channel."),
    # February 2025 holds news, none of it about 杜兆才
    ("f1", "2025-02-10", "男子篮球联赛常规赛结束，广东队以三十胜排名第一。"),
    ("f2", "2025-02-18", "春节后首个交易日，沪深两市成交额突破一万亿元。"),
    ("f3", "2025-02-25", "气象台发布寒潮预警，北方多地气温下降八度以上。"),
    ("f4", "2025-02-12", "元宵节灯会开幕，首日接待游客二十万人次。"),
    ("f5", "2025-02-20", "新能源汽车一月销量同比增长三成，出口继续增加。"),
    ("f6", "2025-02-27", "多所高校公布研究生复试分数线，部分专业分数线上涨。"),
]
UNDATED = {a for a, d, _ in ARTICLES if not d}
AS_OF = "2024-11-12"
UNEMPLOYMENT = "去年10月全国城镇调查失业率是多少？"


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    from ingest import ingest_paths

    root = tmp_path_factory.mktemp("time-index")
    src = root / "news.jsonl"
    src.write_text("\n".join(json.dumps({"id": i, "title": f"新闻 {i}", "text": t, "date": d}, ensure_ascii=False)
                             for i, d, t in ARTICLES), encoding="utf-8")
    index = root / "index"
    settings = load_settings().with_overrides({"index_dir": str(index)})
    report = ingest_paths([src], index_dir=index, settings=settings)
    assert report.added == len(ARTICLES) and not report.failed
    return index


@pytest.fixture(scope="module")
def assistant(index):
    from qa import Assistant

    with Assistant.open(index, load_settings()) as a:
        yield a


def test_relative_question_filters_to_its_period(assistant):
    ans = assistant.ask(UNEMPLOYMENT, mode="extractive", as_of=AS_OF)
    assert not ans.refused and "5.0%" in ans.text, ans.text
    assert ans.citations[0].article_id == "u2310" and ans.citations[0].date == "2023-10-05"
    assert ans.as_of == AS_OF and ans.standalone_question == UNEMPLOYMENT
    assert any("2023-10-01" in n for n in ans.notes), ans.notes
    assert all(p.date or p.chunk.article_id in UNDATED for p in ans.passages)  # undated ones cannot be ruled out
    # asked a year later, the same words mean October 2024
    later = assistant.ask(UNEMPLOYMENT, mode="extractive", as_of="2025-11-12")
    assert "5.1%" in later.text and later.citations[0].article_id == "u2410", later.text


def test_a_month_is_searched_a_few_days_past_its_end(assistant, index):
    from datetime import date

    from articleqa.dates import Period
    from qa import Assistant
    from qa.time.retrieve import with_report_lag

    march, day = Period(date(2020, 3, 1), date(2020, 3, 31)), Period(date(2020, 3, 3), date(2020, 3, 3))
    assert with_report_lag(march, 3).end == date(2020, 4, 3) and with_report_lag(day, 3) == day
    ans = assistant.ask("上个月有多少家上市公司股东增持了股份？", mode="extractive", as_of="2020-04-06")
    assert not ans.refused and "162家" in ans.text and ans.citations[0].article_id == "m1", ans.text
    with Assistant.open(index, load_settings().with_overrides({"time.report_lag_days": 0})) as no_lag:
        off = no_lag.ask("上个月有多少家上市公司股东增持了股份？", mode="extractive", as_of="2020-04-06")
    assert any("2020-04-03" in n for n in ans.notes) and not any("2020-04-03" in n for n in off.notes), off.notes


def test_no_as_of_uses_today_and_says_so(assistant):
    ans = assistant.ask(UNEMPLOYMENT, mode="extractive")
    assert any(date.today().isoformat() in n and "今天" in n for n in ans.notes), ans.notes
    with pytest.raises(ValueError, match="as_of"):
        assistant.ask(UNEMPLOYMENT, mode="extractive", as_of="last week")


def test_which_came_first_and_same_month_from_dates(assistant):
    ans = assistant.ask("陕西城固县朝阳小学事件与加西大学关闭校园，哪一个事件发生更早？", mode="extractive", as_of=AS_OF)
    assert ans.text.startswith("加西大学关闭校园"), ans.text
    assert {c.article_id for c in ans.citations} == {"e1", "e2"} and all(c.date for c in ans.citations)
    same = assistant.ask("陕西城固县朝阳小学事件和北京市生活垃圾分类条例实施细则是在同一个月发布的吗？", mode="extractive",
                         as_of=AS_OF)
    assert same.text.startswith("是的"), same.text
    other = assistant.ask("加西大学关闭校园和陕西城固县朝阳小学事件是在同一个月吗？", mode="extractive", as_of=AS_OF)
    assert other.text.startswith("不是"), other.text
    en = assistant.ask("加西大學關閉校園與陝西城固縣朝陽小學事件，哪一個事件發生更早？", mode="extractive", as_of=AS_OF)
    assert en.text.startswith("加西大學關閉校園"), en.text  # Traditional in, Traditional out


def test_comparison_shapes(assistant):
    """A list after 「最早发生的是哪个？」, a same-day question that names 「这两个事件」 (not an 「X当天，Y」 question),
    and an event dated by what was published by as_of (the trial reported later is not the arrest)."""
    first = assistant.ask("以下事件中，最早发生的是哪个？陕西城固县朝阳小学事件，加西大学关闭校园，北京市生活垃圾分类条例实施细则。",
                          mode="extractive", as_of=AS_OF)
    assert first.text.startswith("加西大学关闭校园"), first.text
    assert len(first.citations) == 3
    day = assistant.ask("加西大学关闭校园和北京市生活垃圾分类条例实施细则这两个事件是同一天发生的吗？", mode="extractive",
                        as_of=AS_OF)
    assert day.text.startswith("不是"), day.text
    arrest = assistant.ask("杜兆才被查和北京市生活垃圾分类条例实施细则是同一年吗？", mode="extractive", as_of="2023-12-10")
    assert arrest.text.startswith("不是") and "2023-04-01" in arrest.text, arrest.text
    assert "p2" not in {c.article_id for c in arrest.citations}


def test_relative_years_are_not_figures_to_find(assistant):
    """「14年前」 resolved to 2010 filters the search; the gates do not look for 「14」 in the passages, and the
    reader reads the question with the year written out."""
    ans = assistant.ask("14年前Neil Jones在英国赢得的是什么？", mode="extractive", as_of=AS_OF)
    assert not ans.refused and "240万英镑" in ans.text, (ans.text, ans.notes)


def test_yes_no_and_latest(assistant):
    ans = assistant.ask("2023年11月全国城镇调查失业率是否比上月回落？", mode="extractive", as_of=AS_OF)
    assert ans.text.startswith("是的"), ans.text
    latest = assistant.ask("目前最新的全国城镇调查失业率是多少？", mode="extractive", as_of=AS_OF)
    assert latest.citations[0].article_id == "u2410", latest.text
    assert latest.passages[0].date == "2024-10-04"


def test_english_date_matches_a_filter(assistant):
    ans = assistant.ask("What budget did the harbour board approve in March 2018?", mode="extractive", as_of=AS_OF)
    assert "12 million" in ans.text and ans.citations[0].date == "2018-03-05", ans.text
    first = assistant.ask("Which came first, the ferry terminal budget or the channel dredging budget?",
                          mode="extractive", as_of=AS_OF)
    assert first.text.startswith("the ferry terminal budget came first (2018-03-05)"), first.text
    same = assistant.ask("Were the ferry terminal budget and the channel dredging budget in the same year?",
                         mode="extractive", as_of=AS_OF)
    assert same.text.startswith("No."), same.text


def test_cli_as_of_and_dated_sources(index, capsys):
    from interfaces.cli import main

    assert main(["ask", UNEMPLOYMENT, "--as-of", AS_OF, "--mode", "extractive", "--index", str(index)]) == 0
    out = capsys.readouterr().out
    assert "5.0%" in out and "(2023-10-05;" in out
    assert main(["ask", UNEMPLOYMENT, "--as-of", "soon", "--index", str(index)]) == 2
    assert "as_of: 'soon' is not a date" in capsys.readouterr().err


@pytest.fixture(scope="module")
def served(index, tmp_path_factory):
    from interfaces.api.testing import serve_subprocess
    from interfaces.ports import free_port

    port = free_port()
    log = tmp_path_factory.mktemp("time-logs") / "serve.log"
    with serve_subprocess(index, port, env={"ARTICLEQA_ANSWER__MODE": "extractive"}, log=log):
        yield f"http://127.0.0.1:{port}"


def test_http_api_as_of(served):
    import openai

    client = openai.OpenAI(base_url=served + "/v1", api_key="x")
    r = client.chat.completions.create(model="articleqa", messages=[{"role": "user", "content": UNEMPLOYMENT}],
                                       extra_body={"as_of": AS_OF})
    extra = r.model_extra["articleqa"]
    assert "5.0%" in extra["text"] and extra["as_of"] == AS_OF
    assert extra["citations"][0]["date"] == "2023-10-05" and "(2023-10-05)" in r.choices[0].message.content
    got = httpx.post(served + "/api/ask", json={"question": UNEMPLOYMENT, "as_of": "2025-11-12"}, timeout=120).json()
    assert "5.1%" in got["text"] and got["citations"][0]["date"] == "2024-10-04"
    bad = httpx.post(served + "/api/ask", json={"question": UNEMPLOYMENT, "as_of": "tomorrow"}, timeout=60)
    assert bad.status_code == 400 and "as_of" in bad.text


BRIBES = "一个月前杜兆才被控受贿多少？"


def test_refused_within_a_relative_period_is_asked_again_up_to_as_of(assistant, index):
    from qa import Assistant

    # a month ago is February 2025: six articles then, none about him, fill the passages
    ans = assistant.ask(BRIBES, mode="extractive", as_of="2025-03-20")
    assert not ans.refused and "5000余万元" in ans.text, (ans.text, ans.notes)
    assert ans.citations[0].article_id == "p2" and ans.citations[0].date == "2024-08-28"
    assert any("2025-03-20 以前发布的所有文章" in n for n in ans.notes), ans.notes  # says it looked beyond
    # nothing published after as_of is known: asked before the trial's report, it is refused
    early = assistant.ask(BRIBES, mode="extractive", as_of="2024-05-20")
    assert early.refused, early.text
    # a yes/no question is not asked again (a "yes" from another month would be wrong), nor with the knob off
    assert assistant.ask("一个月前杜兆才是否被控受贿？", mode="extractive", as_of="2025-03-20").refused
    off = load_settings().with_overrides({"time": {"beyond_relative_period": False}})
    with Assistant.open(index, off) as strict:
        assert strict.ask(BRIBES, mode="extractive", as_of="2025-03-20").refused
