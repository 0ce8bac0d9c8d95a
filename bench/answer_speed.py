"""Answer speed on the six seed questions: time to first token and total, llm and extractive modes.

    .venv/bin/python -m bench.answer_speed [--quick] [--json-out FILE]

The seed article (``../shared/eval/seed/jdfinance-2018.txt``) is ingested into a fresh index; the questions
are asked through ``qa.Assistant`` (``ask``, which streams from the model internally and records
``timings["first_token"]``). The chat model is loaded before the first question (its load time is reported
apart), so the first question shows a cold KV cache and the later ones what llama.cpp's prompt-prefix reuse saves.

llama.cpp's own counters (``llama_perf_context``, reset before each question) give, per call: prompt tokens
actually evaluated (after prefix reuse), prompt-eval ms, generated tokens and generation ms. The prompt length is
``Llama.n_tokens`` after the call minus the generated tokens, so "reused" = prompt length - evaluated.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from bench.common import SEED_ARTICLE, SEED_QUESTIONS, machine, peak_rss_mib, publish, read_jsonl, table, write_json

MODULE = "bench.answer_speed"
TTFT_TARGET_S = 2.5


def _perf(llama):
    import llama_cpp

    p = llama_cpp.llama_perf_context(llama._ctx.ctx)
    return {"n_p_eval": int(p.n_p_eval), "t_p_eval_ms": float(p.t_p_eval_ms), "n_eval": int(p.n_eval),
            "t_eval_ms": float(p.t_eval_ms)}


def _reset(llama) -> None:
    import llama_cpp

    llama_cpp.llama_perf_context_reset(llama._ctx.ctx)


def run(questions: list[dict], modes: list[str]) -> dict:
    from articleqa.settings import load_settings
    from ingest import ingest_paths
    from qa import Assistant

    settings = load_settings()
    res: dict = {"settings": {"n_threads": settings.models.n_threads, "n_batch": settings.models.n_batch,
                              "n_ctx": settings.models.n_ctx, "max_tokens": settings.models.max_tokens,
                              "context_passages": settings.answer.context_passages}, "answers": []}
    with tempfile.TemporaryDirectory(prefix="bench-answer-") as tmp:
        t = time.monotonic()
        rep = ingest_paths([SEED_ARTICLE], Path(tmp) / "index", settings)
        res["ingest_s"] = time.monotonic() - t
        res["chunks"] = rep.chunks
        t = time.monotonic()
        a = Assistant.open(Path(tmp) / "index", settings)
        res["open_s"] = time.monotonic() - t
        llama = None
        if "llm" in modes:
            t = time.monotonic()
            chat = a.llm
            res["llm_load_s"] = time.monotonic() - t
            llama = getattr(chat, "client", None)
        for mode in modes:
            for i, q in enumerate(questions):
                if llama is not None and mode == "llm":
                    _reset(llama)
                t = time.perf_counter()
                ans = a.ask(q["question"], mode=mode)
                wall = time.perf_counter() - t
                row = {"id": q["id"], "mode": mode, "order": i, "wall_s": wall, "refused": ans.refused,
                       "answer_mode": ans.mode, "timings": dict(ans.timings), "tokens_in": ans.tokens_in,
                       "tokens_out": ans.tokens_out, "text": ans.text[:120]}
                if llama is not None and mode == "llm" and "generate" in ans.timings:  # the model was called
                    p = _perf(llama)
                    row["perf"] = p
                    if p["n_p_eval"] or p["n_eval"]:
                        row["prompt_tokens"] = max(0, int(llama.n_tokens) - p["n_eval"])
                        row["reused_tokens"] = max(0, row["prompt_tokens"] - p["n_p_eval"])
                res["answers"].append(row)
                print(f"[{mode}] {q['id']}: {wall:.1f}s {row['timings']}", file=sys.stderr, flush=True)
        a.close()
    res["peak_rss_mib"] = peak_rss_mib()
    return res


def render(res: dict) -> str:
    if "error" in res:
        return f"- FAILED: {res['error']}"
    rows, notes = [], []
    for r in res["answers"]:
        tm = r["timings"]
        # llama.cpp reports at least 1 evaluated token even when it was not called (a refusal before the model)
        p = (r.get("perf") or {}) if "generate" in r["timings"] else {}
        pe = p.get("n_p_eval", 0)
        ge = p.get("n_eval", 0)
        rows.append([
            r["id"], r["mode"], "refused" if r["refused"] else r["answer_mode"],
            tm.get("retrieve", float("nan")), tm.get("first_token", "-") if r["mode"] == "llm" else "-",
            tm.get("total", r["wall_s"]), r.get("prompt_tokens", "-") if p else "-",
            r.get("reused_tokens", "-") if p else "-", pe or "-",
            f"{pe / (p['t_p_eval_ms'] / 1e3):.0f}" if pe and p.get("t_p_eval_ms") else "-",
            ge or "-", f"{ge / (p['t_eval_ms'] / 1e3):.1f}" if ge and p.get("t_eval_ms") else "-",
        ])
    out = [table(["q", "mode", "outcome", "retrieve s", "first token s", "total s", "prompt tok", "reused tok",
                  "evaluated tok", "prompt tok/s", "generated tok", "gen tok/s"], rows)]
    s = res["settings"]
    notes.append(f"- settings: n_threads={s['n_threads']}, n_batch={s['n_batch']}, n_ctx={s['n_ctx']}, "
                 f"max_tokens={s['max_tokens']}, context passages={s['context_passages']}; chat model load "
                 f"{res.get('llm_load_s', float('nan')):.1f}s; index of {res['chunks']} chunks; peak RSS "
                 f"{res['peak_rss_mib']:.0f} MiB")
    llm = [r for r in res["answers"] if r["mode"] == "llm" and "first_token" in r["timings"]]
    if llm:
        ttft = [r["timings"]["first_token"] for r in llm]
        later = [r["timings"]["first_token"] for r in llm if r["order"] > 0]
        met = [t for t in ttft if t <= TTFT_TARGET_S]
        notes.append(f"- llm first token: first call {llm[0]['timings']['first_token']:.2f}s, later calls "
                     f"median {sorted(later)[len(later) // 2] if later else float('nan'):.2f}s; "
                     f"{len(met)}/{len(ttft)} within the {TTFT_TARGET_S}s target")
        reuse = [(r.get("prompt_tokens"), r.get("reused_tokens")) for r in llm if r.get("prompt_tokens")]
        refused = [r["id"] for r in res["answers"] if r["mode"] == "llm" and "generate" not in r["timings"]]
        if refused:
            notes.append(f"- answered without calling the model (refused on retrieval scores): {', '.join(refused)}")
        if reuse:
            notes.append("- prefix reuse (prompt tokens / reused from the previous call): "
                         + ", ".join(f"{a}/{b}" for a, b in reuse))
        pe = sum((r.get("perf") or {}).get("n_p_eval", 0) for r in llm)
        pt = sum((r.get("perf") or {}).get("t_p_eval_ms", 0) for r in llm) / 1e3
        if pe and pt:
            rate = pe / pt
            notes.append(f"- prompt evaluation {rate:.0f} tokens/s overall: a {TTFT_TARGET_S}s first token allows "
                         f"about {rate * TTFT_TARGET_S * 0.9:.0f} new prompt tokens (minus retrieval time)")
    out.append("\n".join(notes))
    return "\n\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--quick", action="store_true", help="three questions in llm mode")
    ap.add_argument("--modes", nargs="+", default=["extractive", "llm"])
    ap.add_argument("--json-out", default=None)
    args = ap.parse_args(argv)
    qs = read_jsonl(SEED_QUESTIONS)
    if args.child:
        if args.quick:
            qs = qs[:3]
        write_json(args.json_out, run(qs, args.modes))
        return 0
    from bench.common import run_child

    res = run_child(MODULE, ["--child", "--modes", *args.modes] + (["--quick"] if args.quick else []), timeout=1500)
    res["machine"] = machine()
    return publish(res, render, args.json_out)


if __name__ == "__main__":
    sys.exit(main())
