"""Answer quality on a held-out sample: the figures of docs/results.md (a benchmark).

    python -m bench.answer_quality drcd --mode llm --n 40 --out docs/eval-reports/answers-drcd-llm

The questions any earlier choice was tuned on are left out before sampling: the first llm sample
(docs/decisions/answers-before-round-3.md: ``select(drcd, sample=100, seed=0)``, which picked ``answer.quote_over_model_refusal``) and the reader probe's
samples (``random.Random(3)``: 30 DRCD then 20 SQuAD questions, which chose the short-answer design). Near-miss
sets use their reporting split (bench/answerability.py): all of cmrc2018-nearmiss, squad2's articles 5-9.
Then ``--n`` questions are drawn with ``--seed`` (default 1). Writes report.json/.md/.html into ``--out``.

Choosing a setting is done on the tuned-on questions instead, never on a held-out sample:

    python -m bench.answer_quality drcd --tuning --set answer.evidence_sentences=3 --out /tmp/tune-drcd-3

``--beyond N`` draws from what the reported sample of N (seed 1) left of the pool: questions no earlier run read,
for a second, paired look at a change (run it with and without ``--set``, then ``python -m eval.compare A
--baseline B``).
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from bench.common import indexable_copy

DATA = {
    "drcd": ("eval/datasets/drcd", None),
    "cmrc2018": ("eval/datasets/cmrc2018", None),
    "squad1": ("eval/datasets/squad1", None),
    "seed": ("eval/datasets/seed", None),
    # from ../shared/eval, with the articles the near-miss sets emptied left out (bench.common.indexable_copy)
    "squad2": ("shared:squad2", "report"),
    "drcd-nearmiss": ("shared:drcd-nearmiss", None),
    "cmrc2018-nearmiss": ("shared:cmrc2018-nearmiss", None),
    # issue 24: English questions over Chinese articles and the reverse, in one mixed corpus; --half picks a half
    "mlqa-xl": ("shared:mlqa-xl", None),
}


def _folder(name: str) -> Path:
    where = DATA[name][0]
    return indexable_copy(where.split(":", 1)[1]) if where.startswith("shared:") else Path(where)


def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def tuning_questions() -> tuple[list[dict], list[dict]]:
    """(DRCD, SQuAD) dev questions earlier choices were tuned on: the first llm sample
    (``select(drcd, 100, seed 0)``) and the reader probe's (``random.Random(3)``: 30 DRCD, then 20 SQuAD); the
    DRCD list holds each question once (124)."""
    from eval.harness import select

    drcd = _lines(Path("eval/datasets/drcd/questions.jsonl"))
    squad = _lines(Path("eval/datasets/squad1/questions.jsonl"))
    first = select(drcd, sample=100, seed=0)
    rng = random.Random(3)
    probe_drcd, probe_squad = rng.sample(drcd, 30), rng.sample(squad, 20)
    seen = {q["id"] for q in first}
    return first + [q for q in probe_drcd if q["id"] not in seen], probe_squad


def tuned_ids() -> set[str]:
    drcd, squad = tuning_questions()
    out = {q["id"] for q in drcd + squad}
    # the gates were tuned on drcd-nearmiss, built from the same DRCD dev questions
    nearmiss = _folder("drcd-nearmiss") / "questions.jsonl"
    if nearmiss.exists():
        out |= {q["id"] for q in _lines(nearmiss)}
    return out


def mlqa_half(questions: list[dict], half: str) -> list[dict]:
    """mlqa-xl's halves (by a hash of the question id, so both directions are split alike): "tuning" (the refusal
    floors answer.min_dense_score_en_zh / _zh_en are calibrated on it), "report" (the figures quoted), or "all"."""
    from eval.datasets import hash_half

    if half == "all":
        return questions
    want = 0 if half == "tuning" else 1
    return [q for q in questions if hash_half(q["id"]) == want]


def held_out(name: str, folder: Path, split: str | None) -> list[dict]:
    from eval.reader import TRAINED_ON_TITLES

    tuned = tuned_ids() if name in ("drcd", "squad1") else set()
    qs = [q for q in _lines(folder / "questions.jsonl") if q["id"] not in tuned]
    if name == "squad1":  # the span reader was trained on these articles' SQuAD 2.0 paragraphs
        trained = {"squad1-" + t.replace(" ", "_") for t in TRAINED_ON_TITLES}
        qs = [q for q in qs if q["article_id"] not in trained]
    if split == "report":
        order = {a["id"]: i for i, a in enumerate(_lines(folder / "articles.jsonl"))}
        qs = [q for q in qs if order.get(q["article_id"], 0) >= 4]
    return qs


def _overrides(pairs: list[str]) -> dict:
    out = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise SystemExit(f"--set {pair!r}: expected KEY=VALUE, e.g. answer.evidence_sentences=3")
        try:
            out[key] = json.loads(raw)
        except ValueError:
            out[key] = raw
    return out


def _tuning_set(name: str) -> list[dict]:
    drcd, squad = tuning_questions()
    sets = {"drcd": drcd, "squad1": squad}
    if name not in sets:
        raise SystemExit(f"--tuning: only drcd and squad1 have tuning questions, not {name}")
    return sets[name]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dataset", choices=sorted(DATA))
    p.add_argument("--mode", choices=["llm", "extractive"], default="llm")
    p.add_argument("--n", type=int, default=None)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--tuning", action="store_true",
                   help="the tuned-on questions (drcd, squad1: tuning_questions()) instead of a held-out sample")
    p.add_argument("--beyond", type=int, default=None, metavar="N",
                   help="leave out the held-out sample of N (seed 1) before drawing --n with --seed")
    p.add_argument("--half", choices=["all", "tuning", "report"], default="all",
                   help="mlqa-xl only: which half of the questions (mlqa_half)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a settings override, e.g. answer.evidence_sentences=3 (repeatable)")
    args = p.parse_args(argv)
    from articleqa.settings import load_settings
    from eval.harness import evaluate, select
    from eval.index import ensure_index
    from qa import Assistant

    folder, split = _folder(args.dataset), DATA[args.dataset][1]
    over = {"answer.mode": args.mode, "models.n_threads": args.threads, **_overrides(args.set)}
    settings = load_settings().with_overrides(over)
    arts = sorted(folder.glob("*.txt")) if args.dataset == "seed" else [folder / "articles.jsonl"]
    if args.tuning:
        chosen = _tuning_set(args.dataset)
        notes = [f"TUNING questions ({len(chosen)}, tuning_questions()), not held out; overrides {args.set}"]
    else:
        qs = held_out(args.dataset, folder, split)
        if args.dataset == "mlqa-xl":
            qs = mlqa_half(qs, args.half)
        beyond = ""
        if args.beyond:
            reported = {q["id"] for q in select(qs, sample=args.beyond, seed=1)}
            qs = [q for q in qs if q["id"] not in reported]
            beyond = f"; the reported sample of {args.beyond} (seed 1) left out"
        chosen = select(qs, sample=args.n, seed=args.seed)
        notes = [f"held-out pool: {len(qs)} questions (tuned-on ones removed{'; reporting split' if split else ''}"
                 f"{beyond}); sample n={len(chosen)} seed={args.seed}"
                 + (f"; mlqa-xl half: {args.half}" if args.dataset == "mlqa-xl" else "")]
    with Assistant.open(ensure_index(arts, settings), settings) as a:
        report = evaluate(chosen, a, mode=args.mode, dataset=args.dataset, settings=settings, notes=notes,
                          progress=False, out_dir=args.out)
    print(json.dumps({k: v.get("value") for k, v in report.metrics.items()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
