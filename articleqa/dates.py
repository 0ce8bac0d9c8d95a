"""Publication dates: read from what pages and feeds write, kept as ISO 8601 at the precision they were given.

``2018-03-05`` is a day, ``2018-03`` a month, ``2018`` a year; "" means the article has no date. Shapes read:
ISO (with or without a time), ``2018年1月11日``, ``2018/1/11``, ``2018年3月``, ``2018年第5期`` (an issue: the
year), ``民國107年3月5日`` / ``民国107年`` (ROC years: +1911), ``Mar 5, 2018``, ``5 March 2018``, ``March 2018``.
Nothing here reads the wall clock: a string without a date gives "".

A period (:class:`Period`) is the first and last day a reduced-precision date covers; filters compare periods, so a
month-dated article is in a range that overlaps its month.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {name: n for n, names in enumerate(
    [(), ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")]) for name in names}
_MON = r"(?P<mon>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_Y = r"(?P<y>(?:1[5-9]|20|21)\d{2})"
_SEP = r"\s*[-/.年]\s*"

# (pattern, precision); the earliest match in the text wins, ties go to the first listed (the most specific).
_SHAPES: list[tuple[re.Pattern, str]] = [
    (re.compile(r"(?:民國|民国|中華民國|中华民国)\s*(?P<roc>\d{1,3})\s*年(?:\s*(?P<m>\d{1,2})\s*月(?:\s*(?P<d>\d{1,2})\s*[日号號])?)?"),
     "roc"),
    (re.compile(_Y + r"\s*年\s*第\s*\d{1,3}\s*期"), "year"),
    (re.compile(r"(?<!\d)" + _Y + _SEP + r"(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})(?!\d)"), "day"),
    (re.compile(r"(?<!\d)" + _Y + r"(?P<m>[01]\d)(?P<d>[0-3]\d)(?!\d)"), "day"),  # 20180305
    (re.compile(r"(?<![\w])" + _MON + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+" + _Y + r"(?!\d)", re.I), "day"),
    (re.compile(r"(?<![\w\d])(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MON + r",?\s+" + _Y + r"(?!\d)", re.I),
     "day"),
    (re.compile(r"(?<!\d)" + _Y + r"\s*(?:年\s*(?P<m>\d{1,2})\s*月|-(?P<m2>[01]\d)(?![\d-]))"), "month"),
    (re.compile(r"(?<![\w])" + _MON + r",?\s+" + _Y + r"(?!\d)", re.I), "month"),
    (re.compile(r"(?<!\d)" + _Y + r"\s*年(?!\s*\d)"), "year"),
    (re.compile(r"^\s*" + _Y + r"\s*$"), "year"),
]


def _iso(y: int, m: int | None, d: int | None) -> str:
    if not 1500 <= y <= 2199:
        return ""
    if m is None:
        return f"{y:04d}"
    if not 1 <= m <= 12:
        return ""
    if d is None:
        return f"{y:04d}-{m:02d}"
    if not 1 <= d <= calendar.monthrange(y, m)[1]:
        return ""
    return f"{y:04d}-{m:02d}-{d:02d}"


def _from_match(m: re.Match, kind: str) -> str:
    g = m.groupdict()
    num = lambda k: int(g[k]) if g.get(k) else None  # noqa: E731
    if kind == "roc":
        return _iso(int(g["roc"]) + 1911, num("m"), num("d") if g.get("m") else None)
    month = MONTHS[g["mon"].lower()] if g.get("mon") else num("m") or num("m2")
    if kind == "year":
        return _iso(int(g["y"]), None, None)
    if kind == "month":
        return _iso(int(g["y"]), month, None)
    return _iso(int(g["y"]), month, num("d"))


def parse_pub_date(text: str | None) -> str:
    """The first date ``text`` holds, as ISO 8601 at its precision (``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``), or ""."""
    if not text:
        return ""
    best: tuple[int, int, str] | None = None
    for rank, (pattern, kind) in enumerate(_SHAPES):
        for m in pattern.finditer(text):
            iso = _from_match(m, kind)
            if iso:
                if best is None or (m.start(), rank) < best[:2]:
                    best = (m.start(), rank, iso)
                break
    return best[2] if best else ""


def precision(iso: str) -> str:
    """``day``, ``month`` or ``year`` for an ISO date of that precision ("" for "")."""
    return {10: "day", 7: "month", 4: "year"}.get(len(iso or ""), "")


@dataclass(frozen=True)
class Period:
    """The days a date or a time expression covers, both ends inclusive."""

    start: date
    end: date

    @classmethod
    def of(cls, iso: str) -> "Period | None":
        """The period a reduced-precision ISO date covers (None for "" or a malformed value)."""
        try:
            if len(iso) == 10:
                d = date.fromisoformat(iso)
                return cls(d, d)
            if len(iso) == 7:
                y, m = int(iso[:4]), int(iso[5:7])
                return cls(date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1]))
            if len(iso) == 4:
                return cls(date(int(iso), 1, 1), date(int(iso), 12, 31))
        except ValueError:
            return None
        return None

    def overlaps(self, other: "Period") -> bool:
        return self.start <= other.end and other.start <= self.end

    def widened(self, days: int) -> "Period":
        return Period(self.start - timedelta(days=days), self.end + timedelta(days=days))

    def __str__(self) -> str:
        return self.start.isoformat() if self.start == self.end else f"{self.start.isoformat()}..{self.end.isoformat()}"
