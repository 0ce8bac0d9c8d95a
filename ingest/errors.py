"""The one error type for bad input files: its message names the file (and line) and the problem in one line."""
from __future__ import annotations

from os import PathLike


class IngestError(Exception):
    """A file (or one line of it) that cannot be ingested.

    ``str(err)`` is one line: ``data/x.jsonl:17: malformed JSON line (Expecting ',' ...)``.
    ``partial`` holds articles that were still read from the file when only some of its lines were bad
    (see :func:`ingest.loaders.load_path`).
    """

    def __init__(self, path: str | PathLike[str], problem: str, line: int | None = None):
        self.path = str(path)
        self.problem = " ".join(str(problem).split())  # always one line
        self.line = line
        self.partial: list = []
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.problem}"

    def __reduce__(self):  # picklable across process pools
        return (IngestError, (self.path, self.problem, self.line))
