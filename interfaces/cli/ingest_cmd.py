"""`articleqa ingest PATH... [--index DIR] [--prune] [--rebuild]`: add files to the index.

Prints one line per bad file, then a summary. Exit status: 0 when every file went in, 1 when some file failed
(the others are still ingested and committed), 2 when nothing could be done (index mismatch, index locked).
"""
from __future__ import annotations

import argparse
import sys

from ingest.formats import SUPPORTED_EXTENSIONS
from interfaces.cli.options import add_index_option, settings_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "ingest",
        help=f"add articles ({', '.join(e.lstrip('.') for e in SUPPORTED_EXTENSIONS)}; files or directories) to "
             "the index",
        description="Add articles to the index. Unchanged files are skipped; changed files replace their articles.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or directories to ingest")
    add_index_option(p)
    p.add_argument("--collection", default=None, metavar="NAME",
                   help="the collection the articles go into (default: settings.store.collection, 'default')")
    p.add_argument("--prune", action="store_true", help="remove articles whose source files no longer exist")
    p.add_argument("--rebuild", action="store_true",
                   help="start a fresh index (e.g. after changing the embedder or chunking settings); the old one "
                        "stays until the new one is committed")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="CPU cores for embedding (default: all; 1 also reads and embeds in turn)")
    p.set_defaults(func=run)


class _LineProgress:
    """progress(event) -> a stderr line when the stage changes or every few seconds."""

    def __init__(self, every: float = 5.0) -> None:
        self.every = every
        self.last = 0.0
        self.stage = ""

    def __call__(self, event) -> None:
        import time

        if event.stage == "done":  # the summary is printed on stdout at the end
            return
        now = time.monotonic()
        if event.stage != self.stage or now - self.last >= self.every or event.done >= event.total:
            self.stage, self.last = event.stage, now
            print(event.text, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from articleqa.store.base import StoreError
    from ingest.pipeline import IndexMismatch, ingest_paths
    from interfaces.library import build_keyword_index

    settings = settings_from_args(args)
    # On a terminal the embedding step draws a tqdm bar; otherwise (logs, pipes) progress is a line now and then.
    progress = None if sys.stderr.isatty() else _LineProgress()
    try:
        report = ingest_paths(args.paths, settings.index_dir, settings, progress=progress, prune=args.prune,
                              rebuild=args.rebuild, collection=args.collection, workers=args.workers,
                              on_commit=build_keyword_index)
    except (IndexMismatch, StoreError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for _path, message in report.failed:
        print(f"error: {message}", file=sys.stderr)
    print(report.summary())
    return 0 if report.ok else 1
