"""The file types the loaders read, by extension: the one list every interface (CLI help, web upload, REST upload,
the bundled samples) takes its accepted suffixes from. Kept apart from ``ingest.loaders`` so that reading it
imports nothing heavy."""
from __future__ import annotations

KINDS = {".txt": "text", ".text": "text", ".html": "html", ".htm": "html", ".md": "markdown",
         ".markdown": "markdown", ".jsonl": "jsonl"}
SUPPORTED_EXTENSIONS = tuple(sorted(KINDS))


def is_supported(name: str) -> bool:
    """Whether a file name has an extension the loaders read (case-insensitive)."""
    dot = name.rfind(".")
    return dot >= 0 and name[dot:].lower() in KINDS


def describe() -> str:
    """The extensions for messages and labels: ".htm .html .jsonl ..."."""
    return " ".join(SUPPORTED_EXTENSIONS)
