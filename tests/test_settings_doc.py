"""The settings document themselves: every field has a description, docs/configuration.md is generated from the
tree (and fails here when stale), bounds are enforced, and `articleqa config` says where each value came from."""
from __future__ import annotations

import json
import os

import pytest

from articleqa.settings import Settings, SettingsError
from articleqa.settings_doc import REFERENCE_PATH, effective, field_docs, reference_markdown
from tests.datapaths import REPO
from tests.test_settings import in_tmp  # noqa: F401 - the fixture: an empty folder, no ARTICLEQA_ variables


def test_every_setting_has_a_description():
    docs = field_docs()
    assert len(docs) > 100
    missing = [d.key for d in docs if len(d.description) < 10]
    assert not missing, f"settings without a description: {missing}"


def test_configuration_reference_is_current():
    page = (REPO / REFERENCE_PATH).read_text(encoding="utf-8")
    assert page == reference_markdown(), (
        f"{REFERENCE_PATH} is stale: run `articleqa config --reference > {REFERENCE_PATH}`")
    for d in field_docs():
        assert f"`{d.key}`" in page


def test_values_outside_their_bounds_are_errors():
    with pytest.raises(SettingsError, match=r"^override: 'retrieval.top_k': Input should be greater than or equal"):
        Settings().with_overrides({"retrieval.top_k": 0})
    with pytest.raises(SettingsError, match=r"'answer.min_lexical_overlap': Input should be less than or equal to 1"):
        Settings().with_overrides({"answer.min_lexical_overlap": 1.5})


def test_effective_settings_name_their_source(in_tmp, monkeypatch):
    (in_tmp / "articleqa.toml").write_text("[answer]\nmode = 'extractive'\n", encoding="utf-8")
    monkeypatch.setenv("ARTICLEQA_RETRIEVAL__TOP_K", "8")
    rows = {k: (v, where) for k, v, where in effective(Settings(), {"index_dir": "elsewhere"})}
    assert rows["answer.mode"] == ("extractive", "articleqa.toml")
    assert rows["retrieval.top_k"] == (8, "environment ARTICLEQA_RETRIEVAL__TOP_K")
    assert rows["retrieval.candidates"] == (50, "default")
    assert rows["index_dir"][1] == "command line"
    assert len(rows) == len(field_docs())


def test_config_command_prints_values_and_sources(in_tmp, monkeypatch, capsys):
    from interfaces.cli import main

    (in_tmp / "articleqa.toml").write_text("[retrieval]\ntop_k = 7\n", encoding="utf-8")
    monkeypatch.setenv("ARTICLEQA_ANSWER__MODE", "extractive")
    assert main(["config", "--json"]) == 0
    rows = {r["key"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert rows["retrieval.top_k"] == {"key": "retrieval.top_k", "value": 7, "source": "articleqa.toml"}
    assert rows["answer.mode"]["source"] == "environment ARTICLEQA_ANSWER__MODE"
    assert rows["store.url"] == {"key": "store.url", "value": "", "source": "default"}
    assert main(["config", "--index", "elsewhere"]) == 0
    text = capsys.readouterr().out
    assert "(articleqa.toml)" in text and "command line" in text and '"elsewhere"' in text


def test_reference_is_printed_by_the_cli(capsys):
    from interfaces.cli import main

    assert main(["config", "--reference"]) == 0
    assert capsys.readouterr().out == reference_markdown()
