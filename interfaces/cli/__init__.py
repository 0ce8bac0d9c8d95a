"""`articleqa` command line. Each subcommand lives in its own module with `register(subparsers)`."""
from __future__ import annotations

import argparse
import importlib
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# Subcommand modules, in the order `--help` lists them. A module that is missing is skipped.
COMMANDS = ["models", "ingest", "clean", "ask", "chat", "serve", "keys", "eval", "feedback", "db", "transfer", "config"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="articleqa",
        description="Ask questions about your articles, offline, with every answer cited.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"interfaces.cli.{name}_cmd")
        except ModuleNotFoundError as e:
            if e.name == f"interfaces.cli.{name}_cmd":
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    from articleqa.models.files import ModelError
    from articleqa.settings import SettingsError

    try:
        return int(args.func(args) or 0)
    except (SettingsError, ModelError) as e:  # a bad setting, a model that cannot be loaded: one line, no traceback
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
