"""`articleqa feedback export`: the web chat's thumbs up/down records as JSONL."""
from __future__ import annotations

import argparse
import sys

from interfaces.cli.options import add_index_option, settings_from_args


def register(subparsers) -> None:
    p = subparsers.add_parser("feedback", help="export feedback given in the web chat",
                              description="Feedback (rating, comment, question, answer, citations, settings) is "
                                          "stored in <index>/feedback.sqlite.")
    sub = p.add_subparsers(dest="feedback_command", metavar="ACTION")
    e = sub.add_parser("export", help="write every feedback record as one JSON line")
    e.add_argument("--out", default=None, help="output file (default: standard output)")
    add_index_option(e)
    e.set_defaults(func=run_export)
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])


def run_export(args: argparse.Namespace) -> int:
    from interfaces.webui.feedback import FeedbackStore, feedback_path

    settings = settings_from_args(args)
    path = feedback_path(settings.index_dir)
    if not path.exists():
        print(f"{path}: no feedback file (nothing has been rated yet)", file=sys.stderr)
        return 1
    store = FeedbackStore(path)
    if args.out and args.out != "-":
        with open(args.out, "w", encoding="utf-8") as fh:
            n = store.export_jsonl(fh)
        print(f"wrote {n} feedback records to {args.out}", file=sys.stderr)
    else:
        n = store.export_jsonl(sys.stdout)
    return 0
