"""The library layer behind the rules of :mod:`articleqa.timeexpr`: jionlp for Chinese, dateparser for English.

They read what the rules do not (大前天, 大后天, 半年前, 两年多前, 上年; "the day before yesterday",
"3 fortnights ago", "a decade ago", "next Monday") and only in the parts of a question the rules left alone. Both get
the reference day explicitly (jionlp's ``time_base``, dateparser's ``RELATIVE_BASE``): nothing here reads the wall
clock. Both are imported on first use only, and only for a question holding a time word in what the rules left:
measured on the development machine (2 cores shared with a training run, load average 7-8, ``nice -n 19``,
``python -X importtime``), ``import jionlp`` took 4.4-6.6 s and its first parse 2.3 s more (its dictionaries);
``import dateparser.search`` 2.5-4.3 s and its first search 3.6 s (language data); later calls 0.1-100 ms. On a
free core jionlp's import was measured at 0.6 s earlier in issue 26. Of the 1,200 ChronoQA dev questions (the
tuning split) 4 get a reading from jionlp (半年前 twice, 两年多前, 上年); the rules' readings are unchanged.

Each finds spans: ``(start, end, text, Period)`` in the question as given (Simplified for Chinese).
"""
from __future__ import annotations

import contextlib
import logging
import re
import time
from datetime import date, datetime, timedelta
from functools import lru_cache

from articleqa.dates import Period

# Words that say a time in what the rules left: the libraries are imported and called only when one is there.
ZH_CUE = re.compile(r"[天年月周日号节季春夏秋冬晚早午]|星期|礼拜|前|后")
EN_CUE = re.compile(r"\b(ago|before|after|yesterday|tomorrow|fortnights?|decades?|centur(?:y|ies)|next|this|last|"
                    r"from now|later|hence)\b", re.I)
# A span jionlp read is kept only when it says a time relative to the day asked at. Measured on the 1,200 ChronoQA
# dev questions (the tuning split): without this, 120 questions got a jionlp reading, nearly all wrong: 「当天」
# and 「同一天」 of "X当天，Y？" / "同一天吗" (94) as the day asked at, 「十三号」 of 神舟十三号 and 「周六」 of 周六福 as days, and 「劳动节」 of 2021年五一劳动节 in
# the year asked at.
# 「N年后」 is left out too: in news questions it is "N years after" an event (20年后扇老师耳光案), not the future.
_ZH_RELATIVE = re.compile(r"大?前[天年]|大?后天|[去今明]年|上年|昨|[上下]个?(?:周|星期|礼拜|月|旬|季度?)|前$|近|"
                          r"过去|最近")
_EN_EDGE_WORDS = re.compile(r"^(?:in|on|at|of|for|by|since)\s+|\s+(?:in|on|at|of|for|by|since)$", re.I)


def _import_jionlp(redirect: bool = True):
    """jionlp, imported on first use (see the module docstring); its import prints a banner to stdout, which would
    corrupt the output of ``articleqa ask --json``, so it is swallowed (``redirect``; a background import drops it
    its own way, see :func:`preload_in_background`)."""
    import io

    with contextlib.redirect_stdout(io.StringIO()) if redirect else contextlib.nullcontext():
        import jionlp
    if not any(isinstance(f, _FromJionlp) for f in logging.getLogger().filters):
        logging.getLogger().addFilter(_FromJionlp())
    return jionlp


class _FromJionlp(logging.Filter):
    """jionlp logs a traceback on the root logger for a phrase it cannot parse (「…后」) and then goes on; the span
    is simply not read, so the traceback is dropped instead of reaching a user's terminal."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "jionlp" not in (record.pathname or "")


def preload_in_background(settings) -> None:
    """A long-running server (web chat, HTTP API) imports jionlp in a daemon thread at start, so the first Chinese
    question with a time word does not wait for it (about 0.6 s on a free core). One-shot commands do not: most
    questions never need it."""
    import sys
    import threading

    if not settings.time.enabled or "jionlp" in sys.modules:
        return

    def load() -> None:
        out = sys.stdout
        sys.stdout = _OtherThreadsOnly(out, threading.current_thread())  # the server's own output goes on
        try:
            with contextlib.suppress(Exception):
                _import_jionlp(redirect=False)
        finally:
            if isinstance(sys.stdout, _OtherThreadsOnly):
                sys.stdout = out

    threading.Thread(target=load, name="articleqa-jionlp", daemon=True).start()


class _OtherThreadsOnly:
    """stdout for the time of a background import: what the importing thread prints (jionlp's banner) is dropped,
    what any other thread prints goes through."""

    def __init__(self, out, thread) -> None:
        self._out, self._thread = out, thread

    def write(self, text: str) -> int:
        import threading

        return len(text) if threading.current_thread() is self._thread else self._out.write(text)

    def __getattr__(self, name: str):
        return getattr(self._out, name)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(str(text)[:10])
    except ValueError:
        return None


def jionlp_spans(question: str, as_of: date) -> list[tuple[int, int, str, Period]]:
    """Time expressions jionlp finds and resolves against ``as_of`` (points and spans; an open end is cut at
    ``as_of``; recurring times and durations are left out)."""
    jionlp = _import_jionlp()

    base = time.mktime(datetime(as_of.year, as_of.month, as_of.day).timetuple())
    out = []
    for ent in jionlp.ner.extract_time(question, time_base=base, with_parsing=True):
        if ent.get("type") not in ("time_point", "time_span"):
            continue
        start, end = ent["offset"]
        text = ent["text"]
        when = (ent.get("detail") or {}).get("time") or []
        if len(when) != 2 or not _ZH_RELATIVE.search(text):
            continue
        if re.match(r"[A-Za-z0-9]", question[end:end + 1]) or re.search(r"[A-Za-z0-9]$", question[:start]):
            continue  # a year glued to a name: GNEV2024论坛
        first = _day(when[0])
        last = as_of if str(when[1]).endswith("inf") else _day(when[1])
        if first is None or last is None or last < first:
            continue
        out.append((start, end, text, Period(first, last)))
    return out


@lru_cache(maxsize=1)
def _dateparser():
    from dateparser.date import DateDataParser  # lazy: see the module docstring
    from dateparser.search import search_dates

    return DateDataParser, search_dates


def _en_period(day: date, unit: str) -> Period:
    if unit == "year":
        return Period(date(day.year, 1, 1), date(day.year, 12, 31))
    if unit == "month":
        nxt = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        return Period(day.replace(day=1), nxt - timedelta(days=1))
    if unit == "week":
        monday = day - timedelta(days=day.weekday())
        return Period(monday, monday + timedelta(days=6))
    return Period(day, day)


def dateparser_spans(question: str, as_of: date) -> list[tuple[int, int, str, Period]]:
    """Relative time expressions dateparser finds (a span holding one of :data:`EN_CUE`'s words), each resolved
    on its own against ``as_of`` at the precision dateparser gives (day, week, month, year)."""
    DateDataParser, search_dates = _dateparser()
    settings = {"RELATIVE_BASE": datetime(as_of.year, as_of.month, as_of.day), "PREFER_DATES_FROM": "past",
                "RETURN_AS_TIMEZONE_AWARE": False}
    found = search_dates(question, languages=["en"], settings=settings) or []
    parser = DateDataParser(languages=["en"], settings=settings)
    out, pos = [], 0
    for raw, _ in found:
        text = _EN_EDGE_WORDS.sub("", raw.strip())
        start = question.find(text, pos)
        if start < 0 or not EN_CUE.search(text):
            continue
        pos = start + len(text)
        got = parser.get_date_data(text)  # the phrase alone: search_dates reads "the day before yesterday" as 1 day
        if got is None or got.date_obj is None:
            continue
        out.append((start, pos, text, _en_period(got.date_obj.date(), got.period or "day")))
    return out
