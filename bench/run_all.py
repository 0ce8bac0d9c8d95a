"""Run every speed benchmark and append a dated section to docs/benchmarks.md.

    .venv/bin/python -m bench.run_all [--quick] [--only ingest search answer] [--no-write]

Full: about 20-30 minutes on 2 cores (ingest of the three dev sets three ways plus DRCD hit@5 for two embedder
backends, the index at 10k/100k/1M chunks, twelve seed answers). ``--quick``: about 3 minutes on an idle machine
(10 articles per set, 200 DRCD questions, 10k/100k chunks, three llm answers).

Numbers taken while other jobs share the CPU are noisy: compare ratios within one run, and look at the load
average printed with the machine.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

from bench.common import ROOT, machine

DOC = ROOT / "docs" / "benchmarks.md"
HEADER = """# Benchmarks

Speed benchmarks of articleqa, appended by `make bench` (`python -m bench.run_all`; `make bench-quick` for a
short run). Each section is one run; the machine and its load average are named in it. Retrieval quality has its
own table in `bench/retrieval_table.py`.
"""

STEPS = {
    "ingest": ("bench.ingest_speed", "Ingest speed (ours vs plain LangChain) and the embedder backends"),
    "cli": ("bench.cli_speed", "The command line, cold: ask p50, ingest vs plain LangChain, models --prepare, GPU"),
    "search": ("bench.search_scale", "Query latency and index size at scale"),
    "answer": ("bench.answer_speed", "Answer speed on the seed questions"),
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", nargs="+", choices=list(STEPS), default=list(STEPS))
    ap.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    ap.add_argument("--json-out", default=None, help="also write every step's raw results here")
    args = ap.parse_args(argv)

    m = machine()
    started = dt.datetime.now(dt.timezone.utc)
    head = (f"## {started:%Y-%m-%d %H:%M} UTC — {'quick' if args.quick else 'full'} run\n\n"
            f"Machine: {m['cpu']}, {m['cores']} cores ({m['flags']}), {m['memory_gib']} GiB memory; "
            f"load average at start {m['load_avg'][0]:.1f} / {m['load_avg'][1]:.1f} / {m['load_avg'][2]:.1f}; "
            f"Python {m['python']}.")
    print(head, flush=True)
    parts = [head]
    raw = {"machine": m}
    t0 = time.monotonic()
    for key in args.only:
        module, title = STEPS[key]
        t = time.monotonic()
        print(f"\n### {title}\n", flush=True)
        mod = __import__(module, fromlist=["main"])
        out = Path(f"/tmp/articleqa-bench-{key}.json")
        try:
            mod.main((["--quick"] if args.quick else []) + ["--json-out", str(out)])
            res = json.loads(out.read_text())
            body = res.get("markdown", "(no output)")
            raw[key] = res
        except Exception as e:  # one failing benchmark must not lose the others
            body = f"- FAILED: {type(e).__name__}: {e}"
            print(body, flush=True)
        parts.append(f"### {title}\n\n{body}\n\n_{time.monotonic() - t:.0f} s_")
    end = machine()["load_avg"]
    parts.append(f"Total {time.monotonic() - t0:.0f} s; load average at the end {end[0]:.1f} / {end[1]:.1f} / "
                 f"{end[2]:.1f}.")
    section = "\n\n".join(parts) + "\n"
    if not args.no_write:
        DOC.parent.mkdir(parents=True, exist_ok=True)
        text = DOC.read_text(encoding="utf-8") if DOC.exists() else HEADER
        DOC.write_text(text.rstrip("\n") + "\n\n" + section, encoding="utf-8")
        print(f"\nappended to {DOC}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(raw, indent=2, default=str, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
