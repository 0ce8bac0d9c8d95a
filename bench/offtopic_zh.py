"""Chinese off-topic refusal, end to end: CMRC 2018 dev questions (about articles the index does not hold) asked of
the DRCD dev index (a benchmark, not a test). The share refused, for the settings given with ``--set`` (each
``--set`` run against the same questions), to weigh a refusal gate against the answerable questions it refuses.

    python -m bench.offtopic_zh --n 120 --set answer.min_lexical_overlap=0.2 --set answer.min_lexical_overlap=0.1
"""
from __future__ import annotations

import argparse
import random
import sys

from bench.common import EVAL, read_jsonl


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=120)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--mode", choices=["extractive", "llm"], default="extractive")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="one settings override per run (repeatable; none: the defaults)")
    args = p.parse_args(argv)

    from articleqa.settings import load_settings
    from bench.answer_quality import _overrides
    from eval.index import ensure_index
    from qa import Assistant

    qs = random.Random(args.seed).sample(read_jsonl(EVAL / "cmrc2018" / "dev" / "questions.jsonl"), args.n)
    base = load_settings()
    index = ensure_index([EVAL / "drcd" / "dev" / "articles.jsonl"], base)
    for override in args.set or [""]:
        settings = base.with_overrides(_overrides([override]) if override else {})
        with Assistant.open(index, settings) as a:
            refused = sum(a.ask(q["question"], mode=args.mode).refused for q in qs)
        print(f"{override or 'defaults'}: CMRC 2018 questions refused over DRCD {refused}/{len(qs)} "
              f"= {refused / len(qs):.3f} ({args.mode})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
