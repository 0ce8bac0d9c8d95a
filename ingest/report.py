"""What one ingest run did, for the CLI summary, the web app and tests."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class IngestReport:
    added: int = 0  # articles new to the index
    updated: int = 0  # articles whose text (or metadata) changed
    unchanged: int = 0  # articles already stored as they are (nothing embedded)
    duplicates: int = 0  # articles whose cleaned text is already stored under another id (stored once)
    deleted: int = 0  # articles removed (their files changed, or are gone with --prune)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, one-line message naming the file)
    chunks: int = 0  # chunks embedded and written in this run
    files: int = 0  # input files looked at
    seconds: float = 0.0
    embed_seconds: float = 0.0  # time spent embedding (model loading excluded)
    total_articles: int = 0  # in the index after the run
    total_chunks: int = 0
    index_dir: str = ""

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def embedded(self) -> int:
        return self.chunks

    def summary(self) -> str:
        parts = [
            f"{self.added} added", f"{self.updated} updated", f"{self.unchanged} unchanged",
        ]
        if self.duplicates:
            parts.append(f"{self.duplicates} duplicate{'s' if self.duplicates != 1 else ''} stored once")
        if self.deleted:
            parts.append(f"{self.deleted} deleted")
        parts.append(f"{len(self.failed)} failed")
        rate = f" ({self.chunks / self.embed_seconds:.1f} chunks/s)" if self.chunks and self.embed_seconds > 0 else ""
        return (
            f"articles: {', '.join(parts)}; chunks embedded: {self.chunks}{rate}; "
            f"index: {self.total_articles} articles, {self.total_chunks} chunks; time: {self.seconds:.1f}s"
        )

    def to_dict(self) -> dict:
        d = asdict(self)
        d["failed"] = [list(x) for x in self.failed]
        d["ok"] = self.ok
        return d
