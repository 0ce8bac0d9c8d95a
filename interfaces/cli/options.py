"""Flags shared by several subcommands, mapped onto dotted settings keys."""
from __future__ import annotations

import argparse

from articleqa.settings import Settings, load_settings


def add_index_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", dest="index_dir", default=None, help="index directory (default: settings.index_dir)")


def settings_from_args(args: argparse.Namespace, **mapping: str) -> Settings:
    """Settings with CLI flags on top. ``mapping`` maps an attribute of ``args`` to a dotted settings key."""
    overrides = {"index_dir": getattr(args, "index_dir", None)}
    for attr, key in mapping.items():
        overrides[key] = getattr(args, attr, None)
    return load_settings(**overrides)
