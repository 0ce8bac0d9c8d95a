"""Time expressions in questions (zh-Hant, zh-Hans, en) resolved against as_of; the parser never reads the clock."""
from __future__ import annotations

from datetime import date

import pytest

from articleqa.timeexpr import parse_as_of, parse_question_time, zh_int


def _read(question: str, as_of: str) -> list[tuple[str, str, bool]]:
    qt = parse_question_time(question, date.fromisoformat(as_of))
    return [(str(e.period), e.text, e.relative) for e in qt.exprs]


@pytest.mark.parametrize("question, as_of, period", [
    ("去年10月iPhone更新解决了哪个问题？", "2024-11-12", "2023-10-01..2023-10-31"),
    ("去年的營收是多少？", "2024-11-12", "2023-01-01..2023-12-31"),
    ("上個月的失業率是多少？", "2024-01-15", "2023-12-01..2023-12-31"),
    ("上个月的CPI涨了多少？", "2024-03-15", "2024-02-01..2024-02-29"),
    ("本月初發生了什麼？", "2024-05-15", "2024-05-01..2024-05-10"),
    ("三年前的今天發生了什麼？", "2024-03-05", "2021-03-05"),
    ("三年前王毅对朝鲜半岛问题的态度是什么？", "2024-11-12", "2021-01-01..2021-12-31"),
    ("截至上周，荣盛发展的股价连续多少日涨停？", "2023-06-14", "2023-06-05..2023-06-11"),
    ("2017年三季度末的贷款余额是多少？", "2024-01-01", "2017-07-01..2017-09-30"),
    ("2017年第四季度", "2024-01-01", "2017-10-01..2017-12-31"),
    ("今年上半年GDP增长多少？", "2024-08-01", "2024-01-01..2024-06-30"),
    ("民國107年的營收是多少？", "2024-01-01", "2018-01-01..2018-12-31"),
    ("民国一百零七年3月", "2024-01-01", "2018-03-01..2018-03-31"),
    ("兩週前發生了什麼？", "2024-11-12", "2024-10-28..2024-11-03"),
    ("近三年营收增长多少？", "2024-03-01", "2021-03-01..2024-03-01"),
    ("8月15日发生了什么？", "2024-03-01", "2023-08-15"),  # a month and day not yet reached: last year's
    ("四年前上半年政府对哪个群体的工资待遇进行督导？", "2024-11-12", "2020-01-01..2020-06-30"),  # one period
    ("五年前9月，哪两个国家的总统通话记录涉及保密问题？", "2024-11-12", "2019-09-01..2019-09-30"),
    ("兩年前的3月5日發生了什麼？", "2024-11-12", "2022-03-05"),
    ("五年前初次登场的球员是谁？", "2024-11-12", "2019-01-01..2019-12-31"),  # 初次 is not 年初
    ("What happened last March?", "2024-11-12", "2024-03-01..2024-03-31"),
    ("What happened last March?", "2024-02-12", "2023-03-01..2023-03-31"),
    ("What was the price two weeks ago?", "2024-11-12", "2024-10-28..2024-11-03"),
    ("How many cases were reported last month?", "2024-01-15", "2023-12-01..2023-12-31"),
    ("What did the bank say in March 2018?", "2024-01-01", "2018-03-01..2018-03-31"),
    ("What happened in 2018?", "2024-01-01", "2018-01-01..2018-12-31"),
    ("What was the output in Q3 2017?", "2024-01-01", "2017-07-01..2017-09-30"),
    ("As of Mar 5, 2018 how many stores were open?", "2024-01-01", "2018-03-05"),
])
def test_expressions(question, as_of, period):
    got = _read(question, as_of)
    assert got and got[0][0] == period, got


@pytest.mark.parametrize("question", [
    "2024年巴黎奥运会中国获得多少金牌？",  # a year that names an event
    "Who won the 2022 World Cup?",
    "GNEV2024论坛在哪里举办？",
    "京東金融的CEO是誰？",
    "为什么HBO能够使用户在三个小时前后（根据不同的地理位置）看同一个节目？",  # a duration (CMRC 2018 dev)
    "两小时前发生了什么？",  # hours are no filter on publication days
    "What happened 3 hours ago?",
])
def test_no_time_to_filter_by(question):
    assert _read(question, "2024-11-12") == []


def test_relative_flags_until_and_latest():
    qt = parse_question_time("截至上周，荣盛发展的股价连续多少日涨停？", date(2023, 6, 14))
    assert qt.relative and qt.exprs[0].until
    assert not parse_question_time("2017年三季度的营收", date(2024, 1, 1)).relative
    assert parse_question_time("目前最新的失業率是多少？", date(2024, 1, 1)).latest
    assert parse_question_time("What is the latest unemployment rate?", date(2024, 1, 1)).latest
    assert not parse_question_time("Who founded the company?", date(2024, 1, 1)).latest


def test_as_of_is_read_not_guessed():
    assert parse_as_of("2024-11-12") == date(2024, 11, 12)
    assert parse_as_of(None) is None and parse_as_of("") is None
    with pytest.raises(ValueError, match="as_of: 'yesterday' is not a date"):
        parse_as_of("yesterday")
    assert (zh_int("一百零七"), zh_int("二十三"), zh_int("十二"), zh_int("12"), zh_int("abc")) == (107, 23, 12, 12, None)


# --- the library layer (jionlp, dateparser) behind the rules -------------------------------------------------------

@pytest.mark.parametrize("question, as_of, period, text", [
    ("大前天发生了什么？", "2024-11-12", "2024-11-09", "大前天"),  # the rules' 前天 no longer reads inside it
    ("大後天的天氣如何？", "2024-11-12", "2024-11-15", "大后天"),
    ("两年多前发布了什么意见？", "2024-11-12", "2022-01-01..2022-12-31", "两年多前"),
    ("年报显示上年的净亏损是多少？", "2024-03-31", "2023-01-01..2023-12-31", "上年"),
    ("What happened the day before yesterday?", "2024-11-12", "2024-11-10", "the day before yesterday"),
    ("Who arrives the day after tomorrow?", "2024-11-12", "2024-11-14", "the day after tomorrow"),
    ("What was the price 3 fortnights ago?", "2024-11-12", "2024-09-30..2024-10-06", "3 fortnights ago"),
    ("What did the mayor say a decade ago?", "2024-11-12", "2014-01-01..2014-12-31", "a decade ago"),
    ("What did the mayor say a decade ago?", "2030-02-01", "2020-01-01..2020-12-31", "a decade ago"),
])
def test_library_reads_what_the_rules_miss(question, as_of, period, text):
    got = _read(question, as_of)
    assert got == [(period, text, True)], got


@pytest.mark.parametrize("question", [
    "神舟十三号成功返回当天，上海新增了多少本土确诊病例？",  # jionlp alone: 十三号 and 当天 as days
    "周六福珠宝什么时候回复深交所首轮问询？",  # 周六 of a brand name
    "2021年五一劳动节期间工作满一年的员工能请多少天假？",  # 劳动节 in the year asked at
    "May I ask who founded the company?",  # dateparser alone: May
    "Who is the president now?",
])
def test_library_noise_is_not_a_time(question):
    got = _read(question, "2024-11-12")
    assert all(text not in ("当天", "十三号", "周六", "劳动节", "May", "now") for _, text, _ in got), got


def test_a_phrase_jionlp_cannot_parse_logs_nothing(caplog):
    """jionlp logs a traceback on the root logger for 「…后」 in this CMRC 2018 question and goes on; the rules'
    reading stands and nothing reaches the user's terminal."""
    import logging

    with caplog.at_level(logging.DEBUG):
        got = _read('HBO在1992年于新加坡"SCV" 正式启播后每天播放多少小时的节目？', "2024-11-12")
    assert [text for _, text, _ in got] == ["1992年"], got
    assert not [r for r in caplog.records if "jionlp" in r.pathname], caplog.text[:300]


def test_libraries_are_imported_only_when_needed():
    import subprocess
    import sys

    code = ("import sys; from datetime import date; from articleqa.timeexpr import parse_question_time as p; "
            "p('What happened in March 2018?', date(2024, 1, 1)); p('去年10月的营收是多少？', date(2024, 1, 1)); "
            "print('jionlp' in sys.modules, 'dateparser' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"], out


def test_servers_preload_jionlp_without_its_banner():
    """A server imports jionlp in the background at start: the first Chinese question with a time word does not
    wait for it, jionlp's banner is dropped, and what the server prints meanwhile still comes out."""
    import subprocess
    import sys

    code = ("import sys, time, threading; from articleqa.settings import load_settings; "
            "from articleqa.timeparsers import preload_in_background as pre; pre(load_settings()); "
            "[print('server line', i, flush=True) or time.sleep(0.02) for i in range(20)]; "
            "[t.join() for t in threading.enumerate() if t.name == 'articleqa-jionlp']; "
            "print('jionlp' in sys.modules, type(sys.stdout).__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120).stdout
    lines = out.splitlines()
    assert lines[-1] == "True TextIOWrapper", out
    assert [x for x in lines if x.startswith("server line")] == [f"server line {i}" for i in range(20)], out
    assert "jionlp" not in out.lower().replace("true", ""), out
