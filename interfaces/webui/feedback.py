"""Thumbs up/down with an optional comment, kept in SQLite next to the index (``feedback.sqlite``)."""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Iterator

FEEDBACK_FILE = "feedback.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    rating INTEGER NOT NULL,          -- +1 thumbs up, -1 thumbs down
    comment TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    refused INTEGER NOT NULL DEFAULT 0,
    mode TEXT NOT NULL DEFAULT '',
    citations TEXT NOT NULL DEFAULT '[]', -- JSON list of Citation dicts
    notes TEXT NOT NULL DEFAULT '[]',     -- JSON list of strings
    settings TEXT NOT NULL DEFAULT '{}'   -- JSON: mode, top_k, models the answer was made with
)
"""

_COLUMNS = ("id", "created_at", "rating", "comment", "question", "answer", "refused", "mode", "citations", "notes",
            "settings")


def feedback_path(index_dir: Path) -> Path:
    return Path(index_dir).expanduser() / FEEDBACK_FILE


class FeedbackStore:
    """One SQLite file; a connection per call so Gradio's worker threads can share the object."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=10)
        return con

    def add(self, rating: int, question: str, answer: dict[str, Any], comment: str = "",
            settings: dict[str, Any] | None = None) -> int:
        """Store one rating of an answer (``answer`` is ``Answer.to_dict()``); returns the row id."""
        if rating not in (1, -1):
            raise ValueError(f"rating must be 1 or -1, not {rating!r}")
        row = (
            time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            rating,
            (comment or "").strip(),
            question,
            answer.get("text", ""),
            int(bool(answer.get("refused"))),
            answer.get("mode", ""),
            json.dumps(answer.get("citations", []), ensure_ascii=False),
            json.dumps(answer.get("notes", []), ensure_ascii=False),
            json.dumps(settings or {}, ensure_ascii=False),
        )
        with self._lock, self._connect() as con:
            cur = con.execute(
                "INSERT INTO feedback (created_at, rating, comment, question, answer, refused, mode, citations, notes,"
                " settings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            return int(cur.lastrowid)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        con = self._connect()
        try:
            for values in con.execute(f"SELECT {', '.join(_COLUMNS)} FROM feedback ORDER BY id"):
                rec = dict(zip(_COLUMNS, values))
                rec["refused"] = bool(rec["refused"])
                for key in ("citations", "notes", "settings"):
                    rec[key] = json.loads(rec[key])
                yield rec
        finally:
            con.close()

    def __len__(self) -> int:
        con = self._connect()
        try:
            return int(con.execute("SELECT COUNT(*) FROM feedback").fetchone()[0])
        finally:
            con.close()

    def export_jsonl(self, out) -> int:
        """Write every record as one JSON line to the text stream ``out``; returns how many."""
        n = 0
        for rec in self:
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += 1
        return n
