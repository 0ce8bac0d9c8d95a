"""Files -> cleaned articles -> chunks -> vectors -> the store. Entry point: :func:`ingest_paths`."""
from __future__ import annotations

from ingest.report import IngestReport


def __getattr__(name: str):
    # Lazy, so that `import ingest` (and `articleqa --help`) does not pull in the store, FAISS or torch.
    if name in ("ingest_paths", "IndexMismatch"):
        from ingest import pipeline

        return getattr(pipeline, name)
    raise AttributeError(name)


__all__ = ["ingest_paths", "IngestReport", "IndexMismatch"]
