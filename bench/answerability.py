"""Answerability gates: tune on one split, report on another (a benchmark, not a test).

    python -m bench.answerability --out docs/eval-reports/answerability.json

Splits (written down here and in docs/evaluation.md):
- tuning: `drcd-nearmiss/dev` (all questions) and `squad2/dev` questions about its first 4 articles (file order);
- reporting: `cmrc2018-nearmiss/dev` (all) and `squad2/dev` questions about its other 5 articles.

For every question the features the extractive-mode gates use are computed once (retrieval + scoring only, no
generation), then each gate setting is applied to them: refusal rate on unanswerable and on answerable questions.
The setting picked maximises unanswerable refused on the tuning split with answerable refused <= 0.10.
"""
from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

from bench.common import indexable_copy

SETS = {"drcd-nearmiss": "drcd-nearmiss", "cmrc2018-nearmiss": "cmrc2018-nearmiss", "squad2": "squad2"}
GRID = {
    "min_lexical_overlap": [0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5],  # Chinese questions
    "min_lexical_overlap_en": [0.15, 0.2, 0.25, 0.3],
    "figure_gate": [False, True],
    "figure_gate_share": [0.5, 0.6, 0.8],
    "figure_gate_neighbours": [False, True],
    "min_dense_score": [0.85],  # kept at its off-topic calibration (bench/refusal_calibration.py)
    "min_dense_score_en": [0.85, 0.84, 0.83, 0.82],  # English questions over English passages
    "min_question_coverage": [0.0, 0.5, 0.6, 0.7, 0.8, 0.9],
}


def _sample(qs: list[dict], order: dict[str, int], name: str, n: int | None) -> list[dict]:
    """Up to ``n`` questions per split (random.Random(0)), in file order."""
    import random

    if n is None:
        return qs
    out: list[dict] = []
    for split in ("tune", "report"):
        part = [q for q in qs if _split(name, order, q) == split]
        if len(part) > n:
            keep = set(random.Random(0).sample(range(len(part)), n))
            part = [q for i, q in enumerate(part) if i in keep]
        out += part
    return out


def _split(name: str, order: dict[str, int], q: dict) -> str:
    if name == "drcd-nearmiss" or (name == "squad2" and order.get(q["article_id"], 0) < 4):
        return "tune"
    return "report"


def features(name: str, root: Path | None, settings, sample: int | None = None) -> list[dict]:
    from eval.index import ensure_index
    from qa import Assistant
    from qa.extractive import lexical_support, order_for_context, question_coverage
    from qa.refusal import best_dense_score, cross_lingual, missing_question_figures

    folder = root / SETS[name] if root is not None else indexable_copy(SETS[name])
    articles = [json.loads(x) for x in (folder / "articles.jsonl").read_text(encoding="utf-8").splitlines() if x]
    order = {a["id"]: i for i, a in enumerate(articles)}
    qs = [json.loads(x) for x in (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines() if x]
    qs = _sample(qs, order, name, sample)
    a = Assistant.open(ensure_index([folder / "articles.jsonl"], settings), settings)
    n_ctx = settings.answer.context_passages
    out = []
    for q in qs:
        text = q["question"]
        ps = order_for_context(text, a.retrieve(text, max(settings.retrieval.top_k, 2 * n_ctx)), n_ctx)
        given = ps[:n_ctx]
        split = _split(name, order, q)
        out.append({"id": q["id"], "set": name, "split": split, "answerable": bool(q.get("answerable", True)),
                    "question": text, "dense": best_dense_score(ps) or 0.0, "cross": cross_lingual(text, ps),
                    "lex": lexical_support(text, given), "cov": question_coverage(text, given), "missing_named": bool(missing_question_figures(text, ps)),
                    "given": [p.chunk.text for p in given], "passages": ps})
    a.close()
    return out


def cached_features(name: str, root: Path | None, settings, cache: Path | None, sample: int | None = None) -> list[dict]:
    import pickle

    path = cache / f"features-{name}.pkl" if cache else None
    if path is not None and path.exists():
        return pickle.loads(path.read_bytes())
    rows = features(name, root, settings, sample)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(rows))
    return rows


def figure_flags(rows: list[dict], settings) -> None:
    """The figure gate's verdict per row for every share in the grid (computed once: it scores sentences)."""
    from qa.refusal import missing_asked_figure

    for share, near in itertools.product(GRID["figure_gate_share"], GRID["figure_gate_neighbours"]):
        s = settings.with_overrides({"answer.figure_gate": True, "answer.figure_gate_share": share,
                                     "answer.figure_gate_neighbours": near})
        for f in rows:
            f.setdefault("fig", {})[(share, near)] = missing_asked_figure(
                f["question"], f["passages"][: settings.answer.context_passages], s)


def refused(f: dict, cfg: dict, settings) -> bool:
    from articleqa.text import has_cjk

    a = settings.answer
    dense_floor = cfg["min_dense_score_en"] if not has_cjk(f["question"]) else cfg["min_dense_score"]
    if not f["cross"] and f["dense"] < dense_floor:
        if f["dense"] < a.min_dense_score_cross_lingual or f["lex"] < a.quote_over_model_refusal:
            return True
    lex_floor = cfg["min_lexical_overlap_en"] if not has_cjk(f["question"]) else cfg["min_lexical_overlap"]
    if not f["cross"] and (f["lex"] < lex_floor or f["cov"] < cfg["min_question_coverage"]):
        return True
    if f["missing_named"]:
        return True
    return bool(cfg["figure_gate"] and f["fig"][(cfg["figure_gate_share"], cfg["figure_gate_neighbours"])])


def rates(rows: list[dict], cfg: dict, settings) -> dict:
    un = [refused(f, cfg, settings) for f in rows if not f["answerable"]]
    an = [refused(f, cfg, settings) for f in rows if f["answerable"]]
    return {"unanswerable_refused": sum(un) / max(1, len(un)), "answerable_refused": sum(an) / max(1, len(an)),
            "n_unanswerable": len(un), "n_answerable": len(an)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=None,
                   help="a folder with <set>/articles.jsonl and questions.jsonl (default: ../shared/eval, empty articles left out)")
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--cache", type=Path, default=None, help="keep each set's features here (pickle), reuse them")
    p.add_argument("--sample", type=int, default=None, help="at most N questions per set and split")
    p.add_argument("--only", default=None, help="compute the features of this one set and stop")
    args = p.parse_args(argv)
    from articleqa.settings import load_settings

    settings = load_settings()
    if args.only:
        cached_features(args.only, args.data, settings, args.cache, args.sample)
        return 0
    rows = [f for name in SETS for f in cached_features(name, args.data, settings, args.cache, args.sample)]
    figure_flags(rows, settings)
    tune = [f for f in rows if f["split"] == "tune"]
    best = None
    for values in itertools.product(*GRID.values()):
        cfg = dict(zip(GRID, values))
        if not cfg["figure_gate"] and (cfg["figure_gate_share"], cfg["figure_gate_neighbours"]) != (
                GRID["figure_gate_share"][0], GRID["figure_gate_neighbours"][0]):
            continue
        r = rates(tune, cfg, settings)
        key = (r["answerable_refused"] <= 0.10, r["unanswerable_refused"] - r["answerable_refused"])
        if best is None or key > best[0]:
            best = (key, cfg, r)
    _, cfg, r_tune = best
    current = {k: getattr(settings.answer, k) for k in GRID}
    result = {"picked": cfg, "current_settings": current, "tune": r_tune, "report": {}}
    for name in SETS:
        for split in ("tune", "report"):
            part = [f for f in rows if f["set"] == name and f["split"] == split]
            if part:
                result["report"][f"{name}/{split}"] = {"picked": rates(part, cfg, settings),
                                                       "current": rates(part, current, settings)}
    print(json.dumps(result, indent=1, ensure_ascii=False))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
