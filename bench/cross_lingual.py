"""Cross-lingual retrieval on ../shared/eval/mlqa-xl/dev: English questions over Chinese passages and the reverse, in
a corpus that mixes both (plus DRCD and SQuAD articles as same-genre distractors).

    nice -n 19 .venv/bin/python bench/cross_lingual.py                       # every mlqa-xl question, + controls
    nice -n 19 .venv/bin/python bench/cross_lingual.py --sample 100 --controls 100 --json out.json
    nice -n 19 .venv/bin/python bench/cross_lingual.py --warm 0 --threads 1   # translate all 252 into the cache
    nice -n 19 .venv/bin/python bench/cross_lingual.py --misses 20 --json out.json   # + the misses, printed

Each variant runs the real `HybridRetriever.search` (the same code the chain and `articleqa eval` call) with
``retrieval.cross_lingual`` / ``cross_lingual_merge`` overridden, over one ingested index of the mlqa-xl corpus
(cached like bench/retrieval_table.py's). Reported per direction (en->zh: English questions, Chinese passages;
zh->en the reverse) and for same-language control questions in the same mixed corpus (DRCD dev questions on its
Traditional Chinese articles, SQuAD dev questions on its English ones): hit@1, hit@3 (the passages the reader
sees), hit@5, the share of questions translated, and the search time (p50/p90, translation included; the first
pass that translates a question pays the model, later passes read the cache, so "cold" is reported from that first
pass). With ``--mono``, also DRCD / CMRC 2018 / SQuAD dev (one-language corpora) with cross-lingual retrieval off
and on: the rankings must be identical there.

A hit is a retrieved chunk of the gold article overlapping the gold paragraph and holding a gold answer
(bench/retrieval_table.py `is_hit`).
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from articleqa.settings import load_settings
from articleqa.text import normalize_for_match
from bench.retrieval_table import EVAL, _jsonl, gold_for, index_for, is_hit

VARIANTS = {
    "baseline (one pool)": {"retrieval.cross_lingual": "off"},
    "balanced pools, merge by score": {"retrieval.cross_lingual": "balanced", "retrieval.cross_lingual_merge": "score"},
    "balanced pools, interleave": {"retrieval.cross_lingual": "balanced",
                                   "retrieval.cross_lingual_merge": "interleave"},
    "+ translation, merge by score": {"retrieval.cross_lingual": "translate", "retrieval.cross_lingual_merge": "score"},
    "+ translation, interleave": {"retrieval.cross_lingual": "translate",
                                  "retrieval.cross_lingual_merge": "interleave"},
    "+ translation, merge by dense": {"retrieval.cross_lingual": "translate", "retrieval.cross_lingual_merge": "dense"},
    "+ translation, original question blended 0.3": {"retrieval.cross_lingual_original_weight": 0.3},
    "+ translation, original question blended 0.5": {"retrieval.cross_lingual_original_weight": 0.5},
    "+ translation, 100 candidates per pool": {"retrieval.cross_lingual_candidates": 100},
    "+ translation, no same-language check": {"retrieval.cross_lingual": "translate",
                                              "retrieval.same_language_cosine": 1.0,
                                              "retrieval.same_language_cosine_en": 1.0},
}


def _sets(sample: int, controls: int, seed: int) -> dict[str, list[dict]]:
    qs = _jsonl(EVAL / "mlqa-xl" / "dev" / "questions.jsonl")
    arts = {a["id"] for a in _jsonl(EVAL / "mlqa-xl" / "dev" / "articles.jsonl")}
    out = {"en->zh": [q for q in qs if q["pair"] == "context-zh-question-en"],
           "zh->en": [q for q in qs if q["pair"] == "context-en-question-zh"]}
    for name, split in (("zh->zh (DRCD)", "drcd"), ("en->en (SQuAD)", "squad1")):
        out[name] = [q for q in _jsonl(EVAL / split / "dev" / "questions.jsonl") if q["article_id"] in arts]
    rng = random.Random(seed)
    for name, items in out.items():
        n = controls if "(" in name else sample
        if n and n < len(items):
            out[name] = rng.sample(items, n)
    return out


def translation_order(seed: int) -> list[tuple[str, str]]:
    """(question, target group) of every mlqa-xl question, both directions alternating, each in a seeded random
    order: translating them in this order, a partial cache holds a random sample of each direction."""
    sets = _sets(0, 0, seed)
    rng = random.Random(seed)
    en, zh = list(sets["en->zh"]), list(sets["zh->en"])
    rng.shuffle(en)
    rng.shuffle(zh)
    out = []
    for a, b in zip(en, zh):
        out += [(a["question"], "zh"), (b["question"], "en")]
    return out


def warm_translations(settings, seed: int, limit: int, shard: str = "0/1") -> None:
    """Translate the mlqa-xl questions into the disk cache (``--warm``), printing each with its time. ``shard``
    "i/n": this process takes every n-th question from the i-th (several processes share the cache file)."""
    from qa.retrieval.translate import QueryTranslator

    i_shard, n_shard = (int(x) for x in shard.split("/"))
    t = QueryTranslator(settings)
    for i, (q, target) in enumerate(translation_order(seed)[: limit or None]):
        if i % n_shard != i_shard or t.cached(q, target) is not None:
            continue
        t0 = time.perf_counter()
        out = t.translate(q, target)
        print(f"{i}\t{time.perf_counter() - t0:.2f}s\t{q}\t{out}", flush=True)


class Counting:
    """The translator as the bench uses it: counts the questions sent to translation; with ``cache_only``, gives
    cached translations only (``--warm`` fills the cache) and counts the misses."""

    def __init__(self, settings, cache_only: bool) -> None:
        from qa.retrieval.translate import QueryTranslator

        self.inner = QueryTranslator(settings)
        self.cache_only = cache_only
        self.misses = 0
        self.calls = 0

    def translate(self, text: str, target: str) -> str:
        self.calls += 1
        if not self.cache_only:
            return self.inner.translate(text, target)
        hit = self.inner.cached(text, target)
        if hit is None:
            self.misses += 1
            return ""
        return hit


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def run_variant(retriever, questions: list[dict], texts: dict[str, str], counter=None,
                misses: list | None = None) -> dict:
    """hit@1/3/5, share translated and search times of ``questions``; with ``misses``, each question without a hit
    in the top 5 is appended to it (question, translation searched with, gold paragraph and answers, top passages)."""
    h1 = h3 = h5 = translated = n = 0
    times: list[float] = []
    for q in questions:
        gold = gold_for(q, texts.get(q["article_id"], ""))
        if gold is None:
            continue
        n += 1
        t = time.perf_counter()
        calls = counter.calls if counter is not None else 0
        passages = retriever.search(q["question"], 5)
        times.append(time.perf_counter() - t)
        translated += (counter.calls > calls) if counter is not None else any(p.search_query for p in passages)
        first = next((i for i, p in enumerate(passages)
                      if is_hit(p.chunk, gold, normalize_for_match(p.chunk.text))), None)
        if first is not None:
            h1 += first == 0
            h3 += first < 3
            h5 += first < 5
        elif misses is not None:
            misses.append({"id": q["id"], "question": q["question"], "answers": q["answers"],
                           "gold": q["context"][:160], "article": q["article_id"],
                           "translation": next((p.search_query for p in passages if p.search_query), ""),
                           "top": [(p.chunk.article_id, p.lang, round(p.dense_score or 0.0, 3),
                                    p.chunk.text[:80]) for p in passages[:3]],
                           "gold_article_in_top5": any(p.chunk.article_id == q["article_id"] for p in passages)})
    return {"questions": n, "hit@1": h1 / max(n, 1), "hit@3": h3 / max(n, 1), "hit@5": h5 / max(n, 1),
            "translated": translated / max(n, 1), "p50_ms": 1000 * _pct(times, 0.5),
            "p90_ms": 1000 * _pct(times, 0.9)}


def gate_features(retriever, sets: dict[str, list[dict]]) -> dict[str, list[list[tuple[float, float]]]]:
    """Per question, (cosine, keyword overlap) of each plain top-5 passage in the question's language: what the
    same-language check (`same_language_answer`) reads. Cross-lingual questions should fail it, the controls pass."""
    from articleqa.text import detect_lang
    from qa.retrieval.crosslingual import lang_group, question_overlap

    out: dict[str, list[list[tuple[float, float]]]] = {}
    for name, qs in sets.items():
        out[name] = []
        for q in qs:
            g = lang_group(detect_lang(q["question"]))
            mine = [p for p in retriever.search(q["question"], 5) if lang_group(p.lang) == g]
            out[name].append([(p.dense_score or 0.0, question_overlap(q["question"], [p])) for p in mine])
    return out


def gate_table(features: dict[str, list[list[tuple[float, float]]]], cosines=(0.0, 0.80, 0.83, 0.85, 0.87),
               overlaps=(0.2, 0.3, 0.4, 0.5, 0.6)) -> list[str]:
    """Share of each set passing the same-language check, per (zh cosine floor = en floor + 0.02, overlap)."""
    lines = ["| zh cos / en cos / overlap | " + " | ".join(features) + " |", "|---" * (len(features) + 1) + "|"]
    for c in cosines:
        for o in overlaps:
            cells = []
            for name, rows in features.items():
                floor = c if name.startswith("zh") else max(0.0, c - 0.02)
                passed = sum(any(cos >= floor and ov >= o for cos, ov in row) for row in rows)
                cells.append(f"{passed / max(len(rows), 1):.2f}")
            lines.append(f"| {c:.2f} / {max(0.0, c - 0.02):.2f} / {o:.1f} | " + " | ".join(cells) + " |")
    return lines


def mono(settings, cache: Path, sample: int, seed: int) -> dict:
    """One-language corpora: cross-lingual retrieval off vs on must rank identically."""
    from articleqa.models.embedder import load_embedder
    from qa.retrieval import HybridRetriever

    out = {}
    embedder = load_embedder(settings)
    for split in ("drcd", "cmrc2018", "squad1"):
        store, _ = index_for(split, settings, cache)
        texts = {a["id"]: store.get_article(a["id"]).text for a in store.list_articles()}
        qs = _jsonl(EVAL / split / "dev" / "questions.jsonl")
        if sample and sample < len(qs):
            qs = random.Random(seed).sample(qs, sample)
        row = {}
        for name, mode in (("off", "off"), ("translate", "translate")):
            r = HybridRetriever(store, embedder, settings.with_overrides({"retrieval.cross_lingual": mode}))
            row[name] = run_variant(r, qs, texts)
        out[split] = row
        store.close()
    return out


def run_variants(args, settings, store, embedder, texts: dict[str, str], sets: dict[str, list[dict]],
                 counter: Counting) -> dict[str, dict[str, dict]]:
    """Every ``--variants`` variant over every question set; misses printed (``--misses``) and kept."""
    from qa.retrieval import HybridRetriever

    cache_only = counter if args.cached_only else None
    results: dict[str, dict[str, dict]] = {}
    for variant in args.variants:
        r = HybridRetriever(store, embedder, settings.with_overrides(VARIANTS[variant]))
        translates = VARIANTS[variant].get("retrieval.cross_lingual", "translate") == "translate"
        if translates:
            r.translator = lambda: counter
        results[variant] = {}
        for name, qs in sets.items():
            if "no same-language" in variant and "(" in name:
                continue  # the controls would all need new translations; the variant is about mlqa-xl
            misses = cache_only.misses if cache_only is not None else 0
            t = time.time()
            missed = [] if args.misses and "->" in name and "(" not in name else None
            results[variant][name] = run_variant(r, qs, texts, counter, missed)
            if missed:
                results[variant][name]["misses"] = missed
                for m in missed[: args.misses]:
                    print(json.dumps(m, ensure_ascii=False), file=sys.stderr)
            if cache_only is not None and translates:
                results[variant][name]["uncached_translations"] = cache_only.misses - misses
            shown = {k: v for k, v in results[variant][name].items() if k != "misses"}
            print(f"[{variant}] {name}: {json.dumps(shown)} ({time.time() - t:.0f}s)",
                  file=sys.stderr, flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sample", type=int, default=0, help="mlqa-xl questions per direction (0 = all 126)")
    ap.add_argument("--controls", type=int, default=100, help="same-language control questions per language")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    ap.add_argument("--mono", type=int, default=-1, help="also check DRCD/CMRC/SQuAD dev, this many questions each "
                    "(0 = all; -1 = skip)")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--warm", type=int, default=-1, help="only translate this many mlqa-xl questions into the cache "
                    "(0 = all), in the seeded order that makes a partial cache a random sample")
    ap.add_argument("--cached-only", action="store_true", help="mlqa-xl: only the questions whose translation is "
                    "cached; controls: no new translations (a question that would need one is counted, searched "
                    "without it)")
    ap.add_argument("--misses", type=int, default=0, help="print this many mlqa-xl misses per variant and "
                    "direction (all go into --json)")
    ap.add_argument("--gates", action="store_true", help="only print the same-language check's pass rates")
    ap.add_argument("--shard", default="0/1", help="with --warm: i/n, this process's share of the questions")
    ap.add_argument("--threads", type=int, default=None, help="with --warm: llama.cpp threads")
    args = ap.parse_args(argv)
    if args.warm >= 0:
        warm_translations(load_settings(**{"models.n_threads": args.threads}), args.seed, args.warm, args.shard)
        return 0

    from articleqa.models.embedder import load_embedder
    from qa.retrieval import HybridRetriever

    settings = load_settings()
    cache = settings.cache_dir / "bench" / "retrieval"
    cache.mkdir(parents=True, exist_ok=True)
    store, index_dir = index_for("mlqa-xl", settings, cache)
    embedder = load_embedder(settings)
    texts = {a["id"]: store.get_article(a["id"]).text for a in store.list_articles()}
    sets = _sets(args.sample, args.controls, args.seed)
    if args.gates:
        r = HybridRetriever(store, embedder, settings.with_overrides({"retrieval.cross_lingual": "off"}))
        features = gate_features(r, sets)
        print("\n".join(gate_table(features)))
        if args.json:
            args.json.write_text(json.dumps(features))
        return 0
    counter = Counting(settings, args.cached_only)
    cache_only = counter if args.cached_only else None
    if cache_only is not None:
        for name in ("en->zh", "zh->en"):
            target = "zh" if name == "en->zh" else "en"
            sets[name] = [q for q in sets[name] if cache_only.inner.cached(q["question"], target) is not None]
    results = run_variants(args, settings, store, embedder, texts, sets, counter)
    print_tables(results, sets, index_dir)
    out = {"mlqa-xl": results}
    if args.mono >= 0:
        out["mono"] = mono(settings, cache, args.mono, args.seed)
        print("\nmonolingual dev (cross_lingual off vs translate), hit@1 / hit@5:")
        for split, row in out["mono"].items():
            print(f"| {split} | " + " | ".join(f"{k}: {v['hit@1']:.3f} / {v['hit@5']:.3f} (translated "
                                                f"{v['translated']:.2f}, n={v['questions']})"
                                                for k, v in row.items()) + " |")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, ensure_ascii=False))
    store.close()
    return 0


def print_tables(results: dict, sets: dict, index_dir) -> None:
    print(f"mlqa-xl dev, index {index_dir.name}; questions: " + ", ".join(f"{k} {len(v)}" for k, v in sets.items()))
    print("\n| variant | " + " | ".join(f"{k} hit@1 / @3 / @5 (translated)" for k in sets) + " |")
    print("|---" * (len(sets) + 1) + "|")
    for variant, row in results.items():
        cells = [f"{v['hit@1']:.3f} / {v['hit@3']:.3f} / {v['hit@5']:.3f} ({v['translated']:.2f}"
                 + (f", {v['uncached_translations']} uncached" if v.get("uncached_translations") else "") + ")"
                 if v else "-" for v in (row.get(k, {}) for k in sets)]
        print(f"| {variant} | " + " | ".join(cells) + " |")
    print("\nsearch time p50 / p90 ms (translations cold in the first translating variant, cached after)")
    for variant, row in results.items():
        print(f"| {variant} | " + " | ".join(f"{v['p50_ms']:.0f} / {v['p90_ms']:.0f}" if v else "-"
                                            for v in (row.get(k, {}) for k in sets)) + " |")


if __name__ == "__main__":
    sys.exit(main())
