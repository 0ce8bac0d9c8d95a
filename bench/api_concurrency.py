"""The HTTP API under concurrent clients: answers per minute and latency (median, p95) at 1, 4 and 16 clients, in
extractive and llm mode, over the bundled sample index; errors counted. Appends a section to docs/benchmarks.md
with ``--write``.

    .venv/bin/python -m bench.api_concurrency [--clients 1 4 16] [--modes extractive llm] [--write]

Each level sends ``max(clients, N)`` questions (N: ``--extractive-answers`` 32, ``--llm-answers`` 8) from the
sixteen sample questions, each client one request at a time (POST /v1/chat/completions, not streamed). The API
runs in this process (uvicorn in a thread), as `articleqa serve` runs it. The local model answers one question at
a time, so llm throughput cannot grow with clients: the figures show what queueing costs in latency.
"""
from __future__ import annotations

import argparse
import datetime as dt
import math
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import ROOT, machine

DOC = ROOT / "docs" / "benchmarks.md"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def run_level(base: str, mode: str, clients: int, answers: int) -> dict:
    import httpx

    from interfaces.api.testing import SAMPLE_QUESTIONS

    questions = [SAMPLE_QUESTIONS[i % len(SAMPLE_QUESTIONS)][0] for i in range(answers)]
    work = [questions[i::clients] for i in range(clients)]

    def client(qs: list[str]) -> list[tuple[float, bool, bool]]:
        out = []
        with httpx.Client(timeout=1800) as http:
            for q in qs:
                t = time.perf_counter()
                try:
                    r = http.post(base + "/v1/chat/completions", json={
                        "model": f"articleqa:{mode}", "messages": [{"role": "user", "content": q}]})
                    ok = r.status_code == 200
                    cited = ok and bool(r.json()["articleqa"]["citations"])
                except Exception:  # noqa: BLE001 - counted as an error
                    ok = cited = False
                out.append((time.perf_counter() - t, ok, cited))
        return out

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = [x for part in pool.map(client, work) for x in part]
    wall = time.perf_counter() - t0
    lat = [s for s, _, _ in results]
    return {"mode": mode, "clients": clients, "answers": len(results), "wall_s": wall,
            "per_min": 60 * len(results) / wall, "median_s": statistics.median(lat), "p95_s": p95(lat),
            "errors": sum(1 for _, ok, _ in results if not ok), "cited": sum(1 for *_, c in results if c)}


def table(rows: list[dict]) -> str:
    lines = ["| mode | clients | answers | answers/min | median s | p95 s | errors | cited |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['mode']} | {r['clients']} | {r['answers']} | {r['per_min']:.1f} | {r['median_s']:.2f} | "
                     f"{r['p95_s']:.2f} | {r['errors']} | {r['cited']}/{r['answers']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    ap.add_argument("--modes", nargs="+", choices=["extractive", "llm"], default=["extractive", "llm"])
    ap.add_argument("--extractive-answers", type=int, default=32)
    ap.add_argument("--llm-answers", type=int, default=8)
    ap.add_argument("--write", action="store_true", help="append a section to docs/benchmarks.md")
    args = ap.parse_args(argv)

    from articleqa.settings import load_settings
    from interfaces.api.testing import api_in_thread
    from interfaces.webui.testing import build_sample_index

    settings = load_settings()
    work = Path(tempfile.mkdtemp(prefix="aq-bench-api-"))
    index = build_sample_index(work / "index", settings)
    settings = settings.with_overrides({"index_dir": str(index)})
    before = machine()
    rows = []
    with api_in_thread(settings) as (base, app):
        if "llm" in args.modes:  # load the model before timing
            app.state.service.ask(None, "京東金融的CEO是誰?", [], "llm", None)
        for mode in args.modes:
            n = args.extractive_answers if mode == "extractive" else args.llm_answers
            for c in args.clients:
                rows.append(run_level(base, mode, c, max(c, n)))
                print(table(rows[-1:]).splitlines()[-1], file=sys.stderr, flush=True)
    text = report(rows, before, machine())
    print(text)
    if args.write:
        with open(DOC, "a", encoding="utf-8") as fh:
            fh.write("\n" + text + "\n")
    return 0 if all(r["errors"] == 0 for r in rows) else 1


def report(rows: list[dict], before: dict, after: dict) -> str:
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (f"## {when} — HTTP API under concurrent clients (`python -m bench.api_concurrency`)\n\n"
            f"Machine: {before['cpu']}, {before['cores']} cores, {before['memory_gib']} GiB; load average "
            f"{before['load_avg']} at the start, {after['load_avg']} at the end (other developers' jobs shared the "
            "CPU). Sample index (8 articles, 159 chunks); each answer one POST /v1/chat/completions.\n\n"
            + table(rows))


if __name__ == "__main__":
    sys.exit(main())
