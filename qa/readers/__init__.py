"""Readers: question + evidence passages -> candidate answer spans with scores and a no-answer margin.

``qa.readers.base.Reader`` is the interface; ``qa.readers.span.SpanReader`` is the trained extractive reader
(articleqa.reader). See docs/HACKING.md, "a reader".
"""
