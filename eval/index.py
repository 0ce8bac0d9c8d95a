"""Build (once) the index an eval run needs from its articles file(s).

The index lives in ``settings.cache_dir/eval-index/<key>``, where the key is the sha256 of the articles files'
bytes, the embedder and the chunking settings: a rerun with the same inputs reuses it and embeds nothing.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Sequence

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


def ensure_index(article_paths: Sequence[str | Path], settings, log=None) -> Path:
    """The index for these articles, ingesting them first unless a finished index with the same key exists."""
    log = log or sys.stderr
    paths = [Path(p) for p in article_paths]
    for p in paths:
        if not p.exists():
            raise ValueError(f"{p}: no such articles file")
    target = index_dir_for(paths, settings)
    marker = target / MARKER
    if marker.exists():
        print(f"eval: reusing the index {target}", file=log)
        return target
    from ingest.pipeline import ingest_paths

    print(f"eval: building the index {target} from {', '.join(map(str, paths))}", file=log)
    target.mkdir(parents=True, exist_ok=True)
    report = ingest_paths([str(p) for p in paths], target, settings)
    failed = list(getattr(report, "failed", []) or [])
    if failed:
        msgs = "; ".join(f"{p}: {m}" for p, m in failed[:5])
        raise RuntimeError(f"ingest failed for {len(failed)} file(s): {msgs}")
    summary = report.summary() if hasattr(report, "summary") else str(report)
    print(f"eval: {summary}", file=log)
    marker.write_text(
        json.dumps({"articles": [str(p.resolve()) for p in paths], "summary": summary}, ensure_ascii=False),
        encoding="utf-8",
    )
    return target
