"""`articleqa eval`: score answers (or retrieval) on a question set; write report.json/.md/.html; gate on a baseline."""
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

from interfaces.cli.options import add_collection_options, add_index_option, check_store, settings_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval",
        help="score answer quality on a question set (JSONL); reports with CIs; --baseline gates regressions",
        description="Score answers or retrieval on a questions JSONL file and write report.json, report.md and "
        "report.html. Give the articles (indexed once, cached) or an existing index.",
    )
    p.add_argument("questions", help="questions JSONL (id, question, answers, article_id, context, lang)")
    p.add_argument("--articles", action="append", default=[], metavar="FILE",
                   help="articles to index for this run (articles.jsonl, or any file ingest reads); repeatable")
    add_index_option(p)
    add_collection_options(p)
    p.add_argument("--mode", choices=["retrieval", "extractive", "llm"], default="llm",
                   help="retrieval: hit@k/MRR only; extractive or llm: ask and score answers (default llm)")
    p.add_argument("--limit", type=int, default=None, help="only the first N questions (after --sample)")
    p.add_argument("--sample", type=int, default=None, metavar="N", help="a random sample of N questions")
    p.add_argument("--seed", type=int, default=0, help="seed for --sample and --unanswerable-from (default 0)")
    p.add_argument("--out", default=None, help="report folder (default eval/reports/<dataset>-<mode>/)")
    p.add_argument("--baseline", default=None, metavar="REPORT.json",
                   help="compare with this report; exit 1 when a metric falls by more than its CI half-width")
    p.add_argument("--fail-under", action="append", default=[], metavar="METRIC=VALUE",
                   help="exit 1 when METRIC's value is below VALUE (e.g. hit@1=0.8); repeatable")
    p.add_argument("--unanswerable-from", default=None, metavar="OTHER.jsonl",
                   help="mix in questions from another set, marked unanswerable (their articles are not indexed)")
    p.add_argument("--n", type=int, default=20, help="how many --unanswerable-from questions (default 20)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def _unanswerable(path: str, n: int, seed: int) -> list[dict]:
    from eval.datasets import load_questions

    others = load_questions(path)
    picked = random.Random(seed).sample(others, min(n, len(others)))
    out = []
    for q in picked:
        q = dict(q)
        q["answerable"] = False
        q["answers"] = []
        q["origin_answers"] = list(q.get("answers") or [])
        q["id"] = f"unanswerable:{q.get('id', '')}"
        out.append(q)
    return out


def run(args: argparse.Namespace) -> int:
    from eval.compare import gate, parse_threshold
    from eval.report import Report
    from eval.datasets import dataset_name, load_questions
    from eval.harness import select
    from articleqa.store.base import StoreError
    from eval.index import EvalIndexError
    from ingest.errors import IngestError
    from ingest.pipeline import IndexMismatch

    try:
        for spec in args.fail_under:
            parse_threshold(spec)
        questions = load_questions(args.questions)
        baseline = Report.load(args.baseline) if args.baseline else None
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.articles and (args.index_dir or args.collections):
        print("error: give --articles (its articles are the ones searched) or --index/--collection, not both",
              file=sys.stderr)
        return 2

    settings = settings_from_args(args)
    # Retrieval mode never needs the generator: open the assistant as extractive so nothing loads it.
    answer_mode = "extractive" if args.mode == "retrieval" else args.mode
    settings = settings.with_overrides({"answer.mode": answer_mode})

    notes: list[str] = []
    chosen = select(questions, limit=args.limit, sample=args.sample, seed=args.seed)
    if len(chosen) < len(questions):
        notes.append(f"subset: {len(chosen)} of {len(questions)} questions (sample={args.sample} seed={args.seed} "
                     f"limit={args.limit})")
    if args.unanswerable_from:
        try:
            extra = _unanswerable(args.unanswerable_from, args.n, args.seed)
        except ValueError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        chosen = chosen + extra
        notes.append(f"{len(extra)} unanswerable questions mixed in from {args.unanswerable_from}")

    dataset = dataset_name(args.questions)
    out_dir = Path(args.out) if args.out else Path("eval") / "reports" / f"{dataset}-{args.mode}"
    try:
        report = _run(args, settings, chosen, dataset, notes)
    except (ValueError, StoreError, IndexMismatch, IngestError, EvalIndexError) as e:  # MissingArticles: a ValueError
        print(f"error: {' '.join(str(e).split())}", file=sys.stderr)
        return 2
    paths = report.write(out_dir)
    print(summary_table(report))
    if report.partial:
        print(f"interrupted: partial report ({report.n_questions} of {report.n_planned} questions)", file=sys.stderr)
    print(f"reports: {paths['json']}  {paths['md']}  {paths['html']}", file=sys.stderr)
    status = gate(report, baseline, args.fail_under)
    return 130 if report.partial and status == 0 else status


def _run(args: argparse.Namespace, settings, chosen: list[dict], dataset: str, notes: list[str]):
    """Open the store the run searches (indexing --articles first), check that it holds the questions' articles,
    and evaluate; errors are one-line exceptions."""
    from articleqa.store import open_store
    from eval.harness import check_articles, describe_scope, evaluate, searched_scope, store_article_texts
    from eval.index import prepare_eval_store
    from qa.assistant import Assistant
    from qa.retrieval.retriever import default_filters

    searched: dict = {}
    if args.articles:
        prepared = prepare_eval_store(args.articles, settings)
        index_dir, settings, searched = prepared.index_dir, prepared.settings, prepared.searched
    else:
        index_dir = Path(settings.index_dir)
        if check_store(settings):
            raise ValueError(f"{index_dir}: no index there (give --articles FILE or --index DIR)")
    # Checked before the models load: a refused run ends at once (and never mid-way through loading them).
    scope = default_filters(settings)
    with open_store(index_dir, settings, read_only=True) as store:
        texts = store_article_texts(store, scope)
    check_articles(chosen, texts, describe_scope(searched_scope(settings, scope, len(texts), searched)))
    assistant = Assistant.open(index_dir, settings)
    try:
        return evaluate(chosen, assistant, mode=args.mode, progress=False if args.no_progress else None,
                        dataset=dataset, settings=settings, notes=notes, searched=searched, articles=texts,
                        require_articles=False)
    finally:
        assistant.close()


def summary_table(report) -> str:
    from eval.report import fmt_ci, fmt_value

    from eval.harness import describe_scope

    lines = [f"{report.title()}: {report.n_questions} questions", f"searched {describe_scope(report.searched)}", "",
             "| metric | value | 95% CI | n |", "|---|---:|---:|---:|"]
    for name, m in report.metrics.items():
        lines.append(f"| {name} | {fmt_value(m.get('value'), m.get('unit', ''), m.get('fraction', True))} | "
                     f"{fmt_ci(m)} | {m.get('n', 0)} |")
    return "\n".join(lines)
