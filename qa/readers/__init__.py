"""Readers: question + evidence passages -> candidate answer spans with scores and a no-answer score.

``base.Reader`` is the interface; ``span.SpanReader`` is the trained extractive reader (articleqa.reader).
See docs/HACKING.md, "Adding a reader".
"""
from qa.readers.base import Candidate, Reader, Reading

__all__ = ["Candidate", "Reader", "Reading"]
