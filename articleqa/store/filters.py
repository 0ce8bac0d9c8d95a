"""Search filters, applied inside the vector and keyword searches (never to their results afterwards), so that k
matching passages come back whenever k exist."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from articleqa.dates import Period, parse_pub_date

DEFAULT_COLLECTION = "default"


def iso_date(text: str) -> str:
    """The article's publication date as stored in ``pub_date``: ISO 8601 at the precision the article gave
    (``2018-03-05``, ``2018-03``, ``2018``; "Mar 5, 2018" and 民國107年 are read too), or "" when it has none."""
    return parse_pub_date(text)


def _names(values: Iterable[str] | str | None) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        values = [values]
    return tuple(dict.fromkeys(v.strip() for v in values if v and v.strip()))


@dataclass(frozen=True)
class SearchFilter:
    """Which articles a search may return. Empty fields do not restrict; set fields must all match."""

    collections: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    # ISO days, inclusive, on the article's publication date; undated articles never match. An article dated to a
    # month or a year matches when its month or year overlaps the range.
    date_from: str = ""
    date_to: str = ""
    article_ids: tuple[str, ...] = ()

    @classmethod
    def make(cls, collections=None, sources=None, date_from: str | None = None, date_to: str | None = None,
             article_ids=None) -> "SearchFilter":
        """A filter from loose values (a name or a list); bad dates raise ValueError naming the value."""
        dates = []
        for label, value in (("date_from", date_from), ("date_to", date_to)):
            period = Period.of(iso_date(value)) if value else None
            if value and period is None:
                raise ValueError(f"{label}: {value!r} is not a date (expected YYYY-MM-DD)")
            # "2024-03" as date_from starts on the 1st, as date_to ends on the 31st
            dates.append("" if period is None else (period.start if label == "date_from" else period.end).isoformat())
        return cls(_names(collections), _names(sources), dates[0], dates[1], _names(article_ids))

    def is_empty(self) -> bool:
        return not (self.collections or self.sources or self.date_from or self.date_to or self.article_ids)

    def describe(self) -> str:
        parts = [f"{k}={','.join(v)}" for k, v in (("collection", self.collections), ("source", self.sources),
                                                     ("article_id", self.article_ids)) if v]
        parts += [f"{k}={v}" for k, v in (("date_from", self.date_from), ("date_to", self.date_to)) if v]
        return " ".join(parts) or "(none)"

    def matches(self, article: dict[str, Any]) -> bool:
        """Whether an article row (``list_articles()`` shape) passes."""
        if self.collections and (article.get("collection") or DEFAULT_COLLECTION) not in self.collections:
            return False
        if self.sources and article.get("source", "") not in self.sources:
            return False
        if self.article_ids and article.get("id") not in self.article_ids:
            return False
        if self.date_from or self.date_to:
            d = iso_date(article.get("date", ""))
            if not d or (self.date_from and d < self.date_from[:len(d)]) or (self.date_to and d > self.date_to):
                return False
        return True

    def where(self, mark: str, prefix: str = "") -> tuple[str, list[Any]]:
        """A SQL condition over the columns collection, source, pub_date and article_id (``prefix`` + name) with
        ``mark`` as the parameter placeholder ("?" for SQLite, "%s" for psycopg); "TRUE" when empty."""
        conds: list[str] = []
        params: list[Any] = []
        for col, values in (("collection", self.collections), ("source", self.sources),
                            ("article_id", self.article_ids)):
            if values:
                conds.append(f"{prefix}{col} IN ({', '.join([mark] * len(values))})")
                params += list(values)
        if self.date_from:
            # pub_date is ISO at its precision ("2018-03"): it ends on or after date_from when it is >= date_from cut
            # to its length; the first test (the year) lets an index on pub_date narrow the rows.
            conds.append(f"{prefix}pub_date >= {mark} AND {prefix}pub_date >= substr({mark}, 1, length({prefix}pub_date))")
            params += [self.date_from[:4], self.date_from]
        if self.date_to:
            conds.append(f"{prefix}pub_date <= {mark}")  # a prefix sorts first: "2018-03" <= "2018-03-05"
            params.append(self.date_to)
        return (" AND ".join(conds) or "TRUE"), params
