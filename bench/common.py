"""Helpers shared by the benchmark scripts: the machine, child processes with their own peak memory, tables."""
from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Sequence

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
# The development data beside the checkout (../shared/eval), or ARTICLEQA_EVAL_DIR.
EVAL = Path(os.environ.get("ARTICLEQA_EVAL_DIR", ROOT.parent / "shared" / "eval"))
DATASETS = ["drcd", "cmrc2018", "squad1"]
SEED_ARTICLE = EVAL / "seed" / "jdfinance-2018.txt"
SEED_QUESTIONS = EVAL / "seed" / "questions.jsonl"


def articles_path(name: str) -> Path:
    return EVAL / name / "dev" / "articles.jsonl"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def machine() -> dict[str, Any]:
    """CPU model, cores, memory and load: what the numbers were taken on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gib = int(line.split()[1]) / 2**20
                break
    except OSError:
        pass
    flags = ""
    try:
        text = Path("/proc/cpuinfo").read_text()
        have = [f for f in ("avx2", "avx512f", "avx512_vnni", "amx_int8") if f" {f}" in text]
        flags = " ".join(have)
    except OSError:
        pass
    return {
        "cpu": cpu, "cores": os.cpu_count() or 0, "memory_gib": round(mem_gib, 1), "flags": flags,
        "load_avg": tuple(round(x, 2) for x in os.getloadavg()), "python": platform.python_version(),
    }


def peak_rss_mib() -> float:
    """This process's peak resident memory (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_child(module: str, args: Sequence[str], timeout: float, env: dict | None = None) -> dict:
    """Run ``python -m module args... --json-out FILE`` in a fresh process; return the JSON it wrote.

    Each child has its own peak RSS, so the numbers of one side do not include the other's."""
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = Path(fh.name)
    cmd = [sys.executable, "-m", module, *args, "--json-out", str(out)]
    t = time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env={**os.environ, **(env or {})}, timeout=timeout,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if proc.returncode != 0:
            tail = "\n".join(proc.stdout.splitlines()[-25:])
            return {"error": f"{' '.join(cmd[2:4])} exited {proc.returncode}:\n{tail}"}
        data = json.loads(out.read_text())
        data.setdefault("wall_s", time.monotonic() - t)
        return data
    except subprocess.TimeoutExpired:
        return {"error": f"{' '.join(cmd[2:])} timed out after {timeout:.0f}s"}
    finally:
        out.unlink(missing_ok=True)


def write_json(path: str | os.PathLike | None, data: dict) -> None:
    if path:
        Path(path).write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.3g}" if abs(v) < 100 else f"{v:.0f}"
        return str(v)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)


def percentile(values: Sequence[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else float("nan")


def publish(res: dict, render, json_out: str | os.PathLike | None) -> int:
    """Write the raw numbers first (they survive a rendering bug), then render, print and write them again."""
    write_json(json_out, res)
    res["markdown"] = render(res)
    print(res["markdown"])
    write_json(json_out, res)
    return 0


def indexable_copy(name: str) -> Path:
    """``EVAL/<name>/dev`` with the articles that have no text left out (the near-miss sets empty some articles
    entirely, and ingest reports such a line as a failure), copied once under the user's cache."""
    src = EVAL / name / "dev"
    out = Path("~/.cache/articleqa/bench/data").expanduser() / name
    arts = [a for a in read_jsonl(src / "articles.jsonl") if (a.get("text") or "").strip()]
    out.mkdir(parents=True, exist_ok=True)
    (out / "articles.jsonl").write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in arts),
                                        encoding="utf-8")
    (out / "questions.jsonl").write_text((src / "questions.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
    return out
