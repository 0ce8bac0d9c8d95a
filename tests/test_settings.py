"""Settings: a typo is an error naming the key and where it was set (articleqa.toml, a variable, an override)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import BaseModel

from articleqa.settings import Settings, SettingsError, load_settings
from tests.datapaths import REPO


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Run in an empty folder (articleqa.toml is read from the working directory), with no ARTICLEQA_ variables."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.upper().startswith("ARTICLEQA_"):
            monkeypatch.delenv(name)
    return tmp_path


def test_every_section_forbids_unknown_keys():
    assert Settings.model_config["extra"] == "forbid"
    sections = [f.annotation for f in Settings.model_fields.values()
                if isinstance(f.annotation, type) and issubclass(f.annotation, BaseModel)]
    assert len(sections) >= 6
    for section in sections:
        assert section.model_config.get("extra") == "forbid", section.__name__


def test_toml_values_are_read(in_tmp):
    (in_tmp / "articleqa.toml").write_text("index_dir = 'idx'\n[retrieval]\ntop_k = 8\n", encoding="utf-8")
    s = Settings()
    assert s.retrieval.top_k == 8 and str(s.index_dir) == "idx"


def test_unknown_nested_key_in_toml_names_the_file_and_key(in_tmp):
    (in_tmp / "articleqa.toml").write_text("[retrieval]\ntopk = 8\n", encoding="utf-8")
    with pytest.raises(SettingsError) as e:
        Settings()
    assert str(e.value) == "articleqa.toml: 'retrieval.topk': unknown setting"


def test_unknown_top_level_key_in_toml(in_tmp):
    (in_tmp / "articleqa.toml").write_text("index_dri = 'idx'\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"^articleqa.toml: 'index_dri': unknown setting$"):
        Settings()


def test_unknown_section_in_toml(in_tmp):
    (in_tmp / "articleqa.toml").write_text("[retreival]\ntop_k = 8\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"^articleqa.toml: 'retreival': unknown setting$"):
        Settings()


def test_bad_value_in_toml_names_the_file(in_tmp):
    (in_tmp / "articleqa.toml").write_text("[retrieval]\ntop_k = 'many'\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"^articleqa.toml: 'retrieval.top_k': Input should be a valid integer"):
        Settings()


def test_unknown_key_in_env_names_the_variable(in_tmp, monkeypatch):
    monkeypatch.setenv("ARTICLEQA_RETRIEVAL__TOPK", "8")
    with pytest.raises(SettingsError) as e:
        Settings()
    assert str(e.value) == "environment variable ARTICLEQA_RETRIEVAL__TOPK: 'retrieval.topk': unknown setting"


def test_unknown_section_in_env_names_the_variable(in_tmp, monkeypatch):
    monkeypatch.setenv("ARTICLEQA_RETREIVAL__TOP_K", "8")
    with pytest.raises(SettingsError) as e:
        Settings()
    assert str(e.value) == "environment variable ARTICLEQA_RETREIVAL__TOP_K: unknown settings section 'retreival'"


def test_known_env_values_still_work(in_tmp, monkeypatch):
    monkeypatch.setenv("ARTICLEQA_RETRIEVAL__TOP_K", "7")
    monkeypatch.setenv("ARTICLEQA_CONFIG", "elsewhere.toml")  # plain ARTICLEQA_ names outside settings are fine
    assert Settings().retrieval.top_k == 7


def test_overrides_reject_unknown_keys(in_tmp):
    assert load_settings(**{"retrieval.top_k": 9}).retrieval.top_k == 9
    with pytest.raises(SettingsError, match=r"^override: 'retrieval.topk': unknown setting$"):
        load_settings(**{"retrieval.topk": 9})
    with pytest.raises(SettingsError, match=r"^override: 'retreival.top_k': unknown setting$"):
        Settings().with_overrides({"retreival.top_k": 9})
    with pytest.raises(SettingsError, match=r"^argument: 'foo': unknown setting$"):
        Settings(foo=1)


def test_cli_prints_the_error_in_one_line(in_tmp):
    (in_tmp / "articleqa.toml").write_text("[answer]\nmod = 'llm'\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "interfaces.cli", "ask", "anything"], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 2, run
    assert run.stderr.strip() == "error: articleqa.toml: 'answer.mod': unknown setting"


def test_web_app_prints_the_error_in_one_line(in_tmp):
    (in_tmp / "articleqa.toml").write_text("[server]\nprot = 7861\n", encoding="utf-8")
    run = subprocess.run([sys.executable, str(REPO / "app.py")], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, run
    assert run.stderr.strip() == "error: articleqa.toml: 'server.prot': unknown setting"
