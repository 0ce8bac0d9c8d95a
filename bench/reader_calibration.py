"""The span reader's no-answer threshold (``reader.min_margin``) and llm mode's hand-over margin
(``reader.llm_defer_margin``), read off evaluation runs made with the margin gate open (a benchmark).

    python -m bench.answer_quality drcd-nearmiss --mode extractive --set reader.min_margin=-30 --out /tmp/nm
    python -m eval.reader ../shared/eval/squad2/dev --threshold -30 --out /tmp/r-squad2
    python -m bench.reader_calibration margin /tmp/nm/report.json /tmp/r-squad2/rows.jsonl
    python -m bench.reader_calibration defer --reader /tmp/x/report.json --llm /tmp/l/report.json

``margin``: for each threshold, the share of answerable questions refused and of unanswerable ones refused, as if
``reader.min_margin`` were set to it (a question the gates refused stays refused). ``defer``: for each margin, the
mean F1 and "contains" if llm mode took the reader's span at or above it and the generator's answer below it,
from an extractive run and an llm run over the same questions. Scores come from eval's own matching.
"""
from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from eval.metrics.answer_match import contains_answer, f1

THRESHOLDS = [-4, -2, -1, 0, 1, 2, 3, 4, 5, 6, 8]


def _rows(path: Path) -> list[dict]:
    if path.suffix == ".jsonl":  # eval.reader rows
        rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
        return [dict(r, refused=False, gold={"answers": r["answers"]}, reader_margin=r["margin"],
                     short_answer=r["span"]) for r in rows]
    return json.loads(path.read_text(encoding="utf-8"))["rows"]


def article_half(row: dict) -> str:
    """"tune" or "report": a fixed split of a set's articles (sha1 of the article id), so a threshold is chosen on
    one half of a near-miss set and reported on the other."""
    from eval.datasets import hash_half

    aid = (row.get("gold") or {}).get("article_id") or row.get("article_id") or row["id"]
    return "tune" if hash_half(aid) == 0 else "report"


def _refused_at(row: dict, t: float) -> bool:
    m = row.get("reader_margin")
    return bool(row.get("refused")) or m is None or m < t


def margin_table(rows: list[dict], thresholds=THRESHOLDS) -> list[dict]:
    ans = [r for r in rows if r.get("answerable", True) and (r.get("gold") or {}).get("answers")]
    una = [r for r in rows if not r.get("answerable", True) or not (r.get("gold") or {}).get("answers")]
    out = []
    for t in thresholds:
        out.append({"threshold": t, "n_answerable": len(ans), "n_unanswerable": len(una),
                    "answerable_refused": round(statistics.fmean(_refused_at(r, t) for r in ans), 3) if ans else None,
                    "unanswerable_refused": round(statistics.fmean(_refused_at(r, t) for r in una), 3) if una else None})
    return out


def _score(row: dict) -> tuple[float, float]:
    if row.get("refused"):
        return 0.0, 0.0
    text = row.get("short_answer") or row.get("answer") or ""
    golds, lang = row["gold"]["answers"], row.get("lang", "")
    return f1(text, golds, lang) or 0.0, contains_answer(text, golds, lang) or 0.0


def defer_table(reader_rows: list[dict], llm_rows: list[dict], thresholds=THRESHOLDS) -> list[dict]:
    llm = {r["id"]: r for r in llm_rows}
    pairs = [(r, llm[r["id"]]) for r in reader_rows if r["id"] in llm and r["gold"]["answers"]]
    out = []
    for t in thresholds + [100]:
        scores = [_score(r if (r.get("reader_margin") or -99) >= t and not r.get("refused") else g) for r, g in pairs]
        out.append({"defer_margin": t, "n": len(pairs),
                    "share_by_reader": round(statistics.fmean((r.get("reader_margin") or -99) >= t
                                                              for r, _ in pairs), 3) if pairs else None,
                    "f1": round(statistics.fmean(s[0] for s in scores), 3) if scores else None,
                    "contains": round(statistics.fmean(s[1] for s in scores), 3) if scores else None})
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("margin")
    m.add_argument("runs", nargs="+", type=Path)
    m.add_argument("--half", choices=["tune", "report"], default=None, help="only this half of the articles")
    d = sub.add_parser("defer")
    d.add_argument("--reader", type=Path, nargs="+", required=True)
    d.add_argument("--llm", type=Path, nargs="+", required=True)
    args = p.parse_args(argv)
    if args.cmd == "margin":
        for run in args.runs:
            print(run)
            rows = [r for r in _rows(run) if args.half is None or article_half(r) == args.half]
            for row in margin_table(rows):
                print(json.dumps(row))
    else:
        reader = [r for f in args.reader for r in _rows(f)]
        llm = [r for f in args.llm for r in _rows(f)]
        for row in defer_table(reader, llm):
            print(json.dumps(row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
