"""`articleqa ask "QUESTION"`: one cited answer, then the numbered sources (or the whole Answer with --json)."""
from __future__ import annotations

import argparse
import json
import sys

from interfaces.cli.options import add_collection_options, add_index_option, check_store, filters_from_args, settings_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="answer one question from the indexed articles, with citations")
    p.add_argument("question", help="the question (Traditional or Simplified Chinese, or English)")
    p.add_argument("--json", action="store_true", help="print the whole Answer as JSON")
    p.add_argument("--mode", choices=["llm", "extractive"], default=None,
                   help="llm: generated answer; extractive: quoted sentences (default: settings.answer.mode)")
    p.add_argument("--top-k", dest="top_k", type=int, default=None, help="passages to retrieve")
    p.add_argument("--server", default=None, metavar="URL",
                   help="ask a running `articleqa serve` (e.g. http://127.0.0.1:7860) instead of loading the models")
    p.add_argument("--api-key", dest="api_key", default=None,
                   help="the server's API key (default: $ARTICLEQA_API_KEY; needed beyond 127.0.0.1)")
    p.add_argument("--as-of", dest="as_of", default=None, metavar="YYYY-MM-DD",
                   help="the day the question is asked at: 去年, last month, 三年前的今天 are read against it "
                        "(default: today, said in the notes when the question needs it)")
    add_index_option(p)
    add_collection_options(p, filters=True)
    p.set_defaults(func=run)


def format_answer(ans, show_notes: bool = True, show_text: bool = True) -> str:
    """The answer text, then "Sources" with each citation's number, title and quote (or related passages)."""
    from qa.language import message

    lines = [ans.text] if show_text else []
    if ans.citations:
        lines += ["", message("sources", ans.lang) + ":"]
        for c in ans.citations:
            quote = " ".join(c.quote.split())
            date = getattr(c, "date", "") or message("undated", ans.lang)
            lines.append(f"[{c.n}] {c.title} ({date}; {c.chunk_id}, {c.start}-{c.end})\n    「{quote}」")
    elif ans.refused and ans.passages:
        lines += ["", message("related", ans.lang)]
        for i, p in enumerate(ans.passages, 1):
            text = " ".join(p.chunk.text.split())
            date = f" ({p.date})" if getattr(p, "date", "") else ""
            lines.append(f"  {i}. {p.title}{date}: {text[:80]}{'…' if len(text) > 80 else ''}")
    if show_notes and ans.notes:
        lines.append("")
        lines += [f"note: {n}" for n in ans.notes]
    return "\n".join(lines)


def run_remote(args: argparse.Namespace) -> int:
    import os

    from interfaces.api.client import ServerError, ask_server

    try:
        ans = ask_server(args.server, args.question, args.mode, args.top_k,
                         args.api_key or os.environ.get("ARTICLEQA_API_KEY"), as_of=args.as_of)
    except ServerError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(ans.to_dict(), ensure_ascii=False, indent=2) if args.json else format_answer(ans))
    return 0


def run(args: argparse.Namespace) -> int:
    from articleqa.store import StoreError
    from articleqa.timeexpr import parse_as_of
    from qa.assistant import Assistant

    if args.server:
        return run_remote(args)
    settings = settings_from_args(args, top_k="retrieval.top_k")
    try:
        filters = filters_from_args(args)
        as_of = parse_as_of(args.as_of)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if problem := check_store(settings):
        print(problem, file=sys.stderr)
        return 2
    try:
        assistant = Assistant.open(settings.index_dir, settings)
    except StoreError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    with assistant:
        ans = assistant.ask(args.question, mode=args.mode, k=args.top_k, filters=filters, as_of=as_of)
    if args.json:
        print(json.dumps(ans.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_answer(ans))
    return 0
