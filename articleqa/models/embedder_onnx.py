"""The embedder's optional ONNX Runtime int8 backend (``settings.models.embed_backend = "onnx-int8"``).

``prepare_onnx_int8(settings, src)`` turns the prepared sentence-transformers folder ``src`` (from
``embedder.prepare_embedder``, which calls in here, so this module does not import it) into
``<cache>/models/<folder>-onnx-int8/model_int8.onnx``, offline and atomically:

1. export the BertModel (token embeddings, dynamic batch and sequence axes) with ``torch.onnx.export``;
2. fuse attention / layer norm / GELU with onnxruntime's transformer optimizer (model type ``bert``);
3. quantize dynamically to int8 (``onnxruntime.quantization.quantize_dynamic``: int8 weights per channel,
   activations quantized at run time, which suits AVX2 / AVX512-VNNI CPUs).

The folder carries a manifest naming the source weights' sha256 and the converter version: a folder made from
other weights, by an older converter or left truncated is rebuilt.

``use_onnx_int8(model, settings, src)`` then swaps the transformer inside a loaded ``SentenceTransformer`` for an
ONNX Runtime session. Tokenisation, the ``query: ``/``passage: `` prompts, length-sorted batching, mean pooling
and normalisation stay sentence-transformers' own, so callers (``embed_passages``, ``embed_query``, LangChain
wrappers) see the same object type.

Why not ``SentenceTransformer(folder, backend="onnx")``: that path needs ``optimum-onnx``, whose only release
(0.1.0) requires ``transformers<4.58`` and fails to import with the transformers 5.x that sentence-transformers 6
needs. onnxruntime and onnx alone have no such pin.

onnxruntime and onnx are optional (the ``bench`` extra): they are imported lazily, and a missing one is a
``ModelError`` that says what to install.
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from articleqa.models.files import ModelError, atomic_dir, read_manifest, sha256_file
from articleqa.settings import Settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

ONNX_FILE = "model_int8.onnx"
MANIFEST = "articleqa-onnx-manifest.json"
CONVERTER_VERSION = 1  # bump when the export or the quantisation changes: cached folders are rebuilt
OPSET = 17

_lock = threading.Lock()


def _require() -> tuple[Any, Any]:
    try:
        import onnx
        import onnxruntime
    except ImportError as e:
        raise ModelError(
            f"embed_backend 'onnx-int8' needs the optional packages onnxruntime and onnx ({e.name} is missing): "
            "pip install onnxruntime onnx  (or set models.embed_backend = \"torch\")"
        ) from e
    return onnx, onnxruntime


def onnx_dir(settings: Settings, src: Path) -> Path:
    """Where the int8 export of the model folder ``src`` lives (in the model cache, named after it)."""
    return settings.cache_dir / "models" / f"{src.name}-onnx-int8"


def _source_identity(folder: Path) -> str:
    """sha256 of the source weights: from the converter's manifest when there is one, else hashed."""
    manifest = folder / "articleqa-manifest.json"
    if manifest.exists():
        try:
            return json.loads(manifest.read_text(encoding="utf-8"))["files"]["model.safetensors"]["sha256"]
        except (KeyError, ValueError):
            pass
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (folder / name).exists():
            return sha256_file(folder / name)
    raise ModelError(f"{folder}: no model.safetensors or pytorch_model.bin to export to ONNX")


def _check(out: Path, source_sha: str) -> str | None:
    """None when ``out`` holds a complete export of ``source_sha``; otherwise what is wrong."""
    m, problem = read_manifest(out / MANIFEST)
    if m is None:
        return problem
    if m.get("converter") != CONVERTER_VERSION:
        return f"made by converter {m.get('converter')}, this is {CONVERTER_VERSION}"
    if m.get("source_sha256") != source_sha:
        return "made from other weights"
    f = out / ONNX_FILE
    if not f.exists() or f.stat().st_size != m.get("size"):
        return f"{ONNX_FILE} is missing or truncated"
    return None


def prepare_onnx_int8(settings: Settings, src: Path) -> Path:
    """Path of the int8 ONNX model for the prepared model folder ``src``, exporting and quantising it first if
    needed.

    Offline (the model folder is local; nothing is downloaded), idempotent and atomic: the folder appears whole
    or not at all."""
    _require()
    out = onnx_dir(settings, src)
    source_sha = _source_identity(src)
    with _lock:
        if _check(out, source_sha) is None:
            return out / ONNX_FILE
        with atomic_dir(out) as tmp:
            info = _export_and_quantize(src, tmp)
            size = (tmp / ONNX_FILE).stat().st_size
            manifest = {"converter": CONVERTER_VERSION, "source": str(src), "source_sha256": source_sha,
                        "size": size, "sha256": sha256_file(tmp / ONNX_FILE), **info}
            (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
            os.chmod(tmp, 0o755)
        problem = _check(out, source_sha)
        if problem is not None:  # pragma: no cover - would be a converter bug
            raise ModelError(f"{out}: fresh ONNX export fails its own manifest: {problem}")
    return out / ONNX_FILE


def _export_and_quantize(src: Path, tmp: Path) -> dict:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model
    from transformers import AutoConfig, AutoModel

    onnx, ort = _require()
    config = AutoConfig.from_pretrained(str(src), local_files_only=True)
    model = AutoModel.from_pretrained(str(src), local_files_only=True, attn_implementation="eager")
    model.eval()

    class _TokenEmbeddings(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    fp32 = tmp / "model_fp32.onnx"
    ids = torch.tensor([[0, 1000, 2000, 3000, 2], [0, 1500, 2, 1, 1]], dtype=torch.long)
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], dtype=torch.long)
    with torch.no_grad():
        torch.onnx.export(
            _TokenEmbeddings(model), (ids, mask), str(fp32), dynamo=False, opset_version=OPSET,
            input_names=["input_ids", "attention_mask"], output_names=["token_embeddings"],
            dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                          "token_embeddings": {0: "batch", 1: "seq"}},
        )
    del model
    fused = tmp / "model_fused.onnx"
    opt = optimize_model(str(fp32), model_type="bert", num_heads=int(config.num_attention_heads),
                         hidden_size=int(config.hidden_size), opt_level=1)
    opt.save_model_to_file(str(fused))
    fused_ops = {k: v for k, v in opt.get_fused_operator_statistics().items() if v}
    quantize_dynamic(str(fused), str(tmp / ONNX_FILE), weight_type=QuantType.QInt8, per_channel=True,
                     op_types_to_quantize=["MatMul", "Attention"],
                     # the fused Attention op (com.microsoft) defeats ONNX shape inference: its outputs are float
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    fp32.unlink()
    fused.unlink()
    for extra in tmp.glob("*.data"):  # external-data side files of the intermediate models
        extra.unlink()
    return {"opset": OPSET, "onnxruntime": ort.__version__, "onnx": onnx.__version__,
            "quantization": "dynamic int8, per-channel weights, MatMul+Attention", "fused": fused_ops}


def _ort_module(path: Path, config, threads: int):
    """An nn.Module that stands in for the HF model inside sentence-transformers' Transformer: same call and
    output (``last_hidden_state``), ONNX Runtime inside."""
    import numpy as np
    import onnxruntime as ort
    import torch
    from transformers.modeling_outputs import BaseModelOutput

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = max(1, threads)
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Idle worker threads sleep instead of spinning: on a small shared CPU spinning steals the other jobs' time.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])

    class OrtTokenEmbeddings(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.config = config
            self.session = session
            self.onnx_path = str(path)

        def forward(self, input_ids=None, attention_mask=None, **_: Any):
            if attention_mask is None:
                attention_mask = torch.ones_like(input_ids)
            feed = {"input_ids": input_ids.cpu().numpy().astype(np.int64),
                    "attention_mask": attention_mask.cpu().numpy().astype(np.int64)}
            (tokens,) = self.session.run(["token_embeddings"], feed)
            return BaseModelOutput(last_hidden_state=torch.from_numpy(tokens))

    return OrtTokenEmbeddings()


def use_onnx_int8(model: "SentenceTransformer", settings: Settings, src: Path) -> "SentenceTransformer":
    """Swap ``model``'s transformer (loaded from ``src``) for the int8 ONNX Runtime session (in place); returns
    ``model``."""
    path = prepare_onnx_int8(settings, src)
    first = model[0]
    inner = getattr(first, "model", None) or getattr(first, "auto_model", None)
    if inner is None or not hasattr(inner, "config"):
        raise ModelError(f"{path}: cannot attach the ONNX backend to a {type(first).__name__} module")
    threads = settings.models.n_threads or (os.cpu_count() or 1)
    first.model = _ort_module(path, inner.config, threads)
    return model


__all__ = ["prepare_onnx_int8", "use_onnx_int8", "onnx_dir", "ONNX_FILE"]
