"""Build (once) the index an eval run needs from its articles file(s).

Local store (no ``store.url``): the index lives in ``settings.cache_dir/eval-index/<key>``, where the key is the
sha256 of the articles files' bytes, the embedder and the chunking settings: a rerun with the same inputs reuses it
and embeds nothing. PostgreSQL (``store.url`` set): the articles are ingested into that database, in their own
collection ``eval-<key>``, and the run searches only that collection (`prepare_eval_store`), so the questions are
searched where their articles are.
"""
from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from articleqa.models.files import sha256_file

MARKER = ".eval-index.json"


def index_key(article_paths: Sequence[Path], settings) -> str:
    h = hashlib.sha256()
    for p in sorted(Path(x).resolve() for x in article_paths):
        h.update(sha256_file(p).encode())
        h.update(b"\0")
    h.update(settings.models.embedder.encode())
    h.update(json.dumps(settings.chunking.model_dump(mode="json"), sort_keys=True).encode())
    return h.hexdigest()


def index_dir_for(article_paths: Sequence[Path], settings) -> Path:
    return settings.cache_dir / "eval-index" / index_key(article_paths, settings)[:32]


class EvalIndexError(RuntimeError):
    """Some articles file could not be ingested: the run would search an index missing its articles."""


@dataclass
class EvalStore:
    """Where an eval run's articles are and how to open them: ``Assistant.open(index_dir, settings)``."""

    index_dir: Path
    settings: Any  # the run's settings, searching only the articles' collection on PostgreSQL
    searched: dict[str, Any] = field(default_factory=dict)  # for the report: the articles files


def _existing(article_paths: Sequence[str | Path]) -> list[Path]:
    paths = [Path(p) for p in article_paths]
    for p in paths:
        if not p.exists():
            raise ValueError(f"{p}: no such articles file")
    return paths


def prepare_eval_store(article_paths: Sequence[str | Path], settings, log=None) -> EvalStore:
    """The store holding these articles for an eval run, on the backend the settings name (see the module doc)."""
    paths = _existing(article_paths)
    searched = {"articles_files": [str(p) for p in paths]}
    if not settings.store.url.strip():
        target = ensure_index(paths, settings, log)
        return EvalStore(target, settings.with_overrides({"store.search_collections": []}), searched)
    collection = "eval-" + index_key(paths, settings)[:12]
    _ingest_into_database(paths, settings, collection, log or sys.stderr)
    return EvalStore(Path(settings.index_dir),
                     settings.with_overrides({"store.search_collections": [collection]}), searched)


def _ingest_into_database(paths: list[Path], settings, collection: str, log) -> None:
    """Ingest the articles files into ``collection`` of the database of ``store.url`` (creating the schema on
    first use, as `articleqa ingest` does); unchanged files already there are not embedded again. An article already
    stored in another collection (the same file, or the same text from another file) is refused: ingesting it here
    would move it, changing the user's collections."""
    from articleqa.store import open_store, store_location
    from ingest.pipeline import ingest_paths

    where = store_location(settings)
    with open_store(settings.index_dir, settings, create=True) as store:
        for f, other in _elsewhere(store, paths, settings, collection):
            raise ValueError(f"{f}: its articles are already in collection {other!r} of {where}; evaluate them there "
                             f"with `--collection {other}` instead of --articles")
    print(f"eval: indexing {', '.join(map(str, paths))} into {where}, collection {collection}", file=log)
    report = ingest_paths([str(p) for p in paths], settings.index_dir, settings, collection=collection)
    _raise_failed(report)
    print(f"eval: {report.summary()}", file=log)


def _elsewhere(store, paths: list[Path], settings, collection: str):
    """(file, another collection) for each articles file with an article stored outside ``collection``."""
    from ingest.loaders import expand_paths, load_path
    from ingest.pipeline import text_hash

    for f in expand_paths(paths):
        found = set()
        for art in load_path(f, settings, errors=[]):
            stored = store.find_by_content_hash(text_hash(art.text))
            row = store.get_article(stored) if stored else None
            if row is not None and row.collection != collection:
                found.add(row.collection)
        if found:
            yield f, sorted(found)[0]


def _raise_failed(report) -> None:
    failed = list(getattr(report, "failed", []) or [])
    if failed:
        msgs = "; ".join(f"{m}" for _, m in failed[:5])
        raise EvalIndexError(f"ingest failed for {len(failed)} file(s): {msgs}")


def ensure_index(article_paths: Sequence[str | Path], settings, log=None) -> Path:
    """The local index for these articles in the cache (never a PostgreSQL store: ``store.url`` is ignored here;
    `prepare_eval_store` is the backend-aware entry), ingesting them first unless a finished index with the same
    key exists."""
    log = log or sys.stderr
    paths = _existing(article_paths)
    settings = settings.with_overrides({"store.url": ""})
    target = index_dir_for(paths, settings)
    marker = target / MARKER
    if marker.exists():
        print(f"eval: reusing the index {target}", file=log)
        return target
    from ingest.pipeline import ingest_paths

    print(f"eval: building the index {target} from {', '.join(map(str, paths))}", file=log)
    target.mkdir(parents=True, exist_ok=True)
    report = ingest_paths([str(p) for p in paths], target, settings)
    _raise_failed(report)
    summary = report.summary() if hasattr(report, "summary") else str(report)
    print(f"eval: {summary}", file=log)
    marker.write_text(
        json.dumps({"articles": [str(p.resolve()) for p in paths], "summary": summary}, ensure_ascii=False),
        encoding="utf-8",
    )
    return target
