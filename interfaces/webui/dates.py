"""The web chat's date controls, read and checked: the day a question is asked at (``as_of``) and the range of
publication dates to search. The range goes through the store's own :class:`SearchFilter` (the filter /api/search
uses), so a month or a year as a bound means what it means there."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from articleqa.store.filters import SearchFilter
from articleqa.timeexpr import parse_as_of

LABELS = {"as_of": "As of", "date_from": "Published from", "date_to": "Published to"}


# The as-of input's default: the browser's today (the user's day, in the user's time zone), set in the page when it
# loads, and only into an empty field: a date the user typed first is never overwritten.
TODAY_JS = """
(value) => {
  if (value) return value;
  const d = new Date(), two = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
}
"""


@dataclass(frozen=True)
class ChatDates:
    """The day questions are asked at (None: today, said in the answer's notes when a question needs it) and the
    publication-date range, ISO days ("" leaves that end open)."""

    as_of: date | None = None
    date_from: str = ""
    date_to: str = ""

    @classmethod
    def read(cls, as_of: str | None = "", date_from: str | None = "", date_to: str | None = "") -> "ChatDates":
        """From the chat's three text inputs; ValueError with one line naming the input for a bad date."""
        as_of, date_from, date_to = ((v or "").strip() for v in (as_of, date_from, date_to))
        try:
            day = parse_as_of(as_of)
        except ValueError:
            raise ValueError(f"{LABELS['as_of']}: {as_of!r} is not a date (expected YYYY-MM-DD)") from None
        try:
            span = SearchFilter.make(date_from=date_from or None, date_to=date_to or None)
        except ValueError as e:  # "date_from: 'x' is not a date (expected YYYY-MM-DD)"
            key, _, why = str(e).partition(": ")
            raise ValueError(f"{LABELS.get(key, key)}: {why}") from None
        if span.date_from and span.date_to and span.date_from > span.date_to:
            raise ValueError(f"{LABELS['date_from']} {span.date_from} is after {LABELS['date_to']} {span.date_to}")
        return cls(day, span.date_from, span.date_to)
