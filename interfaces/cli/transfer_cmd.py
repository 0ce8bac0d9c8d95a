"""`articleqa export DEST` / `articleqa import SRC`: copy the whole index between the local FAISS + SQLite folder
and a PostgreSQL database (either way), vectors included, so nothing is embedded again.

DEST / SRC is an index folder or a postgresql:// URL; the other side is the store the settings name
(``store.url``, else ``--index``/``index_dir``).
"""
from __future__ import annotations

import argparse
import sys

from interfaces.cli.options import add_index_option, settings_from_args


def register(sub: argparse._SubParsersAction) -> None:
    for name, arg, helptext in (("export", "dest", "copy this index into DEST (an index folder or a postgresql:// URL)"),
                                ("import", "src", "copy the index at SRC (an index folder or a postgresql:// URL) "
                                                  "into this one")):
        p = sub.add_parser(name, help=helptext + ", vectors included", description=__doc__)
        p.add_argument(arg, metavar=arg.upper())
        add_index_option(p)
        p.add_argument("--replace", action="store_true", help="overwrite a destination that holds articles")
        p.set_defaults(func=run, direction=name)


def _other(settings, where: str):
    """Settings pointing at ``where``: a postgresql:// URL, or an index folder (with store.url emptied)."""
    from articleqa.store import is_postgres_url

    if is_postgres_url(where):
        return settings.with_overrides({"store.url": where})
    return settings.with_overrides({"store.url": "", "index_dir": where})


def run(args: argparse.Namespace) -> int:
    from articleqa.store import StoreError, open_store
    from articleqa.store.transfer import copy_store

    here = settings_from_args(args)
    there = _other(here, args.dest if args.direction == "export" else args.src)
    src_s, dst_s = (here, there) if args.direction == "export" else (there, here)
    try:
        with open_store(None, src_s, read_only=True) as src, open_store(None, dst_s, create=True) as dst:
            report = copy_store(src, dst, replace=args.replace)
    except StoreError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(report.summary())
    return 0
