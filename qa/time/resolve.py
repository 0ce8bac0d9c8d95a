"""Read the question's time expressions against ``as_of`` and write the relative ones out as dates.

"去年10月iPhone更新解决了哪个问题？" asked on 2024-11-12 is searched for as "2023年10月iPhone更新解决了哪个问题？"
(``s.time_query``); the notes say how it was read. The question the reader and the refusal gates see is unchanged:
a date the question did not write ("2023年10月") is not a figure the passages must hold. With no ``as_of`` the
question is read as asked today, and a question that needed it says so.
"""
from __future__ import annotations

from datetime import date, timedelta

from articleqa.dates import Period
from articleqa.text import to_simplified
from articleqa.timeexpr import QuestionTime, TimeExpr, parse_as_of, parse_question_time
from qa.time.messages import msg, show_period


def today() -> date:
    """The wall clock's day: only when the caller gave no ``as_of`` (the parser itself never reads the clock)."""
    return date.today()


def written_period(p: Period, lang: str) -> str:
    """A period the way the question's language writes it: 2023年10月, 2023年10月5日, October 2023, 2023."""
    s, e = p.start, p.end
    whole_month = s.day == 1 and (e + timedelta(days=1)).day == 1
    if lang.startswith("zh"):
        if s == e:
            return f"{s.year}年{s.month}月{s.day}日"
        if s.year == e.year and s.month == 1 and s.day == 1 and e.month == 12 and e.day == 31:
            return f"{s.year}年"
        if whole_month and (s.year, s.month) == (e.year, e.month):
            return f"{s.year}年{s.month}月"
        if whole_month and s.year == e.year:
            return f"{s.year}年{s.month}月至{e.month}月"
        return f"{s.year}年{s.month}月{s.day}日至{e.year}年{e.month}月{e.day}日"
    if s == e:
        return f"{s.day} {s.strftime('%B')} {s.year}"
    if s.year == e.year and (s.month, s.day, e.month, e.day) == (1, 1, 12, 31):
        return str(s.year)
    if whole_month and (s.year, s.month) == (e.year, e.month):
        return f"{s.strftime('%B')} {s.year}"
    return f"{s.day} {s.strftime('%B')} {s.year} to {e.day} {e.strftime('%B')} {e.year}"


def _rewrite(question: str, exprs: list[TimeExpr], lang: str) -> str:
    """The question with each relative expression replaced by the dates it means (Chinese is matched in
    Simplified; a question whose Simplified form differs in length is left as it is)."""
    rel = [e for e in exprs if e.relative]
    if not rel:
        return question
    simp = to_simplified(question) if lang.startswith("zh") else question
    if len(simp) != len(question):
        return question
    out = question
    for e in rel:
        i = simp.find(e.text)
        if i < 0:
            continue
        repl = written_period(e.period, lang)
        if lang == "en":
            repl = ("in " if not e.text.lower().startswith(("in ", "on ")) else "") + repl
        out = out[:i] + repl + out[i + len(e.text):]
        simp = simp[:i] + repl + simp[i + len(e.text):]
    return out


def resolve_time(settings, s) -> None:
    """Fill ``s.time`` (a QuestionTime), add the notes that say how the question's time was read, and write its
    relative expressions out as dates in ``s.standalone``. Raises ValueError for an ``as_of`` that is not a date."""
    as_of = parse_as_of(s.as_of)
    if not settings.time.enabled:
        return
    given = as_of is not None
    qt: QuestionTime = parse_question_time(s.standalone, as_of or today(), s.lang)
    s.time = qt
    if not qt.exprs and not qt.latest:
        return
    if not given and (qt.relative or qt.latest):
        s.notes.append(msg("note_today", s.lang, today=qt.as_of.isoformat()))
    for e in qt.exprs:
        if e.relative:
            s.notes.append(msg("note_time", s.lang, expr=e.text, period=show_period(e.period),
                               as_of=qt.as_of.isoformat()))
    s.time_query = _rewrite(s.standalone, qt.exprs, s.lang)


def _without(s, drop) -> str:
    """``s.standalone`` with the time expressions ``drop`` says yes to blanked out (matched in Simplified for
    Chinese; a question whose Simplified form differs in length is left as it is)."""
    qt = s.time
    q = s.standalone
    if qt is None or not qt.exprs:
        return q
    simp = to_simplified(q) if s.lang.startswith("zh") else q
    if len(simp) != len(q):
        return q
    for e in qt.exprs:
        if drop(e):
            i = simp.find(e.text)
            if i >= 0:
                q = q[:i] + " " * len(e.text) + q[i + len(e.text):]
    return " ".join(q.split()) if q != s.standalone else q


def gate_question(s, given) -> str:
    """The question the refusal gates check: its relative time expressions taken out (「14年前」 is not a figure a
    passage writes), and the absolute ones where a given passage's publication date covers them (「2023年11月」 asked
    of an article dated 2023-11-06 that writes only 「11月6日」 is not a figure the passages lack)."""
    days = [d for d in (Period.of(p.date) for p in given if p.date) if d is not None]
    return _without(s, lambda e: e.relative or any(d.overlaps(e.period) for d in days))


def without_relative(s) -> str:
    """``s.standalone`` with its relative time expressions taken out (「一个月前德约科维奇因何伤复出参赛？」 ->
    「德约科维奇因何伤复出参赛？」): the question asked beyond its period."""
    return _without(s, lambda e: e.relative)


def reading_question(s) -> str:
    """The question the reader (and the generator) read: its relative dates written out (「四年前上半年」 ->
    「2020年上半年」), as retrieval searched it, since the passages write dates, not "four years ago". Measured on
    the ChronoQA dev tuning split (652 questions, extractive): relative questions right 0.765 as asked, 0.800 with
    the dates written out, 0.776 with the relative expressions left out."""
    return s.time_query or s.standalone
