"""What each refusal check sees for cross-lingual questions in the mixed mlqa-xl corpus (a benchmark, not a test):
answerable mlqa-xl questions (one half) and questions about articles the corpus lacks (SQuAD 2.0 English,
CMRC 2018 Chinese), each run through the answer chain's retrieval, gates and reader once, with every check's
inputs recorded (one JSON line a question), so that candidate refusal rules can be weighed offline
(``simulate``) on the same questions without rerunning the models.

    python -m bench.cross_lingual_gates record --half tuning --seed 7 --n 80 --out /tmp/xl-tuning.jsonl
    python -m bench.cross_lingual_gates simulate /tmp/xl-tuning.jsonl --set reader.min_margin_en_mixed=-2

Extractive mode (the reader decides; no generation). Each record says which check refused under the settings it
ran with (``refused_by``), and per context passage: its language group, whether it was found through the
question's translation, its cosine with the question it was found by and with the untranslated question, the
reader's margin read with that question and with the untranslated one, and the word overlap. ``simulate`` decides
the word-overlap gate and the reader's threshold again through `qa.refusal` itself (the evidence and figure checks
as recorded), for each ``--set``.
"""
from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
from pathlib import Path

from bench.common import EVAL, read_jsonl


def _group(lang: str) -> str:
    return "zh" if (lang or "").startswith("zh") else "en"


def question_sets(half: str, seed: int, n: int, exclude_seed: int | None = None,
                  exclude_n: int = 80) -> list[tuple[str, dict]]:
    """(kind, question) pairs: ("answerable", mlqa-xl half), ("offtopic-en", squad2), ("offtopic-zh", cmrc2018):
    ``n`` of each off-topic set drawn with ``seed``, after leaving out the ``exclude_n`` that ``exclude_seed``
    draws."""
    from bench.answer_quality import mlqa_half
    from bench.offtopic_answers import off_topic_questions

    articles = EVAL / "mlqa-xl" / "dev" / "articles.jsonl"
    titles = {a.get("title", "") for a in read_jsonl(articles)}
    out = [("answerable", q) for q in mlqa_half(read_jsonl(EVAL / "mlqa-xl" / "dev" / "questions.jsonl"), half)]
    off: list[list[tuple[str, dict]]] = []
    for kind, name in (("offtopic-en", "squad2"), ("offtopic-zh", "cmrc2018")):
        pool = off_topic_questions(name, titles)
        if exclude_seed is not None:
            tuned = {q["id"] for q in random.Random(exclude_seed).sample(pool, min(exclude_n, len(pool)))}
            pool = [q for q in pool if q["id"] not in tuned]
        off.append([(kind, q) for q in random.Random(seed).sample(pool, min(n, len(pool)))])
    # the two off-topic sets alternate, so that a run cut short has some of each
    return out + [x for pair in itertools.zip_longest(*off) for x in pair if x is not None]


def record_one(assistant, question: str) -> dict:
    """Run the chain's steps up to reading (reading even when a gate refused) and record each check's inputs."""
    from articleqa.models.embedder import embed_passages, embed_query
    from qa.cross_lingual import passage_group
    from qa.extractive import lexical_support
    from qa.refusal import (missing_asked_figure, missing_question_figures, weak_evidence, weak_overlap)

    ctx = assistant._ctx
    settings = ctx.settings
    steps = dict(assistant._steps.steps)
    s = steps["prepare"]({"question": question, "mode": "extractive"})
    s = steps["rewrite"](s)
    s = steps["retrieve"](s)
    s = steps["gate"](s)
    gate_note, direct = s.refuse, s.direct is not None
    given = s.passages[: settings.answer.context_passages]
    from qa.cross_lingual import gate_question

    same = gate_question(s.standalone, given)
    checks = {
        "weak_evidence": weak_evidence(s.passages, settings, s.standalone),
        "weak_overlap": weak_overlap(same, given, settings),
        "missing_figures": bool(missing_question_figures(s.standalone, s.passages)),
        "missing_asked_figure": missing_asked_figure(same, given, settings),
    }
    reader_note, margin, best = None, None, None
    if not direct:
        s.refuse = None
        s = steps["read"](s)
        reader_note = s.refuse
        margin = s.reading.answer_margin if s.reading else None
        best = s.reading.best.passage_index if s.reading and s.reading.best else None
    q_vec = embed_query(ctx.embedder, s.standalone)
    p_vecs = embed_passages(ctx.embedder, [p.chunk.text for p in given]) if given else []
    model = ctx.get_reader().model
    r = settings.reader
    texts = [p.chunk.text for p in given[: r.passages]]
    by_query = model.read([p.search_query or s.standalone for p in given[: r.passages]], texts,
                          max_answer_tokens=r.max_answer_tokens, top_spans=1) if texts else []
    by_original = model.read([s.standalone] * len(texts), texts, max_answer_tokens=r.max_answer_tokens,
                             top_spans=1) if texts else []
    passages = []
    for i, p in enumerate(given):
        row = {
            "group": passage_group(p), "via": p.search_query, "dense": p.dense_score,
            "cos_original": float(q_vec @ p_vecs[i]),
            "overlap": lexical_support(p.search_query or s.standalone, [p], settings.answer),
            "overlap_original": lexical_support(s.standalone, [p], settings.answer),
            "text": p.chunk.text,
        }
        if i < len(by_query):
            row["margin"] = _finite(by_query[i].margin)
            row["margin_original"] = _finite(by_original[i].margin)
            row["span"] = by_query[i].spans[0].text if by_query[i].spans else ""
            row["span_original"] = by_original[i].spans[0].text if by_original[i].spans else ""
        passages.append(row)
    return {
        "question": question, "lang": _group(s.lang), "gate_question": same, "direct": direct,
        "gate_note": gate_note, "reader_note": reader_note, "checks": checks,
        "margin": _finite(margin), "best": best, "passages": passages,
        "found": [{"group": passage_group(p), "via": bool(p.search_query), "dense": p.dense_score}
                  for p in s.passages],
        "lexical_same": lexical_support(same, given, settings.answer) if given else 0.0,
        "refused_by": "direct-answer" if direct else ("gate" if gate_note else ("reader" if reader_note else "")),
    }


def _finite(x):
    return None if x is None or x != x or abs(x) > 1e9 else round(float(x), 3)


def record(args) -> int:
    from articleqa.settings import load_settings
    from bench.answer_quality import _overrides
    from eval.index import ensure_index
    from qa import Assistant

    settings = load_settings().with_overrides({"answer.mode": "extractive", **_overrides(args.set)})
    index = ensure_index([EVAL / "mlqa-xl" / "dev" / "articles.jsonl"], settings)
    qs = question_sets(args.half, args.seed, args.n, args.exclude_seed, args.exclude_n)
    if args.skip_answerable:
        qs = [x for x in qs if x[0] != "answerable"]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with Assistant.open(index, settings) as a, args.out.open("w", encoding="utf-8") as fh:
        for i, (kind, q) in enumerate(qs):
            row = {"kind": kind, "id": q.get("id"), **record_one(a, q["question"])}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            fh.flush()
            if i % 20 == 0:
                print(f"{i}/{len(qs)} {kind} refused_by={row['refused_by']!r}", file=sys.stderr, flush=True)
    return 0


def _passages(rec: dict):
    """(given, found): the recorded context passages as `Passage` objects, and stand-ins for all the passages
    retrieved (only whether each was found through a translation is kept)."""
    from articleqa.types import Chunk, Passage

    def make(i: int, text: str, group: str, via: str, dense) -> Passage:
        return Passage(Chunk(f"r:{i}", "r", i, text, 0, len(text)), score=1.0 - i / 100, dense_score=dense,
                       lang="zh-Hans" if group == "zh" else "en", search_query=via)

    given = [make(i, p["text"], p["group"], p["via"], p["dense"]) for i, p in enumerate(rec["passages"])]
    found = [make(i, "", f["group"], "t" if f["via"] else "", f["dense"]) for i, f in enumerate(rec["found"])]
    return given, found


def decide(rec: dict, settings, before: bool = False) -> str:
    """Which check refuses ``rec`` under ``settings`` ("" = answered): the recorded evidence and figure checks
    (not re-decided), the word-overlap gate and the reader's threshold through `RefusalPolicy` itself. ``before``:
    the rules before round eleven (the recorded `qa.refusal.weak_overlap` of the top passage's question, and the
    question language's reader threshold for a same-language passage)."""
    from qa.readers.base import Candidate, Reading
    from qa.refusal import RefusalPolicy, weak_words

    if rec["direct"]:
        return ""
    c = rec["checks"]
    given, found = _passages(rec)
    if c["weak_evidence"] or c["missing_figures"] or c["missing_asked_figure"]:
        return "gate"
    if c["weak_overlap"] if before else weak_words(rec["question"], rec["gate_question"], found, given, settings):
        return "overlap"
    if before:
        settings = settings.with_overrides({"reader.min_margin_en_mixed": settings.reader.min_margin_en,
                                            "reader.min_margin_zh_mixed": settings.reader.min_margin})
    best = rec["best"]
    margin = rec["margin"] if rec["margin"] is not None else -1e10
    reading = Reading("span", [Candidate("", best, 0, 0, 0.0)] if best is not None else [], margin)
    return "reader" if RefusalPolicy(settings).after_reading(reading, rec["lang"], given, found) else ""


def simulate(args) -> int:
    from articleqa.settings import load_settings
    from bench.answer_quality import _overrides

    rows = read_jsonl(args.records)
    groups = [(kind, lang) for kind in ("answerable", "offtopic-en", "offtopic-zh") for lang in ("en", "zh")]
    out = []
    for kind, lang in groups:
        sub = [r for r in rows if r["kind"] == kind and r["lang"] == lang]
        if sub:
            n = sum(bool(r["refused_by"]) for r in sub)
            out.append(f"{kind} {lang} refused {n}/{len(sub)} = {n / len(sub):.3f}")
    print("as recorded (the code and settings of the recording run): " + "; ".join(out), flush=True)
    for override, before in [("", True)] + [(o, False) for o in args.set or [""]]:
        settings = load_settings().with_overrides(_overrides([override]) if override else {})
        out = []
        for kind, lang in groups:
            sub = [r for r in rows if r["kind"] == kind and r["lang"] == lang]
            if sub:
                n = sum(bool(decide(r, settings, before)) for r in sub)
                out.append(f"{kind} {lang} refused {n}/{len(sub)} = {n / len(sub):.3f}")
        name = "before round eleven" if before else (override or "defaults")
        print(f"{name}: " + "; ".join(out), flush=True)
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("--half", choices=["tuning", "report", "all"], default="tuning")
    r.add_argument("--seed", type=int, default=7)
    r.add_argument("--n", type=int, default=80)
    r.add_argument("--exclude-seed", type=int, default=None,
                   help="leave out the off-topic questions this seed draws (the tuning run's)")
    r.add_argument("--exclude-n", type=int, default=80, help="... this many of them (the tuning run's --n)")
    r.add_argument("--skip-answerable", action="store_true", help="only the off-topic questions")
    r.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    r.add_argument("--out", type=Path, required=True)
    s = sub.add_parser("simulate")
    s.add_argument("records", type=Path)
    s.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="one settings override per line of figures (repeatable; none: the defaults)")
    args = p.parse_args(argv)
    return record(args) if args.cmd == "record" else simulate(args)


if __name__ == "__main__":
    sys.exit(main())
