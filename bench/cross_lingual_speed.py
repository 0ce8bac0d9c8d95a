"""Time to first token for a cross-lingual and a same-language question in a mixed corpus (issue 24), as ratios
measured in one run.

    nice -n 19 .venv/bin/python bench/cross_lingual_speed.py --n 8 --json out.json

Over the mlqa-xl dev corpus (English and Chinese articles side by side; the eval index of bench/answer_quality.py),
each question is streamed through `Assistant.stream` in llm mode under each configuration, the configurations
alternating question by question, their order rotated (so a load change hits them alike, and none always follows
another that has just translated the same question, whose whole prompt llama.cpp would then reuse):

* ``off``: ``retrieval.cross_lingual = "off"`` (one pool, no translation: what the answer cost before issue 24);
* ``translate``: the defaults (the question translated when the same-language check lets it through);
* ``translate, as main``: the defaults with this branch's additions off (``cross_lingual_original_weight`` 0,
  ``cross_lingual_candidates`` 0), main's retrieval code path.

Every translation is paid: the translator's memory is emptied before each question and its disk cache is off.
Time to first token = wall seconds from the call to the first streamed token (or to the answer, when none streams).
Questions: the first ``--n`` of each direction (en->zh, zh->en) and ``--n`` same-language controls of each language
(DRCD, SQuAD dev questions whose article is in the corpus), seed 13 as bench/cross_lingual.py draws them.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CONFIGS = {
    "off": {"retrieval.cross_lingual": "off"},
    "translate": {},
    "translate, as main": {"retrieval.cross_lingual_original_weight": 0.0, "retrieval.cross_lingual_candidates": 0},
}


PRIMER = "What is this about?"


def first_token_s(assistant, question: str) -> tuple[float, bool, float]:
    """Seconds to the first streamed token (or the answer), whether a translation was searched with, and the
    retrieval step's seconds (translation included: the part cross-lingual retrieval adds to)."""
    t0 = time.perf_counter()
    first = None
    answer = None
    for item in assistant.stream(question, mode="llm"):
        if first is None:
            first = time.perf_counter() - t0
        if not isinstance(item, dict):
            answer = item
    translated = bool(answer is not None and any(p.search_query for p in answer.passages))
    retrieve = float((answer.timings or {}).get("retrieve", 0.0)) if answer is not None else 0.0
    return (first if first is not None else time.perf_counter() - t0), translated, retrieve


def run(settings, index_dir: Path, sets: dict[str, list[dict]]) -> dict[str, dict[str, list]]:
    from qa import Assistant
    from qa.retrieval.translate import QueryTranslator

    out: dict[str, dict[str, list]] = {name: {c: [] for c in CONFIGS} for name in sets}
    base = settings.with_overrides({"answer.mode": "llm", "retrieval.translate_cache": False})
    translator = QueryTranslator(base)
    assistants = {c: Assistant.open(index_dir, base.with_overrides(over)) for c, over in CONFIGS.items()}
    try:
        for a in assistants.values():
            a.retriever.translator = lambda: translator
            first_token_s(a, "warm-up: what is this corpus about?")  # loads the models, fills the prompt cache
        order = list(assistants)
        for name, qs in sets.items():
            for i, q in enumerate(qs):
                # rotated per question: the config right after another one translating the same question would
                # find that whole prompt in the translator's KV cache
                for c in order[i % len(order):] + order[: i % len(order)]:
                    a = assistants[c]
                    translator._memory.clear()  # every translation is paid ...
                    translator.translate(PRIMER, "zh")  # ... and its KV cache holds the prompt head, not this question
                    translator._memory.clear()
                    s, translated, retrieve = first_token_s(a, q["question"])
                    out[name][c].append((s, translated, retrieve))
                    print(f"[{name}] {c}: {s:.2f}s retrieve {retrieve:.2f}s translated={translated} "
                          f"{q['question'][:50]!r}",
                          file=sys.stderr, flush=True)
    finally:
        for a in assistants.values():
            a.close()
    return out


def summary(rows: dict[str, dict[str, list]]) -> list[str]:
    """p50 time to first token per set and configuration, and the p50 of the per-question differences and ratios
    against ``off``."""
    lines = [("| questions | config | TTFT p50 s | p50 of (config - off) s | p50 of config / off | retrieval p50 s "
              "| p50 of retrieval (config - off) s | translated |"), "|---|---|---|---|---|---|---|---|"]
    for name, by in rows.items():
        off = [v[0] for v in by["off"]]
        off_r = [v[2] for v in by["off"]]
        for c, vals in by.items():
            secs, ret = [v[0] for v in vals], [v[2] for v in vals]
            if not secs:
                continue
            diffs = [a - b for a, b in zip(secs, off)]
            ratios = [a / b for a, b in zip(secs, off) if b > 0]
            rdiffs = [a - b for a, b in zip(ret, off_r)]
            lines.append(f"| {name} | {c} | {statistics.median(secs):.2f} | {statistics.median(diffs):+.2f} | "
                         f"{statistics.median(ratios):.2f} | {statistics.median(ret):.2f} | "
                         f"{statistics.median(rdiffs):+.2f} | {sum(v[1] for v in vals)}/{len(vals)} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    from articleqa.settings import load_settings
    from bench.answer_quality import _folder
    from bench.common import machine
    from bench.cross_lingual import _sets
    from eval.index import ensure_index

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=8, help="questions per set (en->zh, zh->en, DRCD, SQuAD controls)")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--threads", type=int, default=None, help="llama.cpp threads")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    settings = load_settings(**{"models.n_threads": args.threads})
    index_dir = ensure_index([_folder("mlqa-xl") / "articles.jsonl"], settings)
    sets = {k: v[: args.n] for k, v in _sets(0, args.n, args.seed).items()}
    rows = run(settings, index_dir, sets)
    print(f"machine: {machine()}")
    print("\n".join(summary(rows)))
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
