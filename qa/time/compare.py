"""Questions answered from the dates of passages, not from a model's guess:

* "X和Y是在同一个月发生的吗？" / "Did X and Y happen in the same year?" -> 是的 / 不是 (yes / no), with both dates;
* "X与Y，哪个事件发生更早？" / "A、B和C，哪个最早？" / "Which came first, X or Y?" -> the earlier (later) one;
* "X当天，Y…？" -> the day of X (:func:`anchor_day`), which then filters the search for Y.

Each event is searched on its own; its date is its best passage's article date, or else the first date the
passage writes. An event with no dated passage, or one dated after ``as_of``, leaves the question to the chain.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from articleqa.dates import Period, parse_pub_date
from articleqa.text import to_simplified
from articleqa.types import Answer, Citation, Passage
from qa.time.messages import msg, unit_name

# a 和 / 与 that joins two events (not 共和国, 和平, 和解, 缓和 ...)
_AND_ZH = r"(?<![共温缓总调饱暖柔随附])(?:和|与|跟|以及|及)(?![平解谐睦善气蔼])"
_SAME_ZH = re.compile(r"(?:是否|是|都是|都)?\s*(?:在|发生在|于|发生于)?\s*同一(?P<unit>年|个月|月份|月|天|日|周|星期)")
_WHICH_ZH = re.compile(r"[，,。？?]?\s*(?:(?:在)?(?:以下|下列)[^，,。？?：:哪]{0,6})?哪(?:一|个|一个|项|件|些)?[^，,。？?：:]{0,12}?"
                       r"(?P<dir>最早|更早|较早|先|最晚|更晚|较晚|最迟|更迟|后|早|晚|迟)[^，,。？?：:]{0,8}")
# 「以下事件中，最早发生的是哪个？A，B，C。」
_WHICH_LATE_ZH = re.compile(r"[，,。？?]?\s*(?P<dir>最早|最晚|最先|最后)(?:发生|出现|举行|发布)?的(?:是)?哪(?:一|个|一个|项|件)?"
                            r"(?:事件)?[？?：:，,]?")
_NUMBERED = re.compile(r"(?:^|\s)\d[、.．)]\s*")
_SAME_EN = re.compile(r"^(?:did|were|was|are|is|do)\s+(?P<a>.+?)\s+and\s+(?P<b>.+?)\s+(?:both\s+)?(?:(?:happen|occur|"
                      r"take place|took place|fall|come|publish|announce)\w*\s+)?in the same (?P<unit>year|month|day|week)\b",
                      re.I)
_WHICH_EN = re.compile(r"which (?:\w+ )?(?:came|happened|occurred|was) (?P<dir>first|last|earlier|later)[,:]?\s*"
                       r"(?P<items>.+?)\??$", re.I)
_ANCHOR_ZH = re.compile(r"^(?P<event>.{4,60}?)(?:的)?(?:当天|同一天|那天|当日)[，,、]?\s*(?P<rest>.+)$")
_UNIT = {"年": "year", "个月": "month", "月份": "month", "月": "month", "天": "day", "日": "day", "周": "week",
         "星期": "week"}


@dataclass
class DatedEvent:
    text: str  # as the question names it
    passage: Passage
    day: Period  # the days its date covers


def _clean_item(s: str) -> str:
    s = re.sub(r"^(?:(?:在)?(?:以下|下列)(?:事件|政策)?(?:中)?)?[：:]?\s*", "", s.strip(" ，,。：:；;？?、\"'“”‘’"))
    # 「…这些事件」, 「…这两个事件中」, 「…三件事情」: not part of the last event's name
    s = re.sub(r"(?:(?:这|那)(?:两|三|四|几)?(?:个|件|项)?些?(?:事件|事情)?|(?:两|三|四|几)?(?:个|件|项)?(?:事件|事情))中?$",
               "", s)
    return s.strip(" ，,。：:；;？?、")


def split_items(text: str) -> list[str]:
    """The events a comparison names: split at 、 ， ； 以及 (and a 和 / 与 that opens the last one); a list with
    no such mark is split at the 和 / 与 that leaves the two most even halves (「A与B的比赛和C」 -> A与B的比赛, C)."""
    text = _NUMBERED.sub("，", text)
    parts = [p for p in re.split(r"\s*(?:、|，|,|；|;|以及|\bor\b)\s*", text) if _clean_item(p)]
    if len(parts) >= 2:
        parts[-1] = re.sub(rf"^{_AND_ZH}", "", parts[-1])
        if len(parts) == 2 and re.search(r"\band\b", parts[0]) is None and parts[0].startswith(("和", "与")):
            parts[0] = parts[0][1:]
    else:
        cuts = [m for m in re.finditer(rf"{_AND_ZH}|\band\b", text)]
        if not cuts:
            return []
        m = min(cuts, key=lambda m: abs(m.start() - (len(text) - m.end())))
        parts = [text[:m.start()], text[m.end():]]
    return [p for p in (_clean_item(x) for x in parts) if len(p) >= 2]


def event_date(p: Passage) -> Period | None:
    """The passage's article date, else the first date it writes."""
    return Period.of(p.date) or Period.of(parse_pub_date(p.chunk.text))


def _date_event(ctx, item: str, as_of: date | None, filters, within_days: int = 31) -> DatedEvent | None:
    """The event's best passage published by ``as_of`` whose date is precise to ``within_days`` (a day or a
    month: an article that only says 「2024年」 cannot tell a month), else the best with any date; None when none of
    the first ``time.event_candidates`` passages is dated by then."""
    n = ctx.settings.time.event_candidates
    found = ctx.retrieve(item, max(3, n)) if filters is None else ctx.retrieve(item, max(3, n), filters)
    own = Period.of(parse_pub_date(item))  # 「影驰2024年1月17日的新显卡发布」 names its own day
    if own is not None and (own.end - own.start).days < 31 and found:
        return DatedEvent(item, found[0], own)
    dated = [DatedEvent(item, p, d) for p in found[:n]
             if (d := event_date(p)) is not None and (as_of is None or d.start <= as_of)]
    precise = [e for e in dated if (e.day.end - e.day.start).days < within_days]
    return (precise or dated or [None])[0]


_UNIT_DAYS = {"year": 365, "month": 31, "week": 7, "day": 1}


def _same(a: Period, b: Period, unit: str) -> bool | None:
    """Whether two dates fall in the same year / month / day / week; None when one is too coarse to tell."""
    need = _UNIT_DAYS[unit]
    if (a.end - a.start).days >= need or (b.end - b.start).days >= need:
        if unit == "year" and a.start.year == a.end.year and b.start.year == b.end.year:
            return a.start.year == b.start.year
        if unit == "month" and (a.start.year, a.start.month) == (a.end.year, a.end.month) \
                and (b.start.year, b.start.month) == (b.end.year, b.end.month):
            return (a.start.year, a.start.month) == (b.start.year, b.start.month)
        return None
    if unit == "year":
        return a.start.year == b.start.year
    if unit == "month":
        return (a.start.year, a.start.month) == (b.start.year, b.start.month)
    if unit == "week":
        return a.start.isocalendar()[:2] == b.start.isocalendar()[:2]
    return a.start == b.start


def _show(p: Period) -> str:
    return p.start.isoformat() if p.start == p.end else str(p).replace("..", " – ")


def _cite(events: list[DatedEvent]):
    cites = []
    for n, e in enumerate(events, start=1):
        text = e.passage.chunk.text
        m = re.search(r"[^。！？!?\n]*[。！？!?]?", text)
        end = m.end() if m and m.end() > 0 else len(text)
        ch = e.passage.chunk
        cites.append(Citation(n=n, article_id=ch.article_id, title=e.passage.title, chunk_id=ch.id, quote=text[:end],
                              start=ch.start, end=ch.start + end, source=e.passage.source, date=e.passage.date,
                              lang=e.passage.lang))
    return cites


def _parse(q: str, lang: str):
    """("same", unit, [a, b]) / ("first" | "last", None, items) / None."""
    if lang == "en":
        m = _SAME_EN.search(q)
        if m:
            return "same", m.group("unit").lower(), [m.group("a"), m.group("b")]
        m = _WHICH_EN.search(q)
        if m:
            items = split_items(m.group("items"))
            d = m.group("dir").lower()
            return ("first" if d in ("first", "earlier") else "last"), None, items
        return None
    s = to_simplified(q)
    m = _SAME_ZH.search(s)
    if m:
        items = split_items(s[:m.start()])
        return "same", _UNIT[m.group("unit")], items
    m = _WHICH_ZH.search(s) or _WHICH_LATE_ZH.search(s)
    if m:
        before, after = s[:m.start()], s[m.end():]
        items = split_items(after if len(_clean_item(after)) > len(_clean_item(before)) else before)
        d = m.group("dir")
        return ("first" if ("早" in d or "先" in d) else "last"), None, items
    return None


def compare_answer(ctx, s, mode: str) -> Answer | None:
    """The answer to a date comparison or a same-period question, or None when the question is not one or an
    event cannot be dated."""
    if not ctx.settings.time.enabled:
        return None
    parsed = _parse(s.standalone, s.lang)
    if parsed is None:
        return None
    kind, unit, items = parsed
    if len(items) < 2 or len(items) > 5:
        return None
    as_of = s.time.as_of if s.time is not None else None
    within = _UNIT_DAYS[unit] if kind == "same" else 31
    events = [_date_event(ctx, it, as_of, s.filters, within) for it in items]
    if any(e is None for e in events):
        return None
    lang = s.lang
    if kind == "same":
        pairs = [_same(events[0].day, e.day, unit) for e in events[1:]]
        if None in pairs:
            return None
        same = all(pairs)
        a, b = events[0], events[-1]
        if len(events) > 2:  # 「A、B和C是同一年吗？」: name every event and its date
            a = DatedEvent("、".join(e.text for e in events[:-1]), a.passage, a.day)
        text = msg("same", lang, yn=msg("yes" if same else "no", lang), a=a.text, b=b.text,
                   da="、".join(_show(e.day) for e in events[:-1]) if len(events) > 2 else _show(a.day),
                   db=_show(b.day), same=msg("same_yes" if same else "same_no", lang), unit=unit_name(unit, lang))
    else:
        order = sorted(events, key=lambda e: (e.day.start, e.day.end), reverse=(kind == "last"))
        if order[0].day.overlaps(order[1].day) and order[0].day != order[1].day:
            return None  # a month against a day inside it: cannot tell
        rest = "；".join(msg("dated_item", lang, item=e.text, d=_show(e.day)) for e in order[1:])
        text = msg("earliest" if kind == "first" else "latest", lang, item=order[0].text, d=_show(order[0].day),
                   rest=rest)
    if lang == "zh-Hant":
        from articleqa.text import to_traditional

        text = to_traditional(text)
    cites = _cite(events)
    marks = "".join(f"[{c.n}]" for c in cites)
    return Answer(question=s.question, text=f"{text}{marks}", citations=cites, refused=False, mode=mode,
                  notes=list(s.notes) + [msg("note_compare", lang)], passages=[e.passage for e in events],
                  lang=lang, short_answer=text)


def anchor_day(ctx, s) -> tuple[str, Period, str] | None:
    """"X当天，Y？": X as the question names it, X's date (the day filter for Y) and Y; None when not that shape."""
    if not s.lang.startswith("zh"):
        return None
    m = _ANCHOR_ZH.match(to_simplified(s.standalone))
    if m is None or _parse(s.standalone, s.lang) is not None:  # 「A和B是同一天发生的吗？」 compares, not anchors
        return None
    as_of = s.time.as_of if s.time is not None else None
    ev = _date_event(ctx, m.group("event"), as_of, s.filters)
    if ev is None:
        return None
    rest = s.standalone[m.start("rest"):] if len(s.standalone) == len(m.string) else m.group("rest")
    return m.group("event"), ev.day, rest
