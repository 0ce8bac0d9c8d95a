"""An article's publication date at ingest: what the page or the feed says, never the wall clock.

Order: the date the cleaner read from the article's own byline or date line (or its meta tags), then the page's
markup read by htmldate (``<time>``, meta tags, JSON-LD; its guesses from free text and URLs are off: on the
cleaning-real pages they picked a related link's date twice), then the page's first time stamp outside links
(``2005年05月13日14:15``, ``2022年02月12日``: a date with a time of day or written out in full is the page's own
stamp; a bare ``2022-02-12`` may be anything). The
result is ISO 8601 at its precision (:func:`articleqa.dates.parse_pub_date`); "" when the page gives none.
"""
from __future__ import annotations

import logging
import re

from articleqa.dates import parse_pub_date

log = logging.getLogger(__name__)


def markup_date(html: str) -> str:
    """The publication date the page's markup declares (htmldate, markup only), ISO day, or ""."""
    try:
        from htmldate import find_date

        found = find_date(html, extensive_search=False, original_date=True, outputformat="%Y-%m-%d",
                          min_date="1990-01-01")
    except Exception as e:  # htmldate on a broken page: no date rather than no article
        log.debug("htmldate failed: %s", e)
        return ""
    return parse_pub_date(found or "")


_NOT_SHOWN = re.compile(r"<(script|style|a|option|select|noscript)\b.*?</\1\s*>|<!--.*?-->", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")
_STAMP = re.compile(r"(?<!\d)(?:19|20)\d{2}\s*(?:[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?\s*\d{1,2}:\d{2}"
                    r"|年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)")


def stamp_date(html: str) -> str:
    """The first time stamp in the page's visible text outside links and scripts, ISO day, or ""."""
    m = _STAMP.search(_TAG.sub(" ", _NOT_SHOWN.sub(" ", html)))
    return parse_pub_date(m.group(0)) if m else ""


def page_date(cleaner_date: str, raw: str, kind: str) -> str:
    """The article's publication date from the cleaner's byline/meta date, else (HTML) the page's markup, else its
    first time stamp."""
    iso = parse_pub_date(cleaner_date)
    if not iso and kind == "html":
        iso = markup_date(raw) or stamp_date(raw)
    return iso
