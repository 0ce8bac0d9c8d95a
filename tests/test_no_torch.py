"""The default path runs without the torch stack (`pip install .` without extras installs none of it): ingest, the
web app of `make run` and extractive answers with torch, transformers and sentence-transformers made unimportable;
the torch backend asked for without them is a one-line error naming the extra."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.datapaths import REPO, SEED_DIR

# Runs the CLI with an import hook that refuses the torch stack, as if it were not installed.
_NO_TORCH = """
import importlib.abc, sys
class NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"torch", "transformers", "sentence_transformers"}:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, NoTorch())
"""
_LOADED = 'assert not [m for m in sys.modules if m.split(".")[0] in {"torch", "transformers", "sentence_transformers"}]'
_BLOCKED_CLI = _NO_TORCH + f"""
from interfaces.cli import main
code = main(sys.argv[1:])
{_LOADED}
sys.exit(code)
"""
# `make run` (app.py): the web chat built and its assistant opened on an index, without the torch stack.
_BLOCKED_APP = _NO_TORCH + f"""
import app
from articleqa.settings import load_settings
from qa import Assistant
settings = load_settings(index_dir=sys.argv[1])
demo = app.build_app(settings)
assistant = Assistant.open(sys.argv[1], settings)
answer = assistant.ask("京東金融在哪一年實現單季盈利?", mode="extractive")
assert "2017" in answer.text, answer.text
{_LOADED}
"""


def _cli(*args: str, env: dict[str, str] | None = None, script: str = _BLOCKED_CLI
         ) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "ARTICLEQA_MODELS__DEVICE": "cpu", **(env or {})}
    return subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True,
                          timeout=600, env=env, cwd=REPO)


def test_ingest_and_extractive_answer_without_torch(tmp_path):
    index = str(tmp_path / "index")
    ingest = _cli("ingest", str(SEED_DIR / "jdfinance-2018.txt"), "--index", index)
    assert ingest.returncode == 0, ingest.stderr
    ask = _cli("ask", "京東金融在哪一年實現單季盈利?", "--index", index, "--mode", "extractive", "--json")
    assert ask.returncode == 0, ask.stderr
    answer = json.loads(ask.stdout)
    assert "2017" in answer["text"] and answer["citations"] and not answer["refused"]
    web = _cli(index, script=_BLOCKED_APP)
    assert web.returncode == 0, web.stderr


def test_torch_backend_without_torch_is_a_clear_error(tmp_path):
    index = str(tmp_path / "index")
    run = _cli("ingest", str(SEED_DIR / "jdfinance-2018.txt"), "--index", index,
               env={"ARTICLEQA_MODELS__EMBED_BACKEND": "torch"})
    assert run.returncode != 0
    assert "pip install 'articleqa[gpu]'" in run.stderr
    assert "Traceback" not in run.stderr
