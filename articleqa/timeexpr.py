"""Time in questions: the expressions a question holds (去年, 上個月, 三年前的今天, 截至上周, 2017年三季度, last March,
two weeks ago, 民國107年) resolved to periods of days against a reference day, ``as_of``.

The caller always passes ``as_of``; nothing here reads the wall clock. Chinese is read in Simplified (the question
is converted first), English case-insensitively. Two layers:

* **Rules** (this module, first): the shapes of the ChronoQA dev questions, where they were measured (去年10月,
  上个月, 三年前的今天, 截至上周, 2017年三季度, 民國107年, last March, two weeks ago, Q3 2017). On the issue's
  probe jionlp missed 上个月/本月 and needs Simplified input, dateparser read 「2017年」 as year 7, and neither
  reads 民國 years: so the rules go first, and a span a rule matched (read or declined, as in 2024年巴黎奥运会) is
  theirs.
* **Libraries** (:mod:`articleqa.timeparsers`, behind them): jionlp for Chinese, dateparser for English, for the
  time expressions in what no rule matched (大前天, 大后天, 半年前, 两年多前, 上年; "the day before
  yesterday", "3 fortnights ago", "a decade ago", "next Monday"), given ``as_of`` explicitly and imported only when
  such a question comes (their import cost is measured in :mod:`articleqa.timeparsers`).

A year that is part of a name (「2024年巴黎奥运会」, "the 2022 World Cup", GNEV2024) is not a time to filter by.
"Latest / 最新 / 目前" marks the question as asking for the most recent report (:attr:`QuestionTime.latest`).
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from articleqa.dates import MONTHS, Period
from articleqa.text import to_simplified


@dataclass(frozen=True)
class TimeExpr:
    """One time expression of a question and the days it means."""

    text: str  # as the question wrote it (Simplified for Chinese)
    period: Period
    relative: bool  # resolved against as_of (去年, last month); False for 2017年三季度
    until: bool = False  # 截至 / as of / by: the state at the end of the period


@dataclass
class QuestionTime:
    """What a question says about time, resolved against ``as_of``."""

    as_of: date
    exprs: list[TimeExpr] = field(default_factory=list)
    latest: bool = False  # asks for the most recent report (最新, 目前, latest, currently)

    @property
    def relative(self) -> bool:
        return any(e.relative for e in self.exprs)

    @property
    def period(self) -> Period | None:
        """The days all expressions cover together (their hull), or None when the question names no time."""
        if not self.exprs:
            return None
        return Period(min(e.period.start for e in self.exprs), max(e.period.end for e in self.exprs))


# --- numbers ---------------------------------------------------------------------------------------------------

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_EN_NUMS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
            "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "several": 3, "a few": 3, "couple of": 2, "a couple of": 2}
N_ZH = r"[零〇一二两三四五六七八九十百\d]+"


def zh_int(s: str | None) -> int | None:
    """12, 十二, 二十三, 一百零七, 一零七 -> int (None when it is not a number)."""
    if not s:
        return None
    if s.isdigit():
        return int(s)
    if not s or any(ch not in _CN_DIGITS and ch not in "十百" for ch in s):
        return None
    if "十" not in s and "百" not in s:
        return int("".join(str(_CN_DIGITS[ch]) for ch in s))
    total, cur = 0, 0
    for ch in s:
        if ch in "十百":
            total += (cur or 1) * (10 if ch == "十" else 100)
            cur = 0
        else:
            cur = _CN_DIGITS[ch]
    return total + cur


def _en_int(s: str) -> int | None:
    s = s.lower().strip()
    return int(s) if s.isdigit() else _EN_NUMS.get(s)


# --- calendar helpers ------------------------------------------------------------------------------------------

def _month(y: int, m: int) -> Period:
    while m < 1:
        y, m = y - 1, m + 12
    while m > 12:
        y, m = y + 1, m - 12
    return Period(date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1]))


def _months(y: int, m1: int, m2: int) -> Period:
    return Period(_month(y, m1).start, _month(y, m2).end)


def _year(y: int) -> Period:
    return Period(date(y, 1, 1), date(y, 12, 31))


def _week(d: date) -> Period:
    start = d - timedelta(days=d.weekday())
    return Period(start, start + timedelta(days=6))


def _day(d: date) -> Period:
    return Period(d, d)


def _shift_years(d: date, n: int) -> date:
    try:
        return d.replace(year=d.year + n)
    except ValueError:  # 29 February
        return d.replace(year=d.year + n, day=28)


def _shift_months(d: date, n: int) -> date:
    m0 = d.month - 1 + n
    y, m = d.year + m0 // 12, m0 % 12 + 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def _part_of_year(y: int, part: str) -> Period:
    """年初 / 年底 / 上半年 / 第三季度 / Q3 / first half -> the months they mean in year ``y``."""
    part = part.lower()
    quarter = re.search(r"(?:第?([一二三四1-4])季度?|q([1-4])|(first|second|third|fourth) quarter)", part)
    if quarter:
        q = {"一": 1, "二": 2, "三": 3, "四": 4, "first": 1, "second": 2, "third": 3, "fourth": 4}.get(
            quarter.group(1) or quarter.group(3) or "", None) or int(quarter.group(1) or quarter.group(2))
        return _months(y, 3 * q - 2, 3 * q)
    if re.search(r"上半年|first half|h1", part):
        return _months(y, 1, 6)
    if re.search(r"下半年|second half|h2", part):
        return _months(y, 7, 12)
    if re.search(r"初|beginning|start|early", part):
        return _months(y, 1, 2)
    if re.search(r"底|末|end|late", part):
        return _months(y, 11, 12)
    return _year(y)


def _part_of_month(p: Period, part: str) -> Period:
    if not part:
        return p
    if re.search(r"上旬|初", part):
        return Period(p.start, p.start + timedelta(days=9))
    if "中旬" in part:
        return Period(p.start + timedelta(days=10), p.start + timedelta(days=19))
    if re.search(r"下旬|底|末", part):
        return Period(p.start + timedelta(days=20), p.end)
    return p


# --- Chinese ---------------------------------------------------------------------------------------------------

_UNTIL_ZH = re.compile(r"(截至|截止|截止到|截至到|到|至)\s*$")
_YEAR_PART_ZH = r"(?:第?[一二三四1-4]季度|上半年|下半年|年初|年底|年末|初|底|末)"
_MONTH_PART_ZH = r"(?:上旬|中旬|下旬|初|底|末)"
_YEARS_PART_ZH = r"(?:第?[一二三四1-4]季度|上半年|下半年|年初|年底|年末)"  # after 三年前: no bare 初 (三年前初次)
# a year directly followed by one of these names an event or a product, not a time: 2024年巴黎奥运会
_NAMED_EVENT = re.compile(r"^[\u4e00-\u9fff]{0,8}?(?:奥运会|冬奥会|残奥会|世界杯|亚运会|博览会|世博会|峰会|论坛|大会|运动会|"
                          r"锦标赛|春晚|全运会|杯|赛季|版|款|年会|年度报告|年报)")
_REL_YEAR_ZH = {"今年": 0, "本年": 0, "去年": -1, "上一年": -1, "前年": -2, "大前年": -3, "明年": 1, "当年": 0}

_ZH_RULES: list[tuple[str, re.Pattern]] = [
    ("roc", re.compile(rf"民国\s*({N_ZH})\s*年(?:\s*({N_ZH})\s*月(?:\s*({N_ZH})\s*[日号])?)?")),
    ("ymd", re.compile(r"(?<!\d)((?:19|20)\d{2})\s*(?:年|-|/|\.)\s*(\d{1,2})\s*(?:月|-|/|\.)\s*(\d{1,2})\s*[日号]?")),
    ("ym", re.compile(rf"(?<!\d)((?:19|20)\d{{2}})\s*年\s*({N_ZH})\s*月\s*({_MONTH_PART_ZH})?")),
    ("ypart", re.compile(rf"(?<!\d)((?:19|20)\d{{2}})\s*年\s*({_YEAR_PART_ZH})")),
    ("y", re.compile(r"(?<![\dA-Za-z])((?:19|20)\d{2})\s*年(?!\s*[\d一二三四五六七八九十]+\s*月)(?!以来|来)")),
    ("yrange", re.compile(r"(?<![\dA-Za-z])((?:19|20)\d{2})\s*(?:年)?\s*[-至到~]\s*((?:19|20)\d{2})\s*年")),
    ("relyear", re.compile(rf"(?<![比较于])(大前年|前年|去年|今年|本年|明年|上一年|当年)\s*(?:(?:的)?({N_ZH})\s*月\s*(?:({N_ZH})\s*[日号])?\s*({_MONTH_PART_ZH})?"
                           rf"|({_YEAR_PART_ZH}))?")),
    ("nyearsago", re.compile(rf"({N_ZH})\s*年前(的今天|的今日|的这一天|的同一天|的本月|的这个月|的今年)?"
                             rf"(?:的?(?:({N_ZH})\s*月\s*(?:({N_ZH})\s*[日号])?|({_YEARS_PART_ZH})))?")),
    ("nmonthsago", re.compile(rf"({N_ZH})\s*个?月前(的今天|的今日)?")),
    ("nweeksago", re.compile(rf"({N_ZH})\s*(?:个)?(?:周|星期|礼拜)前")),
    ("ndaysago", re.compile(rf"({N_ZH})\s*(?:天|日)前")),
    ("recent", re.compile(rf"(?:近|过去|最近|过去的|近来)\s*({N_ZH})\s*(个月|年|周|个星期|天|日)")),
    ("relmonth", re.compile(rf"(?<![比较于环])(上上个月|上个月|上月|本月|这个月|当月|下个月|下月)\s*({N_ZH}\s*[日号])?\s*({_MONTH_PART_ZH})?")),
    ("relweek", re.compile(r"(?<![比较于环])(上上周|上周|上星期|上个星期|上礼拜|上个礼拜|本周|这周|这个星期|本星期|这星期|下周)")),
    ("relquarter", re.compile(r"(上季度|上个季度|上一季度|本季度|这个季度|下季度)")),
    ("relday", re.compile(r"(今天|今日|昨天|昨日|(?<!大)前天|明天)")),  # 大前天: the library's
    ("md", re.compile(rf"(?<![\d年])({N_ZH})\s*月\s*(?:({N_ZH})\s*[日号])?\s*({_MONTH_PART_ZH})?")),
    ("halfyear", re.compile(r"(上半年|下半年)")),
]
_LATEST_ZH = re.compile(r"最新|目前|现在|当前|如今|至今|迄今|眼下|现时|最近一次|最近的|最近")


def _zh_exprs(q: str, as_of: date, seen: list[bool] | None = None) -> list[TimeExpr]:
    """The rules' reading; ``seen`` gets every character a rule matched, read or declined (2024年巴黎奥运会)."""
    out: list[TimeExpr] = []
    taken = [False] * len(q)
    for kind, pattern in _ZH_RULES:
        for m in pattern.finditer(q):
            if seen is not None:
                seen[m.start():m.end()] = [True] * (m.end() - m.start())
            if any(taken[m.start():m.end()]):
                continue
            res = _zh_resolve(kind, m, q, as_of)
            if res is None:
                continue
            period, relative = res
            for i in range(m.start(), m.end()):
                taken[i] = True
            until = bool(_UNTIL_ZH.search(q[max(0, m.start() - 4):m.start()]))
            out.append(TimeExpr(m.group(0).strip(), period, relative, until))
    return out


def _zh_resolve(kind: str, m: re.Match, q: str, as_of: date) -> tuple[Period, bool] | None:
    g = m.groups()
    try:
        if kind == "roc":
            y = zh_int(g[0])
            if y is None:
                return None
            y += 1911
            if g[1]:
                p = _month(y, zh_int(g[1]) or 0)
                return (_day(date(y, zh_int(g[1]), zh_int(g[2]))) if g[2] else p), False
            return _year(y), False
        if kind == "ymd":
            return _day(date(int(g[0]), int(g[1]), int(g[2]))), False
        if kind == "ym":
            mo = zh_int(g[1])
            if not mo or not 1 <= mo <= 12:
                return None
            return _part_of_month(_month(int(g[0]), mo), g[2] or ""), False
        if kind == "ypart":
            return _part_of_year(int(g[0]), g[1]), False
        if kind == "y":
            if _NAMED_EVENT.match(q[m.end():]):
                return None
            return _year(int(g[0])), False
        if kind == "yrange":
            a, b = int(g[0]), int(g[1])
            return (Period(_year(a).start, _year(b).end), False) if a <= b else None
        return _zh_relative(kind, g, as_of)
    except (ValueError, TypeError, AttributeError):  # 2月30日, a number that is not one
        return None
    return None


def _zh_relative(kind: str, g: tuple, as_of: date) -> tuple[Period, bool] | None:
    """The relative shapes of :data:`_ZH_RULES` (去年10月, 三年前, 上个月, 上周, 8月15日 ...) against ``as_of``."""
    if kind == "relyear":
        y = as_of.year + _REL_YEAR_ZH[g[0]]
        if g[1]:
            mo = zh_int(g[1])
            if not mo or not 1 <= mo <= 12:
                return None
            if g[2]:
                return _day(date(y, mo, zh_int(g[2]))), True
            return _part_of_month(_month(y, mo), g[3] or ""), True
        return _part_of_year(y, g[4] or ""), True
    if kind == "nyearsago":
        n = zh_int(g[0])
        if n is None or n > 200:
            return None
        d = _shift_years(as_of, -n)
        if g[2]:  # 五年前9月, 两年前的3月5日
            mo = zh_int(g[2])
            if not mo or not 1 <= mo <= 12:
                return None
            return (_day(date(d.year, mo, zh_int(g[3]))) if g[3] else _month(d.year, mo)), True
        if g[4]:  # 四年前上半年
            return _part_of_year(d.year, g[4]), True
        if g[1] and ("天" in g[1] or "日" in g[1]):
            return _day(d), True
        if g[1] and "月" in g[1]:
            return _month(d.year, d.month), True
        return _year(d.year), True
    if kind == "nmonthsago":
        n = zh_int(g[0])
        if n is None:
            return None
        d = _shift_months(as_of, -n)
        return (_day(d) if g[1] else _month(d.year, d.month)), True
    if kind == "nweeksago":
        n = zh_int(g[0])
        return (_week(as_of - timedelta(weeks=n)), True) if n is not None else None
    if kind == "ndaysago":
        n = zh_int(g[0])
        return (_day(as_of - timedelta(days=n)), True) if n is not None else None
    if kind == "recent":
        n = zh_int(g[0])
        if n is None:
            return None
        unit = g[1]
        start = (_shift_years(as_of, -n) if unit == "年" else _shift_months(as_of, -n) if "月" in unit
                 else as_of - timedelta(weeks=n) if unit in ("周", "个星期") else as_of - timedelta(days=n))
        return Period(start, as_of), True
    if kind == "relmonth":
        shift = {"上上个月": -2, "上个月": -1, "上月": -1, "本月": 0, "这个月": 0, "当月": 0, "下个月": 1, "下月": 1}[g[0]]
        p = _month(as_of.year, as_of.month + shift)
        if g[1]:
            day = zh_int(g[1].rstrip("日号").strip())
            return _day(date(p.start.year, p.start.month, day)), True
        return _part_of_month(p, g[2] or ""), True
    if kind == "relweek":
        shift = -2 if g[0] == "上上周" else -1 if g[0].startswith("上") else 1 if g[0] == "下周" else 0
        return _week(as_of + timedelta(weeks=shift)), True
    if kind == "relquarter":
        shift = -1 if g[0].startswith("上") else 1 if g[0].startswith("下") else 0
        q0 = (as_of.month - 1) // 3 + shift
        y = as_of.year + q0 // 4
        q0 %= 4
        return _months(y, 3 * q0 + 1, 3 * q0 + 3), True
    if kind == "relday":
        shift = {"今天": 0, "今日": 0, "昨天": -1, "昨日": -1, "前天": -2, "明天": 1}[g[0]]
        return _day(as_of + timedelta(days=shift)), True
    if kind == "md":
        mo = zh_int(g[0])
        if not mo or not 1 <= mo <= 12:
            return None
        y = as_of.year if (mo, zh_int(g[1]) or 1) <= (as_of.month, as_of.day) else as_of.year - 1
        if g[1]:
            return _day(date(y, mo, zh_int(g[1]))), True
        return _part_of_month(_month(y, mo), g[2] or ""), True
    if kind == "halfyear":
        return _part_of_year(as_of.year, g[0]), True
    return None


# --- English ---------------------------------------------------------------------------------------------------

_MON_EN = r"(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_NUM_EN = r"(\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|several|a few|a couple of)"
_UNIT_EN = r"(day|week|month|year)s?"
_EN_RULES: list[tuple[str, re.Pattern]] = [
    ("iso", re.compile(r"(?<!\d)((?:19|20)\d{2})-(\d{1,2})-(\d{1,2})(?!\d)")),
    ("mdy", re.compile(rf"\b{_MON_EN}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+((?:19|20)\d{{2}})\b", re.I)),
    ("dmy", re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MON_EN},?\s+((?:19|20)\d{{2}})\b", re.I)),
    ("my", re.compile(rf"\b{_MON_EN},?\s+(?:of\s+)?((?:19|20)\d{{2}})\b", re.I)),
    ("qy", re.compile(r"\b(q[1-4]|(?:the\s+)?(?:first|second|third|fourth)\s+quarter|(?:the\s+)?(?:first|second)\s+half|"
                      r"(?:the\s+)?(?:beginning|start|end)|early|late)\s+(?:of\s+)?((?:19|20)\d{2})\b", re.I)),
    ("ago", re.compile(rf"\b{_NUM_EN}\s+{_UNIT_EN}\s+ago\b(\s+today)?", re.I)),
    ("past", re.compile(rf"\b(?:the\s+)?(?:past|last|previous)\s+{_NUM_EN}\s+{_UNIT_EN}\b", re.I)),
    ("rel", re.compile(r"\b(last|this|next|previous|past)\s+(week|month|year|quarter)\b", re.I)),
    ("relmon", re.compile(rf"\b(last|this|in|since)\s+{_MON_EN}(?!\s*\d)\b", re.I)),
    ("relday", re.compile(r"(?<!before )(?<!after )\b(today|yesterday|tomorrow)\b", re.I)),  # the day before ...
    ("weekday", re.compile(r"\blast\s+(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I)),
    ("y", re.compile(r"\b(?:in|during|of|since|by|as of|until|throughout)\s+((?:19|20)\d{2})\b(?!\s+[A-Z])", re.I)),
    ("ybare", re.compile(r"(?<![\w-])((?:19|20)\d{2})(?!\s*[A-Z])(?![\w-])")),
]
_UNTIL_EN = re.compile(r"\b(as of|by|until|up to|through|as at)\s+(the\s+)?(end\s+of\s+)?$", re.I)
_LATEST_EN = re.compile(r"\b(latest|most recent(ly)?|current(ly)?|now|so far|to date|nowadays|at present|recently)\b", re.I)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _en_exprs(q: str, as_of: date, seen: list[bool] | None = None) -> list[TimeExpr]:
    """The rules' reading; ``seen`` gets every character a rule matched, read or declined."""
    out: list[TimeExpr] = []
    taken = [False] * len(q)
    for kind, pattern in _EN_RULES:
        for m in pattern.finditer(q):
            if seen is not None:
                seen[m.start():m.end()] = [True] * (m.end() - m.start())
            if any(taken[m.start():m.end()]):
                continue
            res = _en_resolve(kind, m, q, as_of)
            if res is None:
                continue
            for i in range(m.start(), m.end()):
                taken[i] = True
            until = bool(_UNTIL_EN.search(q[max(0, m.start() - 20):m.start()])) or \
                m.group(0).lower().startswith(("by ", "as of", "until"))
            out.append(TimeExpr(m.group(0).strip(), res[0], res[1], until))
    return out


def _en_resolve(kind: str, m: re.Match, q: str, as_of: date) -> tuple[Period, bool] | None:
    g = m.groups()
    try:
        if kind == "iso":
            return _day(date(int(g[0]), int(g[1]), int(g[2]))), False
        if kind == "mdy":
            return _day(date(int(g[2]), MONTHS[g[0].lower()], int(g[1]))), False
        if kind == "dmy":
            return _day(date(int(g[2]), MONTHS[g[1].lower()], int(g[0]))), False
        if kind == "my":
            if g[0].lower() == "may" and not re.search(r"\b(in|of|since|by|until|during)\s+$", q[:m.start()], re.I):
                return None  # "may 2019" after no preposition is more likely the verb
            return _month(int(g[1]), MONTHS[g[0].lower()]), False
        if kind == "qy":
            return _part_of_year(int(g[1]), g[0]), False
        if kind == "ago":
            n = _en_int(g[0])
            if n is None:
                return None
            unit = g[1].lower()
            if unit == "year":
                d = _shift_years(as_of, -n)
                return (_day(d) if g[2] else _year(d.year)), True
            if unit == "month":
                d = _shift_months(as_of, -n)
                return (_day(d) if g[2] else _month(d.year, d.month)), True
            if unit == "week":
                return _week(as_of - timedelta(weeks=n)), True
            return _day(as_of - timedelta(days=n)), True
        if kind == "past":
            n = _en_int(g[0])
            if n is None:
                return None
            unit = g[1].lower()
            start = (_shift_years(as_of, -n) if unit == "year" else _shift_months(as_of, -n) if unit == "month"
                     else as_of - timedelta(weeks=n) if unit == "week" else as_of - timedelta(days=n))
            return Period(start, as_of), True
        if kind == "rel":
            shift = {"last": -1, "previous": -1, "past": -1, "this": 0, "next": 1}[g[0].lower()]
            unit = g[1].lower()
            if unit == "year":
                return _year(as_of.year + shift), True
            if unit == "month":
                return _month(as_of.year, as_of.month + shift), True
            if unit == "week":
                return _week(as_of + timedelta(weeks=shift)), True
            q0 = (as_of.month - 1) // 3 + shift
            y = as_of.year + q0 // 4
            return _months(y, 3 * (q0 % 4) + 1, 3 * (q0 % 4) + 3), True
        if kind == "relmon":
            word, mo = g[0].lower(), MONTHS[g[1].lower()]
            if mo == 5 and word in ("in", "since") and g[1][0].islower():
                return None
            y = as_of.year if (word == "this" or mo < as_of.month) else as_of.year - 1
            if word == "last" and mo == as_of.month:
                y = as_of.year - 1
            p = _month(y, mo)
            return (Period(p.start, as_of), True) if word == "since" else (p, True)
        if kind == "relday":
            shift = {"today": 0, "yesterday": -1, "tomorrow": 1}[g[0].lower()]
            return _day(as_of + timedelta(days=shift)), True
        if kind == "weekday":
            wd = _WEEKDAYS.index(g[0].lower())
            back = (as_of.weekday() - wd) % 7 or 7
            return _day(as_of - timedelta(days=back)), True
        if kind in ("y", "ybare"):
            return _year(int(g[0])), False
    except (ValueError, TypeError, KeyError):
        return None
    return None


# --- public ----------------------------------------------------------------------------------------------------

# hours, minutes and seconds are no filter on publication days (「三个小时前后」 is a duration, "3 hours ago" today)
_SUB_DAY = re.compile(r"小时|小時|钟头|鐘頭|分钟|分鐘|秒|\b(?:hours?|minutes?|seconds?|hrs?|mins?|secs?)\b", re.I)


def _library_exprs(q: str, as_of: date, seen: list[bool], zh: bool) -> list[TimeExpr]:
    """What jionlp (Chinese) or dateparser (English) reads in the characters no rule matched; called only when
    those characters hold a time word (the libraries are imported on first use)."""
    from articleqa import timeparsers

    rest = "".join(" " if hit else ch for ch, hit in zip(q, seen))
    cue = timeparsers.ZH_CUE if zh else timeparsers.EN_CUE
    if not cue.search(rest):
        return []
    spans = timeparsers.jionlp_spans(q, as_of) if zh else timeparsers.dateparser_spans(q, as_of)
    out = []
    for start, end, text, period in spans:
        if any(seen[start:end]) or (zh and _NAMED_EVENT.match(q[end:])) or _SUB_DAY.search(text):
            continue
        until = bool((_UNTIL_ZH if zh else _UNTIL_EN).search(q[max(0, start - 20):start]))
        out.append(TimeExpr(text, period, not re.search(r"(?:19|20)\d{2}", text), until))
    return out


def parse_question_time(question: str, as_of: date, lang: str = "") -> QuestionTime:
    """The time expressions of ``question`` resolved against ``as_of`` (the day the question is asked at): the
    rules first, then the library for what they left."""
    if not question:
        return QuestionTime(as_of)
    is_zh = lang.startswith("zh") if lang else bool(re.search(r"[\u4e00-\u9fff]", question))
    q = to_simplified(question) if is_zh else question
    seen = [False] * len(q)
    if is_zh:
        exprs = _zh_exprs(q, as_of, seen) + (_en_exprs(q, as_of, seen) if re.search(r"[A-Za-z]{3}", q) else [])
    else:
        exprs = _en_exprs(q, as_of, seen)
    exprs += _library_exprs(q, as_of, seen, is_zh)
    if is_zh:
        latest = bool(_LATEST_ZH.search(q)) and not any(e.text.startswith(("最近", "近")) for e in exprs)
    else:
        latest = bool(_LATEST_EN.search(q))
    return QuestionTime(as_of, exprs, latest)


def parse_as_of(value: str | date | None) -> date | None:
    """A reference day from an ISO string (``2024-11-12``) or a date; None for None/""; ValueError otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise ValueError(f"as_of: {value!r} is not a date (expected YYYY-MM-DD)") from None
