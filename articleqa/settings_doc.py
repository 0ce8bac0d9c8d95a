"""The settings tree described from its own fields: the effective values with where each came from
(`articleqa config`), and the reference page docs/configuration.md (`articleqa config --reference`; a test keeps
the page in step with articleqa/settings.py)."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Iterator, Literal, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from articleqa.settings import ENV_PREFIX, Settings, _toml_keys, config_file

REFERENCE_PATH = "docs/configuration.md"


@dataclass(frozen=True)
class FieldDoc:
    key: str  # dotted: "retrieval.top_k"
    type: str
    default: str
    bounds: str
    description: str


def _type_name(field: FieldInfo) -> str:
    t = field.annotation
    if get_origin(t) is Literal:
        return " / ".join(json.dumps(a) for a in get_args(t))
    name = getattr(t, "__name__", None)
    if name and not get_args(t):
        return name
    return str(t).replace("typing.", "").replace("pathlib.", "")


def _bounds(field: FieldInfo) -> str:
    parts = []
    for m in field.metadata:
        for attr, sign in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            v = getattr(m, attr, None)
            if v is not None:
                parts.append(f"{sign} {v}")
    return ", ".join(parts)


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        return "CPU cores" if "cpu_count" in field.default_factory.__code__.co_names else "(computed)"
    return _show(field.default)


def _show(value: Any) -> str:
    if isinstance(value, BaseModel):
        return ""
    if isinstance(value, os.PathLike):
        return json.dumps(os.fspath(value), ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False)


def _sections() -> Iterator[tuple[str, type[BaseModel] | None, str]]:
    """(section name, its model class or None for the top level, its description)."""
    yield "", None, "Top-level settings."
    for name, field in Settings.model_fields.items():
        t = field.annotation
        if isinstance(t, type) and issubclass(t, BaseModel):
            yield name, t, " ".join((t.__doc__ or "").split())


def field_docs() -> list[FieldDoc]:
    """Every setting, in the order of articleqa/settings.py."""
    out: list[FieldDoc] = []
    for section, cls, _ in _sections():
        fields = cls.model_fields if cls is not None else {
            k: f for k, f in Settings.model_fields.items()
            if not (isinstance(f.annotation, type) and issubclass(f.annotation, BaseModel))}
        for name, f in fields.items():
            key = f"{section}.{name}" if section else name
            out.append(FieldDoc(key, _type_name(f), _default(f), _bounds(f), " ".join((f.description or "").split())))
    return out


def reference_markdown() -> str:
    """docs/configuration.md, generated from the settings tree."""
    lines = [
        "# Configuration reference",
        "",
        "<!-- Generated from articleqa/settings.py by `articleqa config --reference > docs/configuration.md`;",
        "     tests/test_settings_doc.py fails when this page is stale. Do not edit by hand. -->",
        "",
        "Every setting is read, in this order of precedence, from: explicit values (CLI flags, keyword arguments",
        "of the Python API) > `ARTICLEQA_*` environment variables (nested with `__`, e.g.",
        "`ARTICLEQA_RETRIEVAL__TOP_K=8`) > `articleqa.toml` in the working directory (or the file named by",
        "`ARTICLEQA_CONFIG`) > the defaults below. An unknown key is an error naming the key and where it was set;",
        "a value outside its bounds is an error too. `articleqa config` prints the effective values and where each",
        "came from. A description that gives no measurement means the default was not tuned.",
        "",
        "```toml",
        "# articleqa.toml",
        "[retrieval]",
        "top_k = 8",
        "",
        "[answer]",
        'mode = "extractive"',
        "```",
        "",
    ]
    docs = field_docs()
    for section, _, about in _sections():
        lines += [f"## `{section}`" if section else "## Top level", "", about, "",
                  "| Key | Type | Default | Bounds | Description |", "|---|---|---|---|---|"]
        for d in docs:
            if (d.key.split(".")[0] == section and "." in d.key) or (not section and "." not in d.key):
                desc = d.description.replace("|", "\\|").replace("<", "\\<")
                lines.append(f"| `{d.key}` | `{d.type}` | `{d.default}` | {d.bounds} | {desc} |".replace("`` ", "").replace(" ``", ""))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _flatten(getattr(value, name), f"{prefix}{name}.")
    else:
        yield prefix.rstrip("."), value


def effective(settings: Settings | None = None, given: dict[str, Any] | None = None
              ) -> list[tuple[str, Any, str]]:
    """(dotted key, value, where it came from) for every setting: 'default', the settings file, the environment
    variable, or 'command line' for ``given`` overrides."""
    settings = settings or Settings()
    given = {k: v for k, v in (given or {}).items() if v is not None}
    toml_file = config_file()
    in_file = _toml_keys(toml_file)
    env = {name.upper() for name in os.environ}
    out = []
    for key, value in _flatten(settings):
        var = ENV_PREFIX + key.replace(".", "__").upper()
        if key in given:
            where = "command line"
        elif var in env:
            where = f"environment {var}"
        elif key in in_file:
            where = str(toml_file)
        else:
            where = "default"
        out.append((key, value, where))
    return out
