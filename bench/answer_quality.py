"""Answer quality on the dev sets (a benchmark, not a test; slow: 5-10 s a question on 2 cores).

    python bench/answer_quality.py --calibrate            # top-1 dense cosine: DRCD dev vs CMRC 2018 dev on DRCD
    python bench/answer_quality.py --drcd 100 --cmrc 50   # llm mode: F1, gold-paragraph citations, refusals

Indexes are built once under --work (DRCD dev; the seed article) through ``ingest.ingest_paths``.
Scoring as CMRC 2018's script: characters after removing punctuation and white space, best over the gold answers,
after converting both sides to Simplified script.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import string
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

EVAL = Path("/work/shared/eval")
if not EVAL.exists():
    EVAL = Path(os.environ.get("ARTICLEQA_EVAL_DATA", "eval/data"))

_PUNCT = set(string.punctuation) | set("，。、；：？！“”‘’「」『』（）《》〈〉【】—…·～｜〔〕﹑,.;:?!()[]{}<>-_/\\'\"")


def _load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _chars(text: str) -> list[str]:
    from articleqa.text import fold_width, to_simplified

    t = to_simplified(fold_width(text)).lower()
    return [c for c in t if not c.isspace() and c not in _PUNCT]


def char_f1(prediction: str, golds: list[str]) -> float:
    from qa.citations import strip_markers

    pred = _chars(strip_markers(prediction))
    best = 0.0
    for g in golds:
        gold = _chars(g)
        common = Counter(pred) & Counter(gold)
        same = sum(common.values())
        if not same:
            continue
        p, r = same / len(pred), same / len(gold)
        best = max(best, 2 * p * r / (p + r))
    return best


def ensure_index(index_dir: Path, source: Path, settings) -> Path:
    from ingest import ingest_paths

    if not (index_dir / "store.sqlite").exists():
        t = time.time()
        report = ingest_paths([source], index_dir=index_dir, settings=settings)
        print(f"indexed {source} -> {index_dir}: {report.total_chunks} chunks in {time.time() - t:.0f}s", flush=True)
    return index_dir


def _pct(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(q * (len(v) - 1)))))]


def _summary(name: str, values: list[float]) -> str:
    return (f"{name:<34} n={len(values):<4} min={min(values):.3f} p5={_pct(values, .05):.3f} "
            f"p10={_pct(values, .10):.3f} median={statistics.median(values):.3f} p90={_pct(values, .90):.3f} "
            f"p95={_pct(values, .95):.3f} max={max(values):.3f}")


def calibrate(args, settings) -> dict:
    """Top-1 dense cosine of answerable DRCD dev questions vs CMRC 2018 dev questions against the DRCD index."""
    from articleqa.models.embedder import embed_query, load_embedder
    from articleqa.store import open_store

    drcd_dir = ensure_index(args.work / "drcd_index", EVAL / "drcd/dev/articles.jsonl", settings)
    store = open_store(drcd_dir, settings, read_only=True)
    emb = load_embedder(settings)

    def top1(questions: list[str]) -> list[float]:
        return [store.search(embed_query(emb, q), 1)[0][1] for q in questions]

    drcd_q = _load(EVAL / "drcd/dev/questions.jsonl")
    cmrc_q = _load(EVAL / "cmrc2018/dev/questions.jsonl")
    squad_q = random.Random(0).sample(_load(EVAL / "squad1/dev/questions.jsonl"), 200)
    pos = top1([q["question"] for q in drcd_q])
    neg = top1([q["question"] for q in cmrc_q])
    neg_en = top1([q["question"] for q in squad_q])
    print(_summary("DRCD dev (answerable) on DRCD", pos))
    print(_summary("CMRC 2018 dev (unrelated) on DRCD", neg))
    print(_summary("SQuAD dev sample (English) on DRCD", neg_en))
    rows = []
    for t in [x / 1000 for x in range(780, 900, 5)]:
        kept = sum(v >= t for v in pos) / len(pos)
        refused = sum(v < t for v in neg) / len(neg)
        refused_en = sum(v < t for v in neg_en) / len(neg_en)
        rows.append((t, kept, refused, refused_en))
        print(f"threshold {t:.3f}: answerable kept {kept:.3f}  CMRC refused {refused:.3f}  SQuAD refused {refused_en:.3f}")
    # the second signal: best-sentence lexical overlap of the context passages (same-language questions)
    from qa.extractive import lexical_support, order_for_context
    from qa.refusal import best_dense_score
    from qa.retrieval import HybridRetriever

    retriever = HybridRetriever(store, emb, settings)
    n_ctx = settings.answer.context_passages

    def both(questions: list[str]) -> list[tuple[float, float]]:
        out = []
        for q in questions:
            ps = order_for_context(q, retriever.search(q, 2 * n_ctx), n_ctx)
            out.append((best_dense_score(ps) or 0.0, lexical_support(q, ps[:n_ctx])))
        return out

    pos2 = both([q["question"] for q in random.Random(1).sample(drcd_q, 200)])
    neg2 = both([q["question"] for q in cmrc_q])
    table2 = []
    for dt in (0.84, 0.85, 0.855, 0.86, 0.865):
        for lt in (0.0, 0.15, 0.2, 0.25, 0.3):
            kept = sum(d >= dt and lx >= lt for d, lx in pos2) / len(pos2)
            refused = sum(d < dt or lx < lt for d, lx in neg2) / len(neg2)
            table2.append((dt, lt, kept, refused))
            print(f"dense >= {dt:.3f} and lexical >= {lt:.2f}: DRCD (200) kept {kept:.3f}  CMRC refused {refused:.3f}")
    store.close()
    return {"drcd": pos, "cmrc": neg, "squad": neg_en, "table": rows, "drcd_2d": pos2, "cmrc_2d": neg2,
            "table_2d": table2}


def gold_span(article_text: str, context: str) -> tuple[int, int] | None:
    i = article_text.find(context)
    return (i, i + len(context)) if i >= 0 else None


def run_drcd(args, settings) -> dict:
    from articleqa.types import Answer
    from qa.assistant import Assistant
    from qa.grounding import unsupported_claims

    drcd_dir = ensure_index(args.work / "drcd_index", EVAL / "drcd/dev/articles.jsonl", settings)
    questions = random.Random(0).sample(_load(EVAL / "drcd/dev/questions.jsonl"), args.drcd)
    cmrc = random.Random(0).sample(_load(EVAL / "cmrc2018/dev/questions.jsonl"), args.cmrc)
    out = {"drcd": [], "cmrc": []}
    with Assistant.open(drcd_dir, settings) as a:
        articles = {}
        for i, q in enumerate(questions):
            ans: Answer = a.ask(q["question"], mode=args.mode)
            art = articles.get(q["article_id"]) or a.article(q["article_id"])
            articles[q["article_id"]] = art
            span = gold_span(art.text, q["context"]) if art else None
            cites_gold = any(
                c.article_id == q["article_id"] and span and c.start < span[1] and c.end > span[0]
                for c in ans.citations
            )
            invented = [] if ans.refused else unsupported_claims(ans.text, ans.passages)
            row = {
                "id": q["id"], "question": q["question"], "answers": q["answers"], "text": ans.text,
                "refused": ans.refused, "mode": ans.mode, "f1": 0.0 if ans.refused else char_f1(ans.text, q["answers"]),
                "cites_gold": cites_gold, "invented": invented, "notes": ans.notes, "timings": ans.timings,
                "tokens_in": ans.tokens_in, "tokens_out": ans.tokens_out,
            }
            out["drcd"].append(row)
            print(f"[drcd {i + 1}/{len(questions)}] f1={row['f1']:.2f} gold={cites_gold} refused={ans.refused} "
                  f"mode={ans.mode} t={ans.timings.get('total', 0):.1f}s | {q['question']} -> {ans.text[:60]!r}",
                  flush=True)
        for i, q in enumerate(cmrc):
            ans = a.ask(q["question"], mode=args.mode)
            invented = [] if ans.refused else unsupported_claims(ans.text, ans.passages)
            out["cmrc"].append({"id": q["id"], "question": q["question"], "text": ans.text, "refused": ans.refused,
                                "invented": invented, "notes": ans.notes, "timings": ans.timings})
            print(f"[cmrc {i + 1}/{len(cmrc)}] refused={ans.refused} | {q['question']} -> {ans.text[:50]!r}", flush=True)
    d, c = out["drcd"], out["cmrc"]
    summary = {
        "mode": args.mode,
        "drcd_n": len(d),
        "drcd_char_f1": statistics.mean(r["f1"] for r in d) if d else 0.0,
        "drcd_cites_gold_paragraph": sum(r["cites_gold"] for r in d) / len(d) if d else 0.0,
        "drcd_refused": sum(r["refused"] for r in d) / len(d) if d else 0.0,
        "drcd_extractive_fallbacks": sum(r["mode"] == "extractive" and not r["refused"] for r in d),
        "answers_with_invented_figures": sum(bool(r["invented"]) for r in d + c),
        "cmrc_n": len(c),
        "cmrc_refused": sum(r["refused"] for r in c) / len(c) if c else 0.0,
        "seconds_per_question_median": statistics.median(r["timings"].get("total", 0) for r in d + c) if d + c else 0,
    }
    out["summary"] = summary
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return out


def main(argv: list[str] | None = None) -> int:
    from articleqa.settings import load_settings

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", type=Path, default=Path("/tmp/articleqa-bench"), help="where indexes are built")
    p.add_argument("--calibrate", action="store_true", help="dense-score distributions for min_dense_score")
    p.add_argument("--drcd", type=int, default=100, help="DRCD dev questions (fixed sample, seed 0)")
    p.add_argument("--cmrc", type=int, default=50, help="CMRC 2018 dev questions asked of the DRCD index")
    p.add_argument("--mode", choices=["llm", "extractive"], default="llm")
    p.add_argument("--out", type=Path, default=None, help="write the rows and summary as JSON here")
    args = p.parse_args(argv)
    settings = load_settings()
    args.work.mkdir(parents=True, exist_ok=True)
    result = calibrate(args, settings) if args.calibrate else run_drcd(args, settings)
    if args.out:
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
