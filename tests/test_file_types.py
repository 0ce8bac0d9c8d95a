"""One list of accepted file types, owned by the loaders (`ingest.formats`), used by every interface: the web
chat's upload, the REST upload (tests/test_contract_api.py uploads one), `articleqa ingest --help` and the bundled
samples. Before, the web UI and REST each wrote their own list (no .markdown or .text, which the loaders read) and
the CLI's help offered .json, which they do not."""
from __future__ import annotations

import re

from articleqa.settings import load_settings
from ingest.formats import KINDS, SUPPORTED_EXTENSIONS, is_supported
from ingest.loaders import load_path


def test_the_loaders_read_every_listed_type(tmp_path):
    settings = load_settings()
    bodies = {"text": "The Quill river floods every spring in Quillmere.",
              "html": "<html><body><article><h1>Quill river</h1><p>The Quill river floods every spring in "
                      "Quillmere, and the town has built three levees since 1911.</p></article></body></html>",
              "markdown": "# Quill river\n\nThe Quill river floods every spring in Quillmere.",
              "jsonl": '{"id": "q1", "title": "Quill river", "text": "The Quill river floods every spring."}'}
    for ext, kind in KINDS.items():
        path = tmp_path / f"quill{ext.upper() if ext == '.md' else ext}"
        path.write_text(bodies[kind] + "\n", encoding="utf-8")
        assert load_path(path, settings), ext
    assert not is_supported("notes.json") and not is_supported("README") and is_supported("A.MARKDOWN")


def test_the_web_upload_accepts_exactly_the_loaders_types(tmp_path):
    from qa import Assistant

    from interfaces.webui.ui import WebApp

    settings = load_settings().with_overrides({"index_dir": str(tmp_path / "ix")})
    app = WebApp(settings, Assistant.open(settings.index_dir, settings, create=True))
    try:
        for ext in SUPPORTED_EXTENSIONS:
            f = tmp_path / f"upload{ext}"
            f.write_text("hello", encoding="utf-8")
            assert app.check_upload(str(f)) is None, ext
        for bad in ("x.json", "x.pdf", "x"):
            (tmp_path / bad).write_text("hello", encoding="utf-8")
            assert "not a supported type" in app.check_upload(str(tmp_path / bad))
    finally:
        app.base.close()


def test_ingest_help_and_samples_follow_the_list():
    from interfaces.cli import build_parser
    from interfaces.webui.samples import sample_paths, samples_dir

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    helps = {c.dest: c.help for c in sub._choices_actions}
    named = set(re.search(r"\(([^;]*);", helps["ingest"]).group(1).replace(" ", "").split(","))
    assert named == {e.lstrip(".") for e in SUPPORTED_EXTENSIONS}
    readable = {p.name for p in samples_dir().iterdir() if is_supported(p.name)} - {"README.md"}
    assert {p.name for p in sample_paths()} == readable and readable
