"""The ``[clean]`` settings section reaches the HTML cleaner: through ``clean_document(..., cfg)``, the loaders
(ingest) and ``articleqa clean`` (environment variable and articleqa.toml)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from articleqa.settings import Settings, load_settings
from ingest.clean_document import clean_document
from ingest.errors import IngestError
from ingest.loaders import load_path

# Four short story paragraphs (under 40 characters each) and one long subscription box beside them: with the
# default min_body_chars (12) the story is body-like and kept; at 40 only the box reads like prose.
STORY = ["The council met on Monday night.", "It approved the budget in full.", "Two members voted against it.",
         "The plan takes effect in May."]
BOX = ("Readers who subscribe before the end of the month get the first three months of the print edition free, "
       "delivered to the door each morning, with the app included.")
SHORT_PARAS = ("<html><head><title>Budget approved - Daily</title></head><body><div class='main'>"
               + "".join(f"<p>{p}</p>" for p in STORY) + f"</div><div class='box'><p>{BOX}</p></div></body></html>")

# Text nested deeper than lxml parses: only the plain-text fallback finds it, and only when it holds at least
# plain_fallback_chars of prose (3 x 44 characters here; the default is 100).
DEEP_PARA = "市政府今天召开新闻发布会，介绍今年以来经济运行情况，各项指标总体平稳，就业形势保持稳定。"
DEEP = "<html><body>" + "<div>" * 5000 + f"<p>{DEEP_PARA}</p>" * 3 + "</div>" * 5000 + "</body></html>"


def test_min_body_chars_reaches_the_cleaner():
    default = clean_document(SHORT_PARAS, "html")
    assert default.paragraphs == clean_document(SHORT_PARAS, "html", Settings().clean).paragraphs
    assert all(p in default.paragraphs for p in STORY)
    for settings in (load_settings(**{"clean.min_body_chars": 40}),
                     Settings().with_overrides({"clean.min_body_chars": 40})):
        res = clean_document(SHORT_PARAS, "html", cfg=settings.clean)
        assert res.paragraphs == [BOX]
        assert not any(p in res.body for p in STORY)


def test_plain_fallback_chars_reaches_ingest(tmp_path):
    page = tmp_path / "deep.html"
    page.write_text(DEEP, encoding="utf-8")
    [article] = load_path(page, Settings())
    assert article.text.count(DEEP_PARA) == 3
    strict = Settings().with_overrides({"clean.plain_fallback_chars": 1000})
    assert clean_document(DEEP, "html", strict.clean).paragraphs == []
    with pytest.raises(IngestError, match="no article text left after cleaning"):
        load_path(page, strict)


def _clean_cli(page: Path, cwd: Path, **env_vars: str) -> tuple[int, dict]:
    root = str(Path(__file__).resolve().parents[1])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARTICLEQA_CLEAN__", "ARTICLEQA_CONFIG"))}
    env.update(env_vars, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    out = subprocess.run([sys.executable, "-m", "interfaces.cli", "clean", str(page), "--json"],
                         capture_output=True, text=True, timeout=300, cwd=cwd, env=env)
    return out.returncode, json.loads(out.stdout)


def test_clean_cli_reads_the_clean_section(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(SHORT_PARAS, encoding="utf-8")
    rc, d = _clean_cli(page, tmp_path)
    assert rc == 0 and all(p in d["paragraphs"] for p in STORY)
    rc, d = _clean_cli(page, tmp_path, ARTICLEQA_CLEAN__MIN_BODY_CHARS="40")
    assert rc == 0 and d["paragraphs"] == [BOX]
    deep = tmp_path / "deep.html"
    deep.write_text(DEEP, encoding="utf-8")
    (tmp_path / "articleqa.toml").write_text("[clean]\nplain_fallback_chars = 1000\n", encoding="utf-8")
    rc, d = _clean_cli(deep, tmp_path)
    assert rc == 1 and d["paragraphs"] == [] and d["body"] == ""
    (tmp_path / "articleqa.toml").unlink()
    rc, d = _clean_cli(deep, tmp_path)
    assert rc == 0 and d["paragraphs"] == [DEEP_PARA] * 3
