"""One line per question saying why it scored as it did (the report's "why" column)."""
from __future__ import annotations

from typing import Any


def _first_note(row: dict[str, Any]) -> str:
    notes = row.get("notes") or []
    return f" ({notes[0]})" if notes else ""


def why(row: dict[str, Any], mode: str) -> str:
    """Read from a report row: gold, answer, retrieval rank, metrics."""
    m = row.get("metrics") or {}
    rank = row.get("first_hit_rank")
    if row.get("error"):
        return f"error: {row['error']}"
    if mode == "retrieval":
        return f"gold evidence at rank {rank}" if rank else "no retrieved passage holds the gold evidence"
    if not row.get("answerable", True):
        if row.get("refused"):
            return "unanswerable, refused: right" + _first_note(row)
        return "unanswerable, but answered: wrong"
    where = f"gold evidence retrieved at rank {rank}" if rank else "gold evidence not retrieved (top 10)"
    if row.get("refused"):
        return f"answerable, refused: wrong; {where}" + _first_note(row)
    if m.get("answer_contains"):
        f1 = m.get("f1")
        extra = f"; F1 {f1:.2f}" if f1 is not None else ""
        return f"answer holds a gold answer{extra}; {where}"
    if m.get("shown_contains"):
        return f"short answer misses the gold answer, its quote holds it; {where}"
    return f"answer misses the gold answer; {where}" + _first_note(row)
