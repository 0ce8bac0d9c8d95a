"""The bundled sample articles (``articleqa/samples/``, package data: in the wheel too) that seed an empty index."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

from ingest.formats import is_supported

DOCS = {"readme.md"}  # articleqa/samples/README.md is documentation (licences), not an article


def samples_dir() -> Path:
    import articleqa

    return Path(articleqa.__file__).resolve().parent / "samples"


def sample_paths(folder: Path | None = None) -> list[Path]:
    folder = folder or samples_dir()
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and is_supported(p.name) and p.name.lower() not in DOCS)


def console_progress(event) -> None:
    """progress(event) (`articleqa.progress.ProgressEvent`) -> one rewritten status line on stderr."""
    done, total = event.done, event.total
    pct = 100.0 * done / total if total else 0.0
    print(f"\r  indexing sample articles: {done}/{total} ({pct:3.0f}%) {event.text[:60]:<60}", end="",
          file=sys.stderr, flush=True)
    if total and done >= total:
        print(file=sys.stderr, flush=True)


def seed_if_empty(assistant, progress: Callable | None = console_progress):
    """Ingest the samples when the index has no articles; returns the IngestReport, or None if nothing was done."""
    if assistant.list_articles():
        return None
    paths = sample_paths()
    if not paths:
        print(f"articleqa: the index is empty and no samples were found in {samples_dir()}", file=sys.stderr)
        return None
    print(f"articleqa: empty index; building it from {len(paths)} sample files in {samples_dir()}", file=sys.stderr)
    from interfaces.library import ingest_into

    report = ingest_into(assistant, paths, progress=progress)
    print(f"articleqa: {report.summary()}", file=sys.stderr)
    return report
