"""Retrieval that respects time.

* The question names a time (2017年三季度, 去年10月, last March): its period becomes a filter on publication date,
  applied inside the searches. When fewer than ``time.min_in_period`` passages are published in it, the period is
  widened by ``time.widen_days`` on each side. The time-blind search's passages that pass (undated ones too: an
  undated article cannot be ruled out) keep their places first, then the filtered search's, then, up to k, passages
  from other dates. Measured on a ChronoQA dev sample: a pure filter lost the gold snippet for 1 question in 9
  (13% of its snippets are undated).
* The question asks for the latest (最新, 目前, latest): no filter; the best ``time.recency_candidates`` passages
  whose dense cosine is within ``time.recency_margin`` of the best are taken as reports of the same thing: the
  newest comes first and the older ones are left out (the reader would otherwise quote a superseded figure).
* A filter the caller set on dates wins: the question's time is then not applied.
* A question refused within a period read against ``as_of`` (「一个月前…」) is asked again of everything published
  up to ``as_of`` (``beyond_period_state``; the chain's ``beyond_period`` step keeps the retry only if it answers).
"""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from articleqa.dates import Period
from articleqa.types import Passage
from qa.time.messages import msg, show_period


def _base_filter(ctx, s):
    if s.filters is not None:
        return s.filters
    from qa.retrieval.retriever import default_filters

    return default_filters(ctx.settings)


def _search(ctx, query: str, k: int, filters) -> list[Passage]:
    return ctx.retrieve(query, k) if filters is None else ctx.retrieve(query, k, filters)


def _in_period(ctx, s, query: str, k: int, period: Period) -> list[Passage]:
    t = ctx.settings.time
    base = _base_filter(ctx, s)
    found = _search(ctx, query, k, replace(base, date_from=period.start.isoformat(), date_to=period.end.isoformat()))
    span = period
    if len(found) >= min(k, t.min_in_period):
        s.notes.append(msg("note_filtered", s.lang, period=show_period(period)))
    else:
        span = period.widened(t.widen_days)
        found = _search(ctx, query, k, replace(base, date_from=span.start.isoformat(), date_to=span.end.isoformat()))
        s.notes.append(msg("note_widened", s.lang, period=show_period(period), wide=show_period(span)))
    blind = published_by(_search(ctx, query, k, s.filters), s.time.as_of)
    out = [p for p in blind if not p.date or (Period.of(p.date) or span).overlaps(span)]
    for extra in (found, blind):
        seen = {p.chunk.id for p in out}
        out += [p for p in extra if p.chunk.id not in seen]
    return out[:k]


def caller_dates(s) -> bool:
    """The caller filtered on publication dates: the question's own time is then not applied."""
    return s.filters is not None and bool(s.filters.date_from or s.filters.date_to)


def published_by(passages: list[Passage], day) -> list[Passage]:
    """The passages not published after ``day`` (nothing later was known then); undated ones kept, since they
    cannot be ruled out. A post-filter: the store's date filter would drop the undated ones."""
    return [p for p in passages if not p.date or (Period.of(p.date) or Period(day, day)).start <= day]


def with_report_lag(period: Period, days: int) -> Period:
    """A month or longer is searched ``days`` past its end: a month's figures and reviews are published in the
    first days of the next (「上个月…」 asked on the 2nd, of an article of that day). A day or a week is not: its
    events are dated, and a lag there took other days' news (docs/eval-reports/chronoqa-time.md)."""
    if (period.end - period.start).days < 27:
        return period
    return Period(period.start, period.end + timedelta(days=days))


def by_recency(passages: list[Passage], n: int, margin: float) -> list[Passage]:
    """Of the first ``n`` passages, those within ``margin`` of the best dense cosine are reports of the same thing:
    the newest dated one first, the other dated ones left out; then the rest in their order."""
    head = passages[:n]
    if not head:
        return passages
    cos = [p.dense_score if p.dense_score is not None else -1.0 for p in head]
    best = max(cos)
    near = [p for p, c in zip(head, cos) if c >= best - margin and p.date]
    if not near:
        return passages
    newest = max(near, key=lambda p: p.date)  # max keeps the first (most relevant) of equal dates
    return [newest] + [p for p in passages if p not in near]


def retrieve_in_time(ctx, s, k: int) -> list[Passage]:
    """The passages for ``s.standalone``, filtered or ranked by the question's time (plain retrieval when it names
    none, when time-aware answering is off, or when the caller filtered on dates)."""
    if s.published_by is not None:  # the beyond-period retry: everything up to as_of
        return published_by(_search(ctx, s.standalone, 2 * k, s.filters), s.published_by)[:k]
    qt = s.time
    user_dates = caller_dates(s)
    if qt is not None and not user_dates and not qt.exprs:
        anchored = _anchored(ctx, s, k)
        if anchored is not None:
            return anchored
    if qt is None or user_dates or not (qt.exprs or qt.latest):
        return _search(ctx, s.standalone, k, s.filters)
    query = s.time_query or s.standalone
    period = qt.period
    if period is not None and period.start <= qt.as_of:
        period = with_report_lag(period, ctx.settings.time.report_lag_days)
        # a period reaching past as_of is cut at it: nothing published later was known then
        period = Period(period.start, min(period.end, qt.as_of)) if not qt.latest else period
        return _in_period(ctx, s, query, k, period)
    t = ctx.settings.time
    upto = replace(_base_filter(ctx, s), date_to=qt.as_of.isoformat())
    found = _search(ctx, query, max(k, t.recency_candidates), upto)
    if len(found) < k:
        seen = {p.chunk.id for p in found}
        found += [p for p in _search(ctx, query, k, s.filters) if p.chunk.id not in seen]
    s.notes.append(msg("note_latest", s.lang))
    return by_recency(found, t.recency_candidates, t.recency_margin)[:k]


def _anchored(ctx, s, k: int) -> list[Passage] | None:
    """"X当天，Y？": find X's day, then ask Y of the articles of that day (the question is rewritten to say it)."""
    from qa.time.compare import anchor_day
    from qa.time.resolve import written_period

    found = anchor_day(ctx, s)
    if found is None:
        return None
    event, day, rest = found
    s.standalone = rest  # the reader is asked Y alone, of the passages of X's day
    s.notes.append(msg("note_time", s.lang, expr=event, period=show_period(day), as_of=s.time.as_of.isoformat()))
    return _in_period(ctx, s, f"{written_period(day, s.lang)}，{rest}", k, day)


def beyond_period_state(ctx, s):
    """A copy of the chain state to ask again beyond the question's period, or None where that does not apply.

    It applies to a question refused within a period read against ``as_of`` ("a month ago", 「五年前」, 「上周五」):
    people place news loosely in time, and on the ChronoQA tuning split most such refusals had the answer in an
    article a few weeks or months off. The retry searches every article published up to ``as_of`` (nothing later
    was known then), with the relative expressions taken out of the question. Not for yes/no questions (a "yes"
    from another month would be wrong), "latest" questions, or a caller's own date filter."""
    from qa.time.answer import is_yes_no
    from qa.time.resolve import without_relative

    qt = s.time
    if not ctx.settings.time.beyond_relative_period or s.refuse is None or s.direct is not None:
        return None
    if qt is None or not qt.relative or qt.latest or is_yes_no(s.question, s.lang):
        return None
    if caller_dates(s):
        return None
    return replace(s, standalone=without_relative(s), time_query="", time=None, refuse=None, reading=None,
                   passages=[], notes=list(s.notes), timings=dict(s.timings), published_by=qt.as_of)
