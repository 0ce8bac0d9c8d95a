"""articleqa: offline question answering over articles, every answer cited.

This package is the shared core (settings, types, text, models, store); it imports nothing above it. The
public API lives in the layers that own it:

    articleqa.settings: Settings, load_settings    the one settings tree
    articleqa.types: Article, Chunk, Passage, Citation, Answer
    ingest: ingest_paths(paths, index_dir, settings) -> IngestReport
    qa: Assistant.open(index_dir, settings).ask(question) -> Answer
    eval: evaluate(questions, assistant, ...) -> Report
"""
from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from articleqa.settings import Settings, load_settings  # noqa: E402
from articleqa.types import Answer, Article, Chunk, Citation, Passage  # noqa: E402

__version__ = "0.1.0"

__all__ = ["Settings", "load_settings", "Answer", "Article", "Chunk", "Citation", "Passage"]
