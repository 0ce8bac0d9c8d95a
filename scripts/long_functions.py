"""List hand-written functions longer than a limit (default 80 lines, the project's rule), longest first.

    python scripts/long_functions.py [--max 80] [PATH ...]     # exit 1 when any is found

A function's length runs from its ``def`` line (decorators excluded) to its last line, nested functions included.
"""
from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PATHS = ("articleqa", "qa", "ingest", "eval", "interfaces", "bench", "scripts", "tests", "app.py")


def long_functions(paths: list[Path], limit: int) -> list[tuple[int, str]]:
    """(lines, "file:line name") for each function over ``limit`` lines."""
    found = []
    for base in paths:
        files = [base] if base.suffix == ".py" else sorted(base.rglob("*.py"))
        for f in files:
            tree = ast.parse(f.read_text(encoding="utf-8"), filename=str(f))
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    n = (node.end_lineno or node.lineno) - node.lineno + 1
                    if n > limit:
                        rel = f.resolve().relative_to(REPO) if f.resolve().is_relative_to(REPO) else f
                        found.append((n, f"{rel}:{node.lineno} {node.name}"))
    return sorted(found, key=lambda x: (-x[0], x[1]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max", type=int, default=80, help="longest allowed function, in lines (default 80)")
    ap.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the project's packages)")
    args = ap.parse_args(argv)
    paths = args.paths or [REPO / p for p in DEFAULT_PATHS]
    found = long_functions(paths, args.max)
    for n, where in found:
        print(f"{n:5d}  {where}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
