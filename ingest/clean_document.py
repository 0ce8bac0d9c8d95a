"""The cleaner's entry point: one document of any kind -> :class:`ingest.clean.CleanResult`.

It sits above :mod:`ingest.clean` (the line cleaner) and :mod:`ingest.clean_html` (which builds on it), so that
neither of those imports the other back.
"""
from __future__ import annotations

from articleqa.settings import CleanSettings
from ingest.clean import _CONTROL, CleanResult, Kind, _clean_markdown, _clean_text, _sanitize
from ingest.clean_html import clean_html, clean_plain


def clean_document(raw: str, kind: Kind, cfg: CleanSettings | None = None) -> CleanResult:
    """Clean one document. ``kind`` is "html", "text" (may hold stray HTML fragments) or "markdown"; ``cfg`` is
    the ``[clean]`` section of the settings (None = its defaults).

    Never raises for bad input: control characters are removed first, and a document our cleaner cannot make
    sense of falls back (HTML: to trafilatura, then to plain text), with the reason in ``dropped``."""
    if kind not in ("html", "text", "markdown"):
        raise ValueError(f"unknown document kind {kind!r}")
    cfg = cfg if cfg is not None else CleanSettings()
    raw = _CONTROL.sub(" ", raw)
    if kind == "html":
        return _sanitize(clean_html(raw, cfg))
    try:
        res = _clean_markdown(raw, cfg) if kind == "markdown" else _clean_text(raw, cfg)
    except Exception as e:  # noqa: BLE001 - bad input never crashes an ingest; keep the text, say why
        res = clean_plain(raw, cfg)
        res.dropped.insert(0, (f"fallback: {kind} cleaner failed", f"{type(e).__name__}: {e}"[:200]))
    return _sanitize(res)
