"""``ARTICLEQA_CONFIG`` is read when settings are loaded, not when `articleqa.settings` is imported: a process
that sets it later (a test, an app embedding articleqa) gets its file (on main it got the one named at import)."""
from __future__ import annotations

import pytest

import articleqa.settings as settings_module
from articleqa.settings import SettingsError, load_settings


def test_config_named_after_import_is_read(tmp_path, monkeypatch):
    assert settings_module  # imported above, before the variable is set
    monkeypatch.delenv("ARTICLEQA_RETRIEVAL__TOP_K", raising=False)
    first = tmp_path / "first.toml"
    first.write_text("[retrieval]\ntop_k = 7\n", encoding="utf-8")
    monkeypatch.setenv("ARTICLEQA_CONFIG", str(first))
    assert load_settings().retrieval.top_k == 7
    second = tmp_path / "second.toml"
    second.write_text("[retrieval]\ntop_k = 9\n", encoding="utf-8")
    monkeypatch.setenv("ARTICLEQA_CONFIG", str(second))
    assert load_settings().retrieval.top_k == 9
    assert load_settings().with_overrides({"retrieval.top_k": 3}).retrieval.top_k == 3  # flags still win


def test_a_bad_key_names_the_file_set_later(tmp_path, monkeypatch):
    bad = tmp_path / "typo.toml"
    bad.write_text("[retrieval]\ntopk = 7\n", encoding="utf-8")
    monkeypatch.setenv("ARTICLEQA_CONFIG", str(bad))
    with pytest.raises(SettingsError, match=r"typo\.toml: 'retrieval\.topk': unknown setting"):
        load_settings()
