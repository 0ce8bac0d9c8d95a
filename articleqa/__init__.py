"""articleqa: offline question answering over articles, every answer cited.

Public API (imported lazily so that `import articleqa` stays cheap):
    Settings, load_settings   the one settings tree
    Article, Chunk, Passage, Citation, Answer
    ingest_paths(paths, index_dir, settings) -> IngestReport
    Assistant.open(index_dir, settings).ask(question, history=()) -> Answer
    evaluate(questions, assistant, ...) -> Report
"""
from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from articleqa.settings import Settings, load_settings  # noqa: E402
from articleqa.types import Answer, Article, Chunk, Citation, Passage  # noqa: E402

__version__ = "0.1.0"

_LAZY = {
    "ingest_paths": ("ingest", "ingest_paths"),
    "IngestReport": ("ingest", "IngestReport"),
    "Assistant": ("qa", "Assistant"),
    "evaluate": ("eval", "evaluate"),
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(name)


__all__ = ["Settings", "load_settings", "Answer", "Article", "Chunk", "Citation", "Passage", *_LAZY]
