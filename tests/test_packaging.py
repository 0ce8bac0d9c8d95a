"""`pip install .` (no extras, not editable) carries what the default path reads: a wheel built from a copy of this
checkout holds every data file of the runtime packages (the sample articles that seed an empty index on `make run`,
the span reader's weights), and its requirements name no part of the torch stack."""
from __future__ import annotations

import email
import shutil
import subprocess
import sys
import zipfile

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.datapaths import REPO

RUNTIME_PACKAGES = ("articleqa", "ingest", "qa", "interfaces")
TORCH_STACK = {"torch", "transformers", "sentence-transformers", "accelerate"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """The wheel `pip wheel --no-deps` builds (from a copy, so that no build/ or egg-info lands in the checkout)."""
    src, out = tmp_path_factory.mktemp("src") / "articleqa", tmp_path_factory.mktemp("wheel")
    shutil.copytree(REPO, src, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", "__pycache__", "*.egg-info", "build", ".pytest_cache", "index"))
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                          "-w", str(out), str(src)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    (built,) = out.glob("articleqa-*.whl")
    with zipfile.ZipFile(built) as zf:
        yield zf


def test_every_data_file_of_the_runtime_packages_is_in_the_wheel(wheel):
    names = set(wheel.namelist())
    data = sorted(str(p.relative_to(REPO)) for package in RUNTIME_PACKAGES for p in (REPO / package).rglob("*")
                  if p.is_file() and p.suffix not in {".py", ".pyc"} and "__pycache__" not in p.parts)
    assert "articleqa/samples/articles.jsonl" in data
    assert [f for f in data if f not in names] == []


def test_the_samples_are_found_inside_the_package():
    import articleqa
    from interfaces.webui.samples import sample_paths, samples_dir

    assert samples_dir().parent == REPO / "articleqa" == type(REPO)(articleqa.__file__).parent
    assert {p.name for p in sample_paths()} == {"articles.jsonl", "jdfinance-2018.txt"}


def test_the_torch_stack_is_only_in_extras(wheel):
    (metadata,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    requires = [Requirement(r) for r in email.message_from_bytes(wheel.read(metadata)).get_all("Requires-Dist")]
    plain = {canonicalize_name(r.name) for r in requires if r.marker is None}
    assert "numpy" in plain and "llama-cpp-python" in plain
    assert plain & TORCH_STACK == set()
