"""Refusal across languages on ../shared/eval/mlqa-xl/dev (every question answerable): how many does the chain
refuse, and which per-language-pair cosine floors (``answer.min_dense_score_en_zh`` / ``_zh_en``) keep that low.

    nice -n 19 .venv/bin/python bench/cross_lingual_refusal.py --json out.json

Asks each mlqa-xl question whose translation is cached (bench/cross_lingual.py --warm fills the cache; a random
sample of each direction) through `Assistant.ask` in extractive mode over the bench's mlqa-xl index, so that every
refusal comes from the gates (qa/chain.py `_gate`), not from the model. Reports per direction: refused, the gate that
refused (its note), gold passage cited, and, for the floors, the share that `weak_evidence_by_pair` would refuse at
each candidate floor (recomputed from the recorded passages).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from articleqa.settings import load_settings
from bench.cross_lingual import Counting, _sets
from bench.retrieval_table import gold_for, index_for


def ask_all(settings, sets: dict[str, list[dict]]) -> dict[str, list[dict]]:
    from qa import Assistant

    cache = settings.cache_dir / "bench" / "retrieval"
    store, index_dir = index_for("mlqa-xl", settings, cache)
    store.close()
    counter = Counting(settings, cache_only=True)
    out: dict[str, list[dict]] = {}
    with Assistant.open(index_dir, settings) as assistant:
        assistant.retriever.translator = lambda: counter
        texts = {a["id"]: assistant.article(a["id"]).text for a in assistant.list_articles()}
        for name, qs in sets.items():
            rows = []
            for q in qs:
                gold = gold_for(q, texts.get(q["article_id"], ""))
                a = assistant.ask(q["question"], mode="extractive")
                cited = any(c.article_id == q["article_id"] and gold is not None and c.start < gold.end
                            and gold.start < c.end for c in a.citations)
                rows.append({"id": q["id"], "refused": a.refused, "notes": a.notes, "cited_gold": cited,
                             "passages": [(p.lang, bool(p.search_query), p.dense_score) for p in a.passages]})
                print(f"[{name}] refused={a.refused} cited_gold={cited} {q['question'][:60]!r} {a.notes[-1:]}",
                      file=sys.stderr, flush=True)
            out[name] = rows
    return out


def floor_table(rows: dict[str, list[dict]], floors=(0.70, 0.75, 0.78, 0.80, 0.82, 0.85)) -> list[str]:
    """Share of each direction with no passage found through a translation at or above the floor (questions with no
    translated passage at all, because the same-language check kept the plain ranking or the translation failed,
    count at every floor: the table's first row)."""
    lines = ["| floor | " + " | ".join(rows) + " |", "|---" * (len(rows) + 1) + "|"]
    for f in floors:
        cells = []
        for name, rs in rows.items():
            weak = sum(not any(t and (d or 0) >= f for _, t, d in r["passages"]) for r in rs)
            cells.append(f"{weak / max(len(rs), 1):.3f}")
        lines.append(f"| {f:.2f} | " + " | ".join(cells) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    settings = load_settings()
    sets = {k: v for k, v in _sets(0, 0, args.seed).items() if "->" in k and "(" not in k}
    counter = Counting(settings, cache_only=True)
    for name in sets:
        target = "zh" if name == "en->zh" else "en"
        sets[name] = [q for q in sets[name] if counter.inner.cached(q["question"], target) is not None]
    rows = ask_all(settings, sets)
    print("questions: " + ", ".join(f"{k} {len(v)}" for k, v in rows.items()))
    print("\n| direction | refused | cited gold | refusal notes |\n|---|---|---|---|")
    for name, rs in rows.items():
        n = max(len(rs), 1)
        notes: dict[str, int] = {}
        for r in rs:
            if r["refused"]:
                key = (r["notes"][-1] if r["notes"] else "?")[:50]
                notes[key] = notes.get(key, 0) + 1
        print(f"| {name} | {sum(r['refused'] for r in rs) / n:.3f} | {sum(r['cited_gold'] for r in rs) / n:.3f} | "
              f"{notes} |")
    print("\nno passage found through a translation at or above the floor (share of questions):")
    print("\n".join(floor_table(rows)))
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
