"""`Assistant.ask` runs the chain's steps as plain calls (no langchain_core.runnables at a cold start), and
`Assistant.chain`, the same steps as a LangChain runnable, gives the same answer."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from articleqa.settings import load_settings
from tests.datapaths import REPO, SEED_DIR

QUESTION = "京東金融在哪一年實現單季盈利?"


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    from ingest import ingest_paths

    index = tmp_path_factory.mktemp("steps-index")
    settings = load_settings().with_overrides({"index_dir": str(index)})
    report = ingest_paths([SEED_DIR / "jdfinance-2018.txt"], index_dir=index, settings=settings)
    assert report.added == 1 and not report.failed
    return index


def test_runnable_gives_the_same_answer(index):
    from langchain_core.runnables import Runnable

    from qa import Assistant

    with Assistant.open(index, load_settings()) as a:
        ans = a.ask(QUESTION, mode="extractive")
        assert not ans.refused and "2017" in ans.text
        assert isinstance(a.chain, Runnable) and a.chain is a.chain
        again = a.chain.invoke({"question": QUESTION, "history": [], "mode": "extractive", "k": None,
                                "filters": None})
    assert (again.text, again.refused, again.mode) == (ans.text, ans.refused, ans.mode)
    assert [c.chunk_id for c in again.citations] == [c.chunk_id for c in ans.citations]


def test_cold_extractive_ask_imports_no_runnables(index):
    code = (
        "import sys, json\n"
        "from interfaces.cli import main\n"
        f"rc = main(['ask', {QUESTION!r}, '--mode', 'extractive', '--index', {str(index)!r}, '--json'])\n"
        "print(json.dumps({'rc': rc, 'runnables': 'langchain_core.runnables.base' in sys.modules,"
        " 'onnx': 'onnx' in sys.modules}))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.strip().splitlines()
    flags = json.loads(lines[-1])
    answer = json.loads("\n".join(lines[:-1]))
    assert flags == {"rc": 0, "runnables": False, "onnx": False}
    assert "2017" in answer["text"]
