"""The ONNX Runtime embedder backends: graph written from the weights in seconds, cached with a manifest, atomic;
fp32 gives torch's vectors, int8 stays within int8 error; neither imports torch."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from articleqa.models.files import ModelError
from articleqa.settings import Settings, load_settings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEXTS = ["京東金融在2017年實現單季盈利。", "The Normans were the people who gave their name to Normandy.", "短",
         "台北是臺灣的首都，人口約兩百五十萬。" * 8, "  spaced  text\twith\ttabs ", "ǅ ⅻ 𝔘𝔫𝔦 😀 ﾃｽﾄ", "詞" * 700]


def _settings(backend: str, **more) -> Settings:
    return load_settings(**{"models.embed_backend": backend, **more})


@pytest.fixture(scope="module")
def clean_cache(tmp_path_factory):
    """A cache with only the converted e5 folder (linked from the usual cache), so the graph is built from zero."""
    from articleqa.models.embedder import prepare_embedder

    folder = prepare_embedder(Settings())
    cache = tmp_path_factory.mktemp("cache")
    (cache / "models").mkdir()
    (cache / "models" / folder.name).symlink_to(folder, target_is_directory=True)
    return cache


def test_missing_onnxruntime_is_a_clear_error(monkeypatch, clean_cache):
    from articleqa.models import embedder_onnx

    # None in sys.modules is how Python marks a module as not importable: both `import` and find_spec see it missing
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(ModelError, match="pip install onnxruntime onnx"):
        embedder_onnx.prepare_onnx(_settings("onnx-int8"), clean_cache / "models" / "multilingual-e5-small")


@pytest.mark.parametrize("backend", ["onnx-int8", "onnx-fp32"])
def test_graph_is_built_fast_cached_and_checked(clean_cache, backend):
    from articleqa.models import embedder_onnx as eo

    from articleqa.models.embedder import prepare_embedder

    s = _settings(backend, cache=str(clean_cache))
    src = prepare_embedder(s)
    t = time.monotonic()
    path = eo.prepare_onnx(s, src)
    assert time.monotonic() - t < 60  # the budget, on the 2-core machine
    manifest = json.loads((path.parent / eo.MANIFEST).read_text())
    data = path.parent / eo.DATA_FILE
    size = manifest["files"][eo.DATA_FILE]["size"]
    assert manifest["files"][eo.ONNX_FILE]["size"] == path.stat().st_size and data.stat().st_size == size
    assert manifest["converter"] == eo.CONVERTER_VERSION and manifest["precision"] == eo.PRECISIONS[backend]
    assert not list(path.parent.parent.glob(f".{path.parent.name}.*"))  # no temporary folder left behind
    mtime = data.stat().st_mtime_ns
    assert eo.prepare_onnx(s, src) == path and data.stat().st_mtime_ns == mtime  # intact: not rebuilt
    assert eo._check(path.parent, "0" * 64) == "made from other weights"
    with open(data, "r+b") as fh:  # truncated: rebuilt
        fh.truncate(size // 2)
    assert "truncated" in eo._check(path.parent, manifest["source_sha256"])
    assert eo.prepare_onnx(s, src) == path and data.stat().st_size == size
    mtime = data.stat().st_mtime_ns
    with open(data, "r+b") as fh:  # same size, edited, newer mtime: re-hashed and rebuilt
        fh.seek(size // 2)
        byte = fh.read(1)
        fh.seek(size // 2)
        fh.write(bytes([byte[0] ^ 0xFF]))
    os.utime(data, ns=(mtime, mtime + 5_000_000_000))
    assert eo._check(path.parent, manifest["source_sha256"]) == f"{eo.DATA_FILE} does not match its sha256"
    eo.prepare_onnx(s, src)
    assert eo._check(path.parent, manifest["source_sha256"]) is None


@pytest.fixture(scope="module")
def vectors():
    from articleqa.models.embedder import embed_passages, embed_query, load_embedder

    out = {}
    for backend in ("torch", "onnx-fp32", "onnx-int8"):
        model = load_embedder(_settings(backend, **{"models.device": "cpu"}))
        out[backend] = (embed_passages(model, TEXTS), embed_query(model, "京東金融哪一年盈利?"), model)
    return out


def test_tokens_match_sentence_transformers(vectors):
    st, onnx = vectors["torch"][2], vectors["onnx-fp32"][2]
    for text in TEXTS:
        want = st.tokenizer("passage: " + text, truncation=True, max_length=st.max_seq_length)["input_ids"]
        got = onnx.tokenizer.encode("passage: " + text).ids
        assert got == want, text


def test_fp32_gives_torch_vectors(vectors):
    a, qa, _ = vectors["torch"]
    b, qb, model = vectors["onnx-fp32"]
    assert type(model).__name__ == "OnnxEmbedder"
    assert b.shape == a.shape and b.dtype == np.float32
    assert np.abs(a - b).max() < 1e-4
    assert np.abs(qa - qb).max() < 1e-4


def test_int8_is_close_and_ranks_the_same(vectors):
    a, qa, _ = vectors["torch"]
    b, qb, _ = vectors["onnx-int8"]
    assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-4)
    cos = (a * b).sum(axis=1)
    assert cos.min() > 0.97, cos
    assert int(np.argmax(b @ qb)) == int(np.argmax(a @ qa)) == 0


def test_onnx_backend_never_imports_torch():
    code = ("import sys; from articleqa.settings import load_settings; from articleqa.models.embedder import "
            "load_embedder, embed_query; m = load_embedder(load_settings(**{'models.embed_backend': 'onnx-int8', "
            "'models.device': 'cpu'})); v = embed_query(m, '台北'); "
            "print(v.shape[0], [k for k in ('torch', 'transformers', 'sentence_transformers') if k in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=os.environ,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "384 []", out.stdout
