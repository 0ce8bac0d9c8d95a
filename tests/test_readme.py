"""The README's own code, run: every fenced ```python block is executed (against a real `articleqa serve`-style
server on a free port where a block names http://127.0.0.1:7860), the ```toml block is loaded as the settings
file, every `from X import Y` the README shows (in blocks or inline) is imported, and every `articleqa ...` line
of a ```bash block names a real subcommand and real options; such a line whose inputs exist is run.

The blocks are read from README.md each time, so the test follows the README as it is rewritten."""
from __future__ import annotations

import contextlib
import io
import re
import shlex
import shutil
import sys
import traceback
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
DOC_ADDRESS = "127.0.0.1:7860"
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.M | re.S)
# articleqa lines that start a server or a database and do not return: checked, not run
NOT_RUN = {"serve", "db start", "db stop"}


def blocks(lang: str) -> list[str]:
    return [body for kind, body in FENCE.findall(README.read_text(encoding="utf-8")) if kind == lang]


def shown_imports() -> list[tuple[str, str]]:
    """(module, name) for every ``from X import A, B`` in the README, blocks and inline code alike."""
    text = README.read_text(encoding="utf-8")
    out = []
    for module, names in re.findall(r"from ([\w.]+) import ([\w, ]+)", text):
        out += [(module, n.split(" as ")[0].strip()) for n in names.split(",") if n.strip()]
    return out


def test_the_readme_has_code_to_check():
    assert blocks("python") and blocks("bash") and shown_imports()


@pytest.mark.parametrize("module,name", shown_imports())
def test_every_name_the_readme_imports_exists(module, name):
    import importlib

    assert hasattr(importlib.import_module(module), name), f"README: from {module} import {name}"


def test_the_settings_file_example_is_valid(tmp_path, monkeypatch):
    from articleqa.settings import load_settings

    for body in blocks("toml"):
        if "articleqa.toml" not in body.splitlines()[0]:
            continue
        (tmp_path / "articleqa.toml").write_text(body, encoding="utf-8")
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("ARTICLEQA_CONFIG", raising=False)
        load_settings()  # an unknown or mistyped key raises SettingsError naming it


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The web chat and the API in one app (what `articleqa serve` runs) over a copy of the sample index."""
    from interfaces.api.testing import api_in_thread
    from interfaces.webui.server import build_server
    from tests.contract_helpers import sample_store_settings

    settings = sample_store_settings("faiss", tmp_path_factory, None)
    app = build_server(settings)
    with api_in_thread(settings, app=app) as (base, _):
        yield base, settings
    app.state.demo.articleqa.base.close()


@pytest.fixture
def workdir(tmp_path, monkeypatch, server):
    """A working directory with the folders the README's examples name, holding the sample article the examples
    ask about (one article: each example that ingests embeds it in seconds)."""
    from interfaces.webui.samples import samples_dir

    for folder in ("my-articles", "news", "papers"):
        (tmp_path / folder).mkdir()
        shutil.copy(samples_dir() / "jdfinance-2018.txt", tmp_path / folder / "jdfinance-2018.txt")
    monkeypatch.chdir(tmp_path)
    for key, value in {"ARTICLEQA_MODELS__GENERATOR": "none", "ARTICLEQA_INDEX_DIR": str(server[1].index_dir),
                       "ARTICLEQA_CACHE": str(server[1].cache), "ARTICLEQA_STORE__URL": ""}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("ARTICLEQA_CONFIG", raising=False)
    return tmp_path


def test_every_python_block_runs(server, workdir):
    base = server[0].removeprefix("http://")
    ran = 0
    for i, body in enumerate(blocks("python")):
        code = body.replace(DOC_ADDRESS, base)
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                exec(compile(code, f"README.md python block {i + 1}", "exec"), {"__name__": "__readme__"})
        except Exception:  # noqa: BLE001 - the failure is the README block's, shown with its traceback
            pytest.fail(f"README python block {i + 1} failed:\n{code}\n{traceback.format_exc()}")
        assert out.getvalue().strip(), f"README python block {i + 1} printed nothing"
        ran += 1
    assert ran == len(blocks("python"))


def articleqa_lines() -> list[list[str]]:
    """The words of every `articleqa ...` command in the bash blocks (also inside ``$(...)``), comments cut."""
    out = []
    for body in blocks("bash"):
        for line in body.replace("\\\n", " ").splitlines():
            for m in re.finditer(r"(?:^|\$\(|\s)(articleqa\s[^|)#]*)", line.split(" # ")[0]):
                out.append(shlex.split(m.group(1), comments=True))
    return out


def command_of(words: list[str]):
    """(command path, its parser, the rest) for `articleqa` words; AssertionError for an unknown command."""
    import argparse

    from interfaces.cli import build_parser

    parser, path, rest = build_parser(), [], list(words[1:])
    while True:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            return " ".join(path), parser, rest
        assert rest and rest[0] in subs[0].choices, f"README: `{' '.join(words)}`: no such command"
        path.append(rest[0])
        parser = subs[0].choices[rest.pop(0)]


def test_every_documented_command_and_option_exists():
    lines = articleqa_lines()
    assert lines
    for words in lines:
        command, parser, rest = command_of(words)
        known = {s for a in parser._actions for s in a.option_strings}
        for w in rest:
            flag = w.strip("[]").split("=")[0]
            if flag.startswith("--"):
                assert flag in known, f"README: `{' '.join(words)}`: `articleqa {command}` has no {flag}"


def _runnable(command: str, rest: list[str]) -> bool:
    """A concrete line (no [optional] parts, no UPPERCASE or ... placeholders, its files present)."""
    if command in NOT_RUN or any(c in w for w in rest for c in "[]|") or "..." in " ".join(rest):
        return False
    values = [w for w in rest if not w.startswith("-")]
    return not any(re.fullmatch(r"[A-Z][A-Z_]+(\..*)?", w) for w in values)  # DIR, NAME, QUESTIONS.jsonl


def test_runnable_command_lines_run(workdir, server, monkeypatch):
    from interfaces.cli import main
    from interfaces.webui.testing import copy_index

    # the command lines write (ingest ...): into their own copy of the sample index
    monkeypatch.setenv("ARTICLEQA_INDEX_DIR", str(copy_index(Path(server[1].index_dir), workdir / "cli-index")))
    ran = []
    for words in articleqa_lines():
        command, _, rest = command_of(words)
        if not _runnable(command, rest):
            continue
        old_in, old_err = sys.stdin, sys.stderr
        sys.stdin, sys.stderr = io.StringIO(""), io.StringIO()
        try:
            code = main(words[1:])
        except SystemExit as e:
            code = e.code
        except Exception:  # noqa: BLE001
            pytest.fail(f"README: `{' '.join(words)}` raised:\n{traceback.format_exc()}")
        finally:
            err, (sys.stdin, sys.stderr) = sys.stderr.getvalue(), (old_in, old_err)
        # 0, or 1 where the command documents it (feedback export with nothing rated); never a traceback
        assert code in (0, 1) and "Traceback" not in err, f"README: `{' '.join(words)}`: exit {code}: {err}"
        ran.append(" ".join(words))
    assert ran, "no README command line was concrete enough to run"
    print("\nran:", *ran, sep="\n  ")
