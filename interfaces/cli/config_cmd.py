"""`articleqa config`: the effective settings and where each value came from; `--reference` prints
docs/configuration.md (generated from articleqa/settings.py)."""
from __future__ import annotations

import argparse
import json
import os

from interfaces.cli.options import add_index_option, settings_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("config", help="print the effective settings and where each came from (--reference: the "
                                      "settings reference page)")
    add_index_option(p)
    p.add_argument("--reference", action="store_true",
                   help="print docs/configuration.md, generated from the settings tree, instead")
    p.add_argument("--json", action="store_true", help="one JSON object per setting: key, value, source")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from articleqa.settings_doc import effective, reference_markdown

    if args.reference:
        print(reference_markdown(), end="")
        return 0
    settings = settings_from_args(args)
    rows = effective(settings, {"index_dir": args.index_dir})
    if args.json:
        for key, value, where in rows:
            value = os.fspath(value) if isinstance(value, os.PathLike) else value
            print(json.dumps({"key": key, "value": value, "source": where}, ensure_ascii=False))
        return 0
    width = max(len(k) for k, _, _ in rows)
    for key, value, where in rows:
        shown = os.fspath(value) if isinstance(value, os.PathLike) else value
        print(f"{key:<{width}}  {json.dumps(shown, ensure_ascii=False)}  ({where})")
    return 0
