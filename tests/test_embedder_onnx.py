"""The optional ONNX int8 embedder backend: export once, offline, atomically; same vectors within int8 error."""
from __future__ import annotations

import builtins
import json

import numpy as np
import pytest

from articleqa.models.files import ModelError
from articleqa.settings import load_settings


def _settings(backend: str):
    return load_settings(**{"models.embed_backend": backend})


def test_missing_onnxruntime_is_a_clear_error(monkeypatch, tmp_path):
    from articleqa.models import embedder_onnx

    real_import = builtins.__import__

    def fake_import(name, *a, **kw):
        if name.split(".")[0] == "onnxruntime":
            raise ImportError("No module named 'onnxruntime'", name="onnxruntime")
        return real_import(name, *a, **kw)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ModelError, match="pip install onnxruntime onnx"):
        embedder_onnx.prepare_onnx_int8(_settings("onnx-int8"), tmp_path)


def test_settings_default_is_torch():
    assert load_settings().models.embed_backend == "torch"


def test_export_is_cached_checked_and_close_to_torch():
    from articleqa.models import embedder_onnx as eo
    from articleqa.models.embedder import embed_passages, embed_query, load_embedder, prepare_embedder

    s = _settings("onnx-int8")
    src = prepare_embedder(s)
    path = eo.prepare_onnx_int8(s, src)  # minutes the first time on 2 cores, then cached (onnxruntime required)
    assert path.name == eo.ONNX_FILE and path.stat().st_size > 1_000_000
    manifest = json.loads((path.parent / eo.MANIFEST).read_text())
    assert manifest["size"] == path.stat().st_size and manifest["converter"] == eo.CONVERTER_VERSION
    mtime = path.stat().st_mtime_ns
    assert eo.prepare_onnx_int8(s, src) == path and path.stat().st_mtime_ns == mtime  # not rebuilt

    # a manifest naming other weights or a truncated file is not trusted
    assert eo._check(path.parent, "0" * 64) == "made from other weights"
    assert eo._check(path.parent, manifest["source_sha256"]) is None

    torch_model = load_embedder(_settings("torch"))
    onnx_model = load_embedder(s)
    assert onnx_model is not torch_model
    assert type(onnx_model[0].model).__name__ == "OrtTokenEmbeddings"
    texts = ["京東金融在2017年實現單季盈利。", "The Normans were the people who gave their name to Normandy.",
             "短", "台北是臺灣的首都，人口約兩百五十萬。" * 8]
    a = embed_passages(torch_model, texts)
    b = embed_passages(onnx_model, texts)
    assert b.shape == a.shape and b.dtype == np.float32
    assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-4)
    cos = (a * b).sum(axis=1)
    assert cos.min() > 0.98, cos
    q = embed_query(onnx_model, "京東金融哪一年盈利?")
    # the query still ranks the right passage first
    assert int(np.argmax(b @ q)) == 0
