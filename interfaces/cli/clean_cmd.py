"""`articleqa clean FILE`: show what the cleaner keeps from a file (metadata, headings, body) and what it drops,
so a user can see why an answer is or is not found."""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("clean", help="show what the cleaner keeps from a file (body and metadata) and what it drops")
    p.add_argument("file", help="a .txt, .html/.htm, .md or .jsonl file")
    p.add_argument("--json", action="store_true", help="print the result as JSON (with everything dropped)")
    p.add_argument("--dropped", action="store_true", help="also list every dropped line and why")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from articleqa.settings import load_settings
    from ingest.clean_document import clean_document
    from ingest.errors import IngestError
    from ingest.loaders import KINDS, article_id, content_hash, load_path, read_text

    settings = load_settings()
    path = Path(args.file)
    try:
        kind = KINDS.get(path.suffix.lower())
        if kind == "jsonl" or kind is None or not path.is_file():
            errors: list[IngestError] = []
            articles = load_path(path, settings, errors=errors)
            if args.json:
                print(json.dumps({"articles": [a.to_dict() for a in articles], "errors": [str(e) for e in errors]},
                                 ensure_ascii=False, indent=2))
            else:
                for a in articles:
                    print(f"[{a.id}] {a.title} ({a.lang}, {len(a.text)} chars)")
                for e in errors:
                    print(f"error: {e}", file=sys.stderr)
            return 1 if errors else 0
        res = clean_document(read_text(path, settings), kind, settings.clean)
    except IngestError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    body = res.body
    if args.json:
        d = res.to_dict()
        d["path"] = str(path)
        d["id"] = article_id(content_hash(body)) if body else ""
        print(json.dumps(d, ensure_ascii=False, indent=2))
        return 0 if body else 1
    print(f"file:      {path}")
    print(f"extractor: {res.extractor}")
    for name in ("title", "author", "date", "source", "url"):
        value = getattr(res, name)
        if value:
            print(f"{name + ':':<10} {value}")
    print(f"body:      {len(res.paragraphs)} paragraphs, {len(body)} chars")
    if res.headings:
        print("headings:")
        for h in res.headings:
            print(f"  - {h}")
    print("-" * 60)
    print(body if body else "(nothing left after cleaning)")
    print("-" * 60)
    counts = Counter(why for why, _ in res.dropped)
    summary = ", ".join(f"{why} {n}" for why, n in counts.most_common())
    print(f"dropped:   {len(res.dropped)} ({summary})" if res.dropped else "dropped:   nothing")
    if args.dropped:
        for why, text in res.dropped:
            one = " ".join(text.split())
            print(f"  [{why}] {one[:100]}{'…' if len(one) > 100 else ''}")
    return 0 if body else 1
