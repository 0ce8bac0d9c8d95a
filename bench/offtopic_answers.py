"""Off-topic refusal, end to end (a benchmark, not a test): questions about articles the index does not hold, asked
of it, and the share refused for the settings given with ``--set`` (each ``--set`` one run over the same
questions), to weigh a refusal threshold against the answerable questions it refuses.

* ``--questions cmrc2018``: CMRC 2018 dev questions (Simplified Chinese; none of their articles is in either
  corpus);
* ``--questions squad2``: SQuAD 2.0 dev questions (English) of the articles whose titles the corpus lacks;
* ``--corpus drcd``: the DRCD dev articles (Traditional Chinese); ``--corpus mlqa-xl``: the mixed Chinese and
  English corpus of mlqa-xl dev, where questions are also searched through their translation.

    python -m bench.offtopic_answers --set answer.min_lexical_overlap=0.2 --set answer.min_lexical_overlap=0.1
    python -m bench.offtopic_answers --corpus mlqa-xl --questions squad2 --set reader.min_margin_en_zh=-2
"""
from __future__ import annotations

import argparse
import random
import sys

from bench.common import EVAL, read_jsonl


def off_topic_questions(name: str, corpus_titles: set[str]) -> list[dict]:
    qs = read_jsonl(EVAL / name / "dev" / "questions.jsonl")
    if name == "squad2":
        titles = {a["id"]: a["title"] for a in read_jsonl(EVAL / name / "dev" / "articles.jsonl")}
        qs = [q for q in qs if titles.get(q["article_id"]) not in corpus_titles]
    return qs


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", choices=["drcd", "mlqa-xl"], default="drcd")
    p.add_argument("--questions", choices=["cmrc2018", "squad2"], default="cmrc2018")
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

    articles = EVAL / args.corpus / "dev" / "articles.jsonl"
    pool = off_topic_questions(args.questions, {a.get("title", "") for a in read_jsonl(articles)})
    qs = random.Random(args.seed).sample(pool, min(args.n, len(pool)))
    base = load_settings()
    index = ensure_index([articles], base)
    for override in args.set or [""]:
        settings = base.with_overrides(_overrides([override]) if override else {})
        with Assistant.open(index, settings) as a:
            refused = sum(a.ask(q["question"], mode=args.mode).refused for q in qs)
        print(f"{override or 'defaults'}: {args.questions} questions refused over {args.corpus} {refused}/{len(qs)} "
              f"= {refused / len(qs):.3f} ({args.mode})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
