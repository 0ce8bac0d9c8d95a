"""Search filters, applied inside the vector and keyword searches (never to their results afterwards), so that k
matching passages come back whenever k exist."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

DEFAULT_COLLECTION = "default"

_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2}))?")


def iso_date(text: str) -> str:
    """``YYYY-MM-DD`` of the first date in ``text`` (a missing day counts as the 1st), or "" when there is none."""
    m = _DATE.search(text or "")
    if not m:
        return ""
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3) or 1)
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return ""
    return f"{year:04d}-{month:02d}-{day:02d}"


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
    date_from: str = ""  # ISO date, inclusive (the article's publication date; undated articles never match)
    date_to: str = ""
    article_ids: tuple[str, ...] = ()

    @classmethod
    def make(cls, collections=None, sources=None, date_from: str | None = None, date_to: str | None = None,
             article_ids=None) -> "SearchFilter":
        """A filter from loose values (a name or a list); bad dates raise ValueError naming the value."""
        dates = []
        for label, value in (("date_from", date_from), ("date_to", date_to)):
            iso = iso_date(value) if value else ""
            if value and not iso:
                raise ValueError(f"{label}: {value!r} is not a date (expected YYYY-MM-DD)")
            dates.append(iso)
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
            if not d or (self.date_from and d < self.date_from) or (self.date_to and d > self.date_to):
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
            conds.append(f"{prefix}pub_date >= {mark}")
            params.append(self.date_from)
        if self.date_to:
            conds.append(f"{prefix}pub_date <= {mark}")
            params.append(self.date_to)
        return (" AND ".join(conds) or "TRUE"), params
