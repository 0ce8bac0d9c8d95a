"""`articleqa models`: list the offline models and whether they are ready; `--prepare` makes them ready."""
from __future__ import annotations

import argparse
import sys

from interfaces.cli.options import settings_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list the offline models (embedder, generator, tokenizer); --prepare them")
    p.add_argument("--prepare", action="store_true", help="join/convert/seed every model now (about a minute)")
    p.set_defaults(func=run)


class _Bars:
    """progress(event) -> one tqdm bar per stage (bytes or steps)."""

    def __init__(self) -> None:
        self.bars: dict[str, object] = {}

    def __call__(self, event) -> None:
        from tqdm import tqdm

        bar = self.bars.get(event.stage)
        if bar is None:
            in_bytes = event.unit == "B"
            bar = self.bars[event.stage] = tqdm(total=event.total, desc=event.stage, unit=event.unit,
                                                unit_scale=in_bytes, unit_divisor=1024, file=sys.stderr, leave=True)
        bar.total = event.total
        bar.update(event.done - bar.n)
        if event.done >= event.total:
            bar.close()

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


def run(args: argparse.Namespace) -> int:
    from articleqa.models.registry import all_status, format_table, prepare_all

    settings = settings_from_args(args)
    failed = False
    if args.prepare:
        bars = _Bars()
        try:
            results = prepare_all(settings, progress=bars)
        finally:
            bars.close()
        for kind, result in results.items():
            if isinstance(result, BaseException):
                failed = True
                print(f"error: {kind}: {result}", file=sys.stderr)
    rows = all_status(settings)
    print(format_table(rows))
    if args.prepare and not all(r["ready"] for r in rows):
        failed = True
    return 1 if failed else 0
