"""List the functions and methods that a test run never entered: those with no executed line in a coverage data file.

    python -m coverage run --source=qa -m pytest -q -m "not slow and not browser and not pg and not heavy"
    python -m coverage combine          # only if the run wrote parallel files (.coverage.*)
    python scripts/unreached.py [--data .coverage] [PATH ...]       # default qa/; exit 1 when any is found

A function counts as reached when any statement of its body ran (its ``def`` line runs at import, so it does not
count); a function nested in an unreached one is listed too.
"""
from __future__ import annotations

import argparse
import ast
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


@dataclass(frozen=True)
class Function:
    file: Path
    line: int
    name: str  # qualified: Class.method, outer.inner
    body: range  # the lines of its body


def functions(source: str, file: Path) -> list[Function]:
    """Every function and method in ``source``, outer ones before those nested in them."""
    found: list[Function] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (*_FUNCTIONS, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if isinstance(child, _FUNCTIONS):
                    body = range(child.body[0].lineno, (child.end_lineno or child.lineno) + 1)
                    found.append(Function(file, child.lineno, name, body))
                visit(child, f"{name}.")
            else:
                visit(child, prefix)

    visit(ast.parse(source, filename=str(file)), "")
    return found


def unreached(data_file: Path, paths: list[Path]) -> tuple[int, list[Function]]:
    """(how many functions there are under ``paths``, those of them with no executed statement)."""
    import coverage

    cov = coverage.Coverage(data_file=str(data_file))
    cov.load()
    total, missed = 0, []
    for base in paths:
        for f in [base] if base.suffix == ".py" else sorted(base.rglob("*.py")):
            _, statements, _, missing, _ = cov.analysis2(str(f.resolve()))
            executed = set(statements) - set(missing)
            for fn in functions(f.read_text(encoding="utf-8"), f):
                if not set(statements).intersection(fn.body):
                    continue  # nothing to run: a docstring alone
                total += 1
                if executed.isdisjoint(fn.body):
                    missed.append(fn)
    return total, missed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(".coverage"), help="coverage data file (default .coverage)")
    ap.add_argument("paths", nargs="*", type=Path, help="files or folders (default: qa/)")
    args = ap.parse_args(argv)
    if not args.data.is_file():
        print(f"error: {args.data}: no coverage data file (run `python -m coverage run ...` first)", file=sys.stderr)
        return 2
    total, missed = unreached(args.data, args.paths or [REPO / "qa"])
    for fn in missed:
        rel = fn.file.resolve().relative_to(REPO) if fn.file.resolve().is_relative_to(REPO) else fn.file
        print(f"{rel}:{fn.line} {fn.name}")
    print(f"{len(missed)} of {total} functions unreached", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
