"""`articleqa keys add|list|revoke`: API keys for a server bound to a non-loopback address (stored hashed)."""
from __future__ import annotations

import argparse
import sys
import time

from interfaces.cli.options import add_index_option, settings_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("keys", help="manage the HTTP API's keys (needed when serving beyond 127.0.0.1)",
                       description="Keys live hashed in server.keys_file (default <index>/api-keys.json); a running "
                                   "server picks up changes on its next request.")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="create a key and print it (shown once)")
    add.add_argument("--name", default="", help="a label, e.g. the app that will use it")
    actions.add_parser("list", help="list keys: id, name, first characters, created")
    rev = actions.add_parser("revoke", help="revoke a key by id or name")
    rev.add_argument("key", help="the id or name shown by `keys list`")
    for q in (add, actions.choices["list"], rev):
        add_index_option(q)
        q.add_argument("--keys-file", dest="keys_file", default=None, help="the key file (default: server.keys_file)")
        q.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from interfaces.api.keys import KeyFileError, KeyStore, keys_path

    settings = settings_from_args(args, keys_file="server.keys_file")
    store = KeyStore(keys_path(settings))
    try:
        if args.action == "add":
            rec, key = store.add(args.name)
            print(key)
            print(f"key {rec.id} added to {store.path}; it is shown only now", file=sys.stderr)
        elif args.action == "list":
            for r in store.records():
                when = time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created))
                print(f"{r.id}  {r.prefix}…  {when}  {r.name}")
        else:
            gone = store.revoke(args.key)
            if not gone:
                print(f"error: no key with id or name {args.key!r} in {store.path}", file=sys.stderr)
                return 1
            print(f"revoked {', '.join(r.id for r in gone)}", file=sys.stderr)
    except (KeyFileError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0
