"""Adding articles to an open assistant's index: the interface layer wires ``ingest`` to ``qa`` (which never
imports ingest)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

if TYPE_CHECKING:
    from ingest.report import IngestReport
    from qa.assistant import Assistant


def ingest_into(assistant: "Assistant", paths: Sequence[str | os.PathLike[str]],
                progress: Callable | None = None, collection: str | None = None) -> "IngestReport":
    """Ingest ``paths`` into ``assistant``'s index under its write lock, then refresh its retrieval. ``collection``:
    where the articles go (None or empty: ``settings.store.collection``)."""
    from ingest import ingest_paths

    with assistant.writing():
        return ingest_paths([Path(p) for p in paths], index_dir=assistant.settings.index_dir,
                            settings=assistant.settings, progress=progress, collection=collection or None)
