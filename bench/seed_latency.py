"""Time to first token and to the whole answer on the seed questions, this tree against another one (e.g. a
checkout of the previous main) in the same run: each tree answers in its own process, the two alternate question
by question.

    python -m bench.seed_latency --other /work/main --rounds 3
    python -m bench.seed_latency --other /work/main --rounds 3 --mode extractive

Prints per-tree p50 over the answered questions of every round and the ratio (this / other). The first question
after load pays for warming the prompt prefix; it is reported apart.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

WORKER = r"""
import json, sys, time
from pathlib import Path
from articleqa.settings import load_settings
from ingest import ingest_paths
from qa import Assistant
idx = Path(sys.argv[1]); seed = Path(sys.argv[2])
s = load_settings().with_overrides({"index_dir": str(idx), "models.n_threads": int(sys.argv[3])})
mode = sys.argv[4]
if not (idx / "store.sqlite").exists():
    ingest_paths([seed / "jdfinance-2018.txt"], index_dir=idx, settings=s)
a = Assistant.open(idx, s)
if mode == "llm":
    a.llm
a.ask("warm-up", mode=mode)
print("READY", flush=True)
for line in sys.stdin:
    q = line.strip()
    t0 = time.perf_counter(); first = None
    for ev in a.stream(q, mode=mode):
        if isinstance(ev, dict) and first is None:
            first = time.perf_counter() - t0
    total = time.perf_counter() - t0
    print(json.dumps({"q": q, "first": first if first is not None else total, "total": total,
                      "refused": ev.refused, "text": ev.text[:60]}, ensure_ascii=False), flush=True)
"""


def start(tree: Path, idx: Path, seed: Path, threads: int, mode: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(tree), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    p = subprocess.Popen([sys.executable, "-c", WORKER, str(idx), str(seed), str(threads), mode], cwd=tree, env=env,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    while (line := p.stdout.readline()) and not line.startswith("READY"):
        pass
    return p


def ask(p: subprocess.Popen, q: str) -> dict:
    p.stdin.write(q + "\n")
    p.stdin.flush()
    while True:
        line = p.stdout.readline()
        if line.startswith("{"):
            return json.loads(line)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--other", type=Path, required=True)
    ap.add_argument("--work", type=Path, default=Path("/tmp/aq/latency"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=1, help="ask the seed questions this many times (less noise)")
    ap.add_argument("--mode", choices=["llm", "extractive"], default="llm")
    args = ap.parse_args(argv)
    here = Path(__file__).resolve().parent.parent
    seed = here / "eval" / "datasets" / "seed"
    qs = [json.loads(x)["question"] for x in (seed / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    procs = {"this": start(here, args.work / "this", seed, args.threads, args.mode),
             "other": start(args.other, args.work / "other", seed, args.threads, args.mode)}
    rows: dict[str, list[dict]] = {k: [] for k in procs}
    for q in qs * args.rounds:
        for name, p in procs.items():
            rows[name].append(ask(p, q))
    for p in procs.values():
        p.stdin.close()
        p.wait()
    out = {}
    for name, rs in rows.items():
        answered = [r for r in rs[1:] if not r["refused"]]
        out[name] = {"first_p50": statistics.median(r["first"] for r in answered),
                     "total_p50": statistics.median(r["total"] for r in answered),
                     "first_question": rs[0], "rows": rs}
    out["ratio_first_p50"] = out["this"]["first_p50"] / out["other"]["first_p50"]
    out["ratio_total_p50"] = out["this"]["total_p50"] / out["other"]["total_p50"]
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
