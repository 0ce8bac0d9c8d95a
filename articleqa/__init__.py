"""articleqa: offline question answering over articles, every answer cited.

This package is the shared core (settings, types, text, models, store); it imports nothing above it. The
public API lives in the layers that own it:

    from articleqa.settings import Settings, load_settings     # the one settings tree
    from articleqa.types import Article, Chunk, Passage, Citation, Answer
    from ingest import ingest_paths                            # ingest_paths(paths, index_dir, settings) -> IngestReport
    from qa import Assistant                                   # Assistant.open(index_dir, settings).ask(question)
    from eval import evaluate                                  # evaluate(questions, assistant, ...) -> Report
"""
from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from articleqa.settings import Settings, load_settings  # noqa: E402
from articleqa.types import Answer, Article, Chunk, Citation, Passage  # noqa: E402

__version__ = "0.1.0"

__all__ = ["Settings", "load_settings", "Answer", "Article", "Chunk", "Citation", "Passage"]
