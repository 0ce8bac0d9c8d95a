"""Score the page cleaner on the scraped-page dev sets (``<dataset>/dirty/``).

Character-level precision / recall / F1 of the cleaned body against ``<id>.clean.txt``: characters are compared
as multisets (order-free), white space ignored, so the score measures kept text versus dropped junk.

    python -m eval.clean_score /work/shared/eval
"""
from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

FORMATS = {"txt": ("text", ".dirty.txt"), "html": ("html", ".dirty.html")}


def char_prf(pred: str, gold: str) -> tuple[float, float, float]:
    p = Counter(c for c in pred if not c.isspace())
    g = Counter(c for c in gold if not c.isspace())
    if not p and not g:
        return 1.0, 1.0, 1.0
    if not p or not g:
        return 0.0, 0.0, 0.0
    overlap = sum((p & g).values())
    precision = overlap / sum(p.values())
    recall = overlap / sum(g.values())
    f1 = 0.0 if overlap == 0 else 2 * precision * recall / (precision + recall)
    return precision, recall, f1


def char_f1(pred: str, gold: str) -> float:
    """F1 of the multiset character overlap between ``pred`` and ``gold``, white space ignored."""
    return char_prf(pred, gold)[2]


def score_dirty_dir(directory: str | Path) -> dict:
    """Clean every ``*.dirty.txt`` / ``*.dirty.html`` in ``directory`` and score it against ``*.clean.txt``.

    Returns ``{"txt": {"n", "precision", "recall", "f1", "files": {name: f1}}, "html": {...}}``.
    """
    from ingest.clean_document import clean_document

    directory = Path(directory)
    out: dict = {}
    for fmt, (kind, suffix) in FORMATS.items():
        files: dict[str, dict[str, float]] = {}
        for dirty in sorted(directory.glob(f"*{suffix}")):
            gold_path = dirty.with_name(dirty.name[: -len(suffix)] + ".clean.txt")
            if not gold_path.exists():
                continue
            res = clean_document(dirty.read_text(encoding="utf-8"), kind)
            p, r, f = char_prf(res.body, gold_path.read_text(encoding="utf-8"))
            files[dirty.name] = {"precision": p, "recall": r, "f1": f}
        n = len(files)
        out[fmt] = {
            "n": n,
            "precision": sum(v["precision"] for v in files.values()) / n if n else 0.0,
            "recall": sum(v["recall"] for v in files.values()) / n if n else 0.0,
            "f1": sum(v["f1"] for v in files.values()) / n if n else 0.0,
            "min_f1": min((v["f1"] for v in files.values()), default=0.0),
            "files": files,
        }
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0] if argv else "/work/shared/eval")
    dirs = [root] if root.name == "dirty" else sorted(d for d in root.glob("*/dirty") if d.is_dir())
    if not dirs:
        print(f"{root}: no <dataset>/dirty/ folders", file=sys.stderr)
        return 2
    verbose = "-v" in argv
    print(f"{'dataset':<10} {'format':<6} {'n':>3} {'precision':>9} {'recall':>7} {'F1':>7} {'min F1':>7}")
    for d in dirs:
        name = d.parent.name if d.name == "dirty" else d.name
        for fmt, s in score_dirty_dir(d).items():
            print(f"{name:<10} {fmt:<6} {s['n']:>3} {s['precision']:>9.4f} {s['recall']:>7.4f} {s['f1']:>7.4f} {s['min_f1']:>7.4f}")
            if verbose:
                for fname, v in s["files"].items():
                    print(f"    {fname:<55} P={v['precision']:.4f} R={v['recall']:.4f} F1={v['f1']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
