"""Adding articles to an index: the interface layer wires ``ingest`` to ``qa`` (which never imports ingest). Every
interface (CLI, web chat, HTTP API, the sample seeding) ingests through here, so each builds the keyword index with
the commit and no first question after an ingest pays for it."""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

if TYPE_CHECKING:
    from ingest.report import IngestReport
    from qa.assistant import Assistant


def build_keyword_index(store) -> None:
    """Save the keyword index of the store's new commit (``ingest_paths``' ``on_commit``)."""
    from qa.retrieval.keyword_index import KeywordIndex

    KeywordIndex(store).refresh()


def ingest_into(assistant: "Assistant", paths: Sequence[str | os.PathLike[str]],
                progress: Callable | None = None, collection: str | None = None) -> "IngestReport":
    """Ingest ``paths`` into ``assistant``'s index under its write lock (the keyword index is built with the
    commit), then refresh its retrieval. ``collection``: where the articles go (None or empty:
    ``settings.store.collection``)."""
    from ingest import ingest_paths

    with assistant.writing():
        return ingest_paths([Path(p) for p in paths], index_dir=assistant.settings.index_dir,
                            settings=assistant.settings, progress=progress, collection=collection or None,
                            on_commit=build_keyword_index)
