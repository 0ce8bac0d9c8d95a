"""The web chat's example questions, asked through the Python API of an index of the bundled samples (what `make
run` builds on first start): each must answer, with a citation.

    nice -n 19 .venv/bin/python bench/sample_examples.py --modes extractive llm

Prints one line per question and mode: refused or not, the citations (title and evidence language), the answer, the
passages' languages, and whether the question was translated for retrieval.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from articleqa.settings import load_settings
from interfaces.webui.samples import sample_paths
from interfaces.webui.ui import EXAMPLES


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--modes", nargs="+", default=["extractive"], choices=["extractive", "llm"])
    ap.add_argument("--index", type=Path, default=None, help="default: <cache>/bench/samples-index")
    args = ap.parse_args(argv)

    from ingest import ingest_paths
    from qa import Assistant

    settings = load_settings()
    index = args.index or settings.cache_dir / "bench" / "samples-index"
    if not (index / ".complete").exists():
        ingest_paths(sample_paths(), index, settings)
        (index / ".complete").write_text("ok\n")
    failed = 0
    with Assistant.open(index, settings) as assistant:
        for mode in args.modes:
            for q in EXAMPLES:
                t = time.perf_counter()
                a = assistant.ask(q, mode=mode)
                langs = {p.chunk.id: p.lang for p in a.passages}
                cites = [f"[{c.n}] {c.title} ({langs.get(c.chunk_id, '?')})" for c in a.citations]
                translated = next((p.search_query for p in a.passages if p.search_query), "")
                ok = not a.refused and bool(a.citations)
                failed += not ok
                print(f"{'OK ' if ok else 'BAD'} {mode:10s} {time.perf_counter() - t:6.1f}s {q} -> {a.text[:120]!r} "
                      f"{cites} translated={translated!r} notes={a.notes}", flush=True)
    print(f"{failed} example answers refused or uncited")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
