"""Every model articleqa uses offline, in one list: embedder, generator, tiktoken encodings.

Each row of ``all_status`` is a dict with: name, kind, source (the data package), path, size (bytes), ready (bool),
detail (why not ready, or a note). ``prepare_all`` makes each one ready, reporting progress as
``progress(event)`` (`articleqa.progress.ProgressEvent`, one bar per ``event.stage``).
"""
from __future__ import annotations

import inspect
from typing import Any, Callable

from articleqa.progress import Progress
from articleqa.settings import Settings


def _embedder():
    from articleqa.models import embedder  # written separately; imported lazily (pulls torch)

    return embedder


def _error_row(kind: str, name: str, err: Exception) -> dict:
    return {"name": name, "kind": kind, "source": "", "path": "", "size": 0, "ready": False,
            "detail": f"{type(err).__name__}: {err}"}


def all_status(settings: Settings) -> list[dict]:
    from articleqa.models.generator import generator_status
    from articleqa.models.tokenizer import tiktoken_status

    rows = []
    for kind, name, fn in (
        ("embedder", settings.models.embedder, lambda s: _embedder().embedder_status(s)),
        ("generator", settings.models.generator, generator_status),
        ("tokenizer", "tiktoken", tiktoken_status),
    ):
        try:
            row = dict(fn(settings))
        except Exception as e:  # a broken model must not hide the others from `articleqa models`
            row = _error_row(kind, name, e)
        row.setdefault("kind", kind)
        for key, default in (("name", name), ("source", ""), ("path", ""), ("size", 0), ("detail", "")):
            row.setdefault(key, default)
        row["ready"] = bool(row.get("ready"))
        rows.append(row)
    return rows


def _call_prepare(fn: Callable, settings: Settings, progress: Progress | None) -> Any:
    try:
        accepts_progress = "progress" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        accepts_progress = False
    return fn(settings, progress=progress) if accepts_progress else fn(settings)


def prepare_all(settings: Settings, progress: Progress | None = None) -> dict[str, Any]:
    """Prepare embedder, generator and tiktoken; returns {kind: result or the exception}. Stops at nothing: every
    model is tried even when an earlier one fails (the caller reports the failures)."""
    from articleqa.models.generator import prepare_generator
    from articleqa.models.tokenizer import prepare_tiktoken

    results: dict[str, Any] = {}
    for kind, fn in (
        ("embedder", lambda s, progress=None: _call_prepare(_embedder().prepare_model, s, progress)),
        ("generator", prepare_generator),
        ("tokenizer", lambda s, progress=None: prepare_tiktoken(s)),
    ):
        try:
            results[kind] = fn(settings, progress=progress)
        except Exception as e:
            results[kind] = e
    return results


def human_size(n: int | None) -> str:
    if not n:
        return "-"
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def format_table(rows: list[dict]) -> str:
    headers = ["model", "kind", "source", "path", "size", "ready"]
    body = []
    for r in rows:
        ready = "yes" if r["ready"] else "no"
        if r.get("detail"):
            ready += f" ({r['detail']})"
        path = str(r.get("path") or "-")
        body.append([str(r["name"]), str(r["kind"]), str(r.get("source") or "-"), path,
                     human_size(r.get("size")), ready])
    widths = [max(len(h), *(len(row[i]) for row in body)) if body else len(h) for i, h in enumerate(headers)]
    widths[-1] = 0  # last column is not padded
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines.append("  ".join("-" * max(w, len(h)) for h, w in zip(headers, widths)))
    for row in body:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    return "\n".join(lines)


__all__ = ["all_status", "prepare_all", "format_table", "human_size"]
