"""Flags shared by several subcommands, mapped onto dotted settings keys."""
from __future__ import annotations

import argparse

from articleqa.settings import Settings, load_settings


def add_index_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", dest="index_dir", default=None, help="index directory (default: settings.index_dir)")


def settings_from_args(args: argparse.Namespace, **mapping: str) -> Settings:
    """Settings with CLI flags on top. ``mapping`` maps an attribute of ``args`` to a dotted settings key."""
    overrides = {"index_dir": getattr(args, "index_dir", None)}
    if getattr(args, "collections", None):
        overrides["store.search_collections"] = list(args.collections)
    for attr, key in mapping.items():
        overrides[key] = getattr(args, attr, None)
    return load_settings(**overrides)


def add_collection_options(p: argparse.ArgumentParser, filters: bool = False) -> None:
    """``--collection NAME`` (repeatable: search several); with ``filters`` also --source, --date-from, --date-to
    and --article-id, applied inside the search."""
    p.add_argument("--collection", dest="collections", action="append", default=None, metavar="NAME",
                   help="search only this collection (repeatable; default: settings.store.search_collections, "
                        "empty = all)")
    if not filters:
        return
    p.add_argument("--source", dest="sources", action="append", default=None, metavar="NAME",
                   help="only articles from this source (repeatable)")
    p.add_argument("--date-from", default=None, metavar="YYYY-MM-DD", help="only articles published on or after")
    p.add_argument("--date-to", default=None, metavar="YYYY-MM-DD", help="only articles published on or before")
    p.add_argument("--article-id", dest="article_ids", action="append", default=None, metavar="ID",
                   help="only this article (repeatable)")


def filters_from_args(args: argparse.Namespace):
    """The SearchFilter the flags describe (None when no flag is given); ValueError names a bad date."""
    from articleqa.store.filters import SearchFilter

    f = SearchFilter.make(collections=getattr(args, "collections", None), sources=getattr(args, "sources", None),
                          date_from=getattr(args, "date_from", None), date_to=getattr(args, "date_to", None),
                          article_ids=getattr(args, "article_ids", None))
    return None if f.is_empty() else f


def check_store(settings: Settings) -> str | None:
    """An error line when there is no index to open, else None."""
    from articleqa.store import store_exists

    if store_exists(settings):
        return None
    return f"error: {settings.index_dir}: no index here (run `articleqa ingest` first, or set store.url)"
