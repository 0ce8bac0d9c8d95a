"""What a person at the command line waits for: cold `ask`, `ingest` against plain LangChain, `models --prepare`.

    .venv/bin/python -m bench.cli_speed [--only ask ingest prepare gpu] [--runs 5] [--json-out FILE]

Every figure is the wall time of a fresh process, start-up, imports and model loading included:

* ask: ``python -m interfaces.cli ask Q --mode extractive|llm`` on the sample index (``articleqa/samples/``, ingested
  once first by the CLI), ``--runs`` cold runs each (a new process every time; the OS file cache stays warm, as
  it does for a person asking twice), p50 and all runs.
* ingest: the plain LangChain pipeline (``bench.ingest_speed --side plain``: tiktoken splitter 256/32, the same
  e5 model through sentence-transformers, a FAISS flat index), then ``python -m interfaces.cli ingest FOLDER``
  on the same folder (the dev ``articles.jsonl`` of ``--datasets``, default all three), in the same run, one
  after the other; the ratio of their wall times, and of their CPU seconds.
* prepare: ``python -m interfaces.cli models --prepare`` with ``ARTICLEQA_CACHE`` pointing at an empty folder.
* gpu: the torch fp16 embedder on CUDA in chunks/s (``models.device = "cuda"``) over the dev chunks; on a
  machine without a GPU it says so and measures nothing.

The machine is shared: compare the ratios measured within one run, and read the load average printed with it.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import DATASETS, ROOT, articles_path, machine, percentile, publish, table, write_json

QUESTION = "京東金融在哪一年實現單季盈利?"


CPU: dict[str, float] = {}  # the last child's CPU seconds (user + system), by _wall


def _wall(cmd: list[str], env: dict | None = None, timeout: float = 1800) -> tuple[float, str]:
    """Wall seconds and stdout of one fresh process; its CPU seconds go to ``CPU["last"]`` (less sensitive to
    the load than wall time: a process that waits for the CPU does not add CPU time)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    child_env = {**os.environ, **(env or {})}
    child_env.pop("PYTHONDONTWRITEBYTECODE", None)  # a user's install has bytecode caches; don't recompile each run
    proc = subprocess.run(cmd, cwd=ROOT, env=child_env, capture_output=True, text=True, timeout=timeout)
    wall = time.monotonic() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU["last"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd[2:5])} exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
    return wall, proc.stdout


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "interfaces.cli", *args]


def bench_ask(runs: int, tmp: Path) -> dict:
    index = tmp / "sample-index"
    ingest_s, _ = _wall(_cli("ingest", str(ROOT / "articleqa" / "samples"), "--index", str(index)))
    out = {"sample_ingest_s": ingest_s}
    # the torch backend on the same index: what the same command cost before the ONNX default
    for name, mode, env in (("extractive", "extractive", {}), ("llm", "llm", {}),
                            ("extractive, torch backend", "extractive", {"ARTICLEQA_MODELS__EMBED_BACKEND": "torch"})):
        walls, cpus = [], []
        for _ in range(runs):
            walls.append(_wall(_cli("ask", QUESTION, "--mode", mode, "--index", str(index)), env=env)[0])
            cpus.append(CPU["last"])
        out[name] = {"runs": walls, "p50": percentile(walls, 50), "cpu_runs": cpus, "cpu_p50": percentile(cpus, 50)}
    return out


def bench_ingest(tmp: Path, datasets: list[str]) -> dict:
    folder = tmp / "articles"
    folder.mkdir()
    for name in datasets:
        shutil.copy(articles_path(name), folder / f"{name}.jsonl")
    files = sorted(str(p) for p in folder.iterdir())
    plain_json = tmp / "plain.json"
    plain_s, _ = _wall([sys.executable, "-m", "bench.ingest_speed", "--side", "plain", "--files", *files,
                        "--json-out", str(plain_json)])
    plain_cpu = CPU["last"]
    import json

    plain = json.loads(plain_json.read_text())
    ours_s, summary = _wall(_cli("ingest", str(folder), "--index", str(tmp / "ingest-index")))
    return {"plain_wall_s": plain_s, "ours_wall_s": ours_s, "ratio": plain_s / ours_s, "plain_cpu_s": plain_cpu,
            "ours_cpu_s": CPU["last"], "cpu_ratio": plain_cpu / max(CPU["last"], 1e-9),
            "plain_chunks": sum(d["chunks"] for d in plain["datasets"]), "ours_summary": summary.strip(),
            "datasets": datasets}


def bench_prepare(tmp: Path) -> dict:
    cache = tmp / "clean-cache"
    cache.mkdir()
    wall, table_text = _wall(_cli("models", "--prepare"), env={"ARTICLEQA_CACHE": str(cache)})
    return {"wall_s": wall, "cpu_s": CPU["last"], "table": table_text.strip()}


def bench_gpu() -> dict:
    from articleqa.models.device import torch_sees_cuda

    if not torch_sees_cuda():
        return {"skipped": "no CUDA GPU on this machine"}
    from articleqa.models.embedder import embed_passages, load_embedder
    from articleqa.settings import load_settings

    settings = load_settings(**{"models.device": "cuda", "models.embed_backend": "torch"})
    model = load_embedder(settings)
    texts = []
    for name in DATASETS:
        import json

        for line in articles_path(name).read_text(encoding="utf-8").splitlines():
            text = json.loads(line)["text"]
            texts += [text[i : i + 600] for i in range(0, len(text), 500)]
    embed_passages(model, texts[:512], batch_size=settings.models.gpu_batch_size)  # warm-up, CUDA kernels
    t = time.monotonic()
    embed_passages(model, texts, batch_size=settings.models.gpu_batch_size)
    sec = time.monotonic() - t
    return {"chunks": len(texts), "seconds": sec, "chunks_per_s": len(texts) / sec,
            "batch_size": settings.models.gpu_batch_size}


def render(res: dict) -> str:
    lines = []
    if "ask" in res:
        a = res["ask"]
        modes = [m for m in ("extractive", "llm", "extractive, torch backend") if m in a]
        rows = [[m, a[m]["p50"], " ".join(f"{x:.1f}" for x in a[m]["runs"]), a[m]["cpu_p50"]] for m in modes]
        lines.append(table(["`articleqa ask` mode", "p50 wall s (cold process)", "runs", "p50 CPU s"], rows))
    if "ingest" in res:
        i = res["ingest"]
        lines.append(f"- ingest of the {'/'.join(i['datasets'])} dev articles, wall time of a fresh process: plain LangChain "
                     f"{i['plain_wall_s']:.1f} s ({i['plain_chunks']} chunks), `articleqa ingest` "
                     f"{i['ours_wall_s']:.1f} s: **x{i['ratio']:.2f}** (CPU seconds {i['plain_cpu_s']:.0f} vs "
                     f"{i['ours_cpu_s']:.0f}: x{i['cpu_ratio']:.2f}). {i['ours_summary']}")
    if "prepare" in res:
        lines.append(f"- `articleqa models --prepare` from an empty cache: {res['prepare']['wall_s']:.1f} s wall, "
                     f"{res['prepare']['cpu_s']:.1f} s CPU")
    if "gpu" in res:
        g = res["gpu"]
        lines.append(f"- GPU embedding: {g['skipped']}" if "skipped" in g else
                     f"- GPU embedding (torch fp16, batch {g['batch_size']}): {g['chunks_per_s']:.0f} chunks/s "
                     f"over {g['chunks']} chunks")
    m = res["machine"]
    lines.append(f"- machine: {m['cpu']}, {m['cores']} cores, load average {m['load_avg'][0]:.1f} at the start")
    return "\n\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="+", choices=["ask", "ingest", "prepare", "gpu"],
                    default=["ask", "ingest", "prepare", "gpu"])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--datasets", nargs="+", default=DATASETS, choices=DATASETS, help="dev sets for the ingest step")
    ap.add_argument("--quick", action="store_true", help="3 runs per ask mode")
    ap.add_argument("--json-out", default=None)
    args = ap.parse_args(argv)
    res: dict = {"machine": machine()}
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        steps = {"ask": lambda: bench_ask(3 if args.quick else args.runs, Path(tmp)),
                 "ingest": lambda: bench_ingest(Path(tmp), args.datasets), "prepare": lambda: bench_prepare(Path(tmp)),
                 "gpu": bench_gpu}
        for key in args.only:
            res[key] = steps[key]()
            write_json(args.json_out, res)
    return publish(res, render, args.json_out)


if __name__ == "__main__":
    sys.exit(main())
