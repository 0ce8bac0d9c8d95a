"""A BERT sentence encoder written directly as an ONNX graph from its weights (numpy; no torch, no export).

``build_model(weights, config, precision)`` returns an ``onnx.ModelProto`` whose inputs are ``input_ids`` and
``attention_mask`` (int64, [batch, seq]) and whose output ``sentence_embedding`` is the mean-pooled, L2-normalised
vector, the same computation as sentence-transformers' Transformer -> Pooling(mean) -> Normalize over a Hugging
Face ``BertModel`` (absolute positions from 0, token type 0, erf GELU, post-layer-norm).

``precision``:

* ``"fp32"``: every weight as float32; vectors match the torch model to float rounding.
* ``"int8"``: the six dense layers of each transformer block run as ONNX Runtime's ``DynamicQuantizeMatMul``
  (weights int8, symmetric, one scale per output column, computed here; activations quantized to uint8 per
  tensor at run time), which is what ``onnxruntime.quantization.quantize_dynamic`` produces after ORT's fusion,
  without its minutes of graph rewriting. Embedding tables, layer norms and the attention products stay float32.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

OPSET = 17
MS_DOMAIN = "com.microsoft"
_MASK_MIN = float(np.finfo(np.float32).min)


class _Graph:
    """Node and initializer lists with generated names."""

    def __init__(self) -> None:
        from onnx import helper, numpy_helper

        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes: list = []
        self.inits: list = []
        self.keep_fp32: tuple[str, ...] = ()
        self._n = 0

    def const(self, name: str, value: Any, dtype=np.float32) -> str:
        self.inits.append(self.numpy_helper.from_array(np.ascontiguousarray(np.asarray(value, dtype=dtype)), name))
        return name

    def op(self, op_type: str, *inputs: str, domain: str | None = None, **attrs: Any) -> str:
        self._n += 1
        out = f"{op_type.lower()}_{self._n}"
        self.nodes.append(self.helper.make_node(op_type, list(inputs), [out], domain=domain, **attrs))
        return out


def _strip_prefix(weights: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``bert.encoder...`` -> ``encoder...`` (checkpoints saved from a task model carry the prefix)."""
    if any(k.startswith("embeddings.") for k in weights):
        return weights
    return {k[len("bert."):]: v for k, v in weights.items() if k.startswith("bert.")}


def _linear(g: _Graph, x: str, w: dict[str, np.ndarray], name: str, precision: str) -> str:
    weight = np.asarray(w[name + ".weight"], dtype=np.float32)  # [out, in], the nn.Linear layout
    bias = g.const(name + ".bias", w[name + ".bias"])
    if precision == "fp32" or any(name.endswith(k) for k in g.keep_fp32):
        return g.op("Add", g.op("MatMul", x, g.const(name + ".weight_t", weight.T)), bias)
    scale = np.abs(weight).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(weight / scale[:, None]), -127, 127).astype(np.int8)
    return g.op(
        "DynamicQuantizeMatMul", x, g.const(name + ".weight_q", q.T, np.int8), g.const(name + ".scale", scale),
        g.const(name + ".zero_point", np.zeros_like(q[:, 0]), np.int8), bias, domain=MS_DOMAIN,
    )


def _layer_norm(g: _Graph, x: str, w: dict[str, np.ndarray], name: str, eps: float) -> str:
    return g.op("LayerNormalization", x, g.const(name + ".weight", w[name + ".weight"]),
                g.const(name + ".bias", w[name + ".bias"]), axis=-1, epsilon=eps)


def _embeddings(g: _Graph, w: dict[str, np.ndarray], eps: float) -> str:
    seq = g.op("Shape", "input_ids", start=1, end=2)  # [seq] as a 1-D tensor
    zero = g.const("zero", [0], np.int64)
    # positions 0..seq-1: the first rows of the table
    pos = g.op("Slice", g.const("position_embeddings", w["embeddings.position_embeddings.weight"]), zero, seq, zero)
    words = g.op("Gather", g.const("word_embeddings", w["embeddings.word_embeddings.weight"]), "input_ids", axis=0)
    type0 = g.const("token_type_0", w["embeddings.token_type_embeddings.weight"][0])
    x = g.op("Add", g.op("Add", words, pos), type0)
    return _layer_norm(g, x, w, "embeddings.LayerNorm", eps)


def _attention(g: _Graph, x: str, w: dict[str, np.ndarray], p: str, heads: int, hidden: int, mask_bias: str,
               precision: str) -> str:
    head_dim = hidden // heads
    split = g.const(f"{p}split_shape", [0, 0, heads, head_dim], np.int64)

    def project(name: str, perm: list[int]) -> str:
        y = _linear(g, x, w, f"{p}attention.self.{name}", precision)
        return g.op("Transpose", g.op("Reshape", y, split), perm=perm)

    q, k, v = project("query", [0, 2, 1, 3]), project("key", [0, 2, 3, 1]), project("value", [0, 2, 1, 3])
    scores = g.op("Mul", g.op("MatMul", q, k), g.const(f"{p}scale", 1.0 / math.sqrt(head_dim)))
    probs = g.op("Softmax", g.op("Add", scores, mask_bias), axis=-1)
    ctx = g.op("Transpose", g.op("MatMul", probs, v), perm=[0, 2, 1, 3])
    ctx = g.op("Reshape", ctx, g.const(f"{p}merge_shape", [0, 0, hidden], np.int64))
    return _linear(g, ctx, w, f"{p}attention.output.dense", precision)


def _gelu(g: _Graph, x: str, p: str) -> str:
    """Exact (erf) GELU, the pattern ONNX Runtime fuses into one Gelu kernel."""
    erf = g.op("Erf", g.op("Div", x, g.const(f"{p}sqrt2", math.sqrt(2.0))))
    return g.op("Mul", g.op("Mul", x, g.op("Add", erf, g.const(f"{p}one_f", 1.0))), g.const(f"{p}half", 0.5))


def _block(g: _Graph, x: str, w: dict[str, np.ndarray], i: int, cfg: dict, mask_bias: str, precision: str) -> str:
    p = f"encoder.layer.{i}."
    eps = float(cfg.get("layer_norm_eps", 1e-12))
    att = _attention(g, x, w, p, int(cfg["num_attention_heads"]), int(cfg["hidden_size"]), mask_bias, precision)
    x = _layer_norm(g, g.op("Add", att, x), w, f"{p}attention.output.LayerNorm", eps)
    h = _gelu(g, _linear(g, x, w, f"{p}intermediate.dense", precision), p)
    out = _linear(g, h, w, f"{p}output.dense", precision)
    return _layer_norm(g, g.op("Add", out, x), w, f"{p}output.LayerNorm", eps)


def _pool_and_normalize(g: _Graph, x: str, mask_f: str) -> str:
    axis1 = g.const("axis1", [1], np.int64)
    m = g.op("Unsqueeze", mask_f, g.const("axis2", [2], np.int64))
    summed = g.op("ReduceSum", g.op("Mul", x, m), axis1, keepdims=0)
    count = g.op("Max", g.op("ReduceSum", m, axis1, keepdims=0), g.const("min_count", 1e-9))
    mean = g.op("Div", summed, count)
    norm = g.op("Sqrt", g.op("ReduceSum", g.op("Mul", mean, mean), axis1, keepdims=1))
    return g.op("Div", mean, g.op("Max", norm, g.const("min_norm", 1e-12)))


def _span_logits(g: _Graph, x: str, w: dict[str, np.ndarray]) -> tuple[str, str]:
    """The span reader's head: one linear layer to [batch, seq, 2], split into start and end logits."""
    logits = g.op("Add", g.op("MatMul", x, g.const("qa_outputs.weight_t", np.asarray(w["qa_outputs.weight"]).T)),
                  g.const("qa_outputs.bias", w["qa_outputs.bias"]))
    start = g.op("Squeeze", g.op("Slice", logits, g.const("s0", [0], np.int64), g.const("s1", [1], np.int64),
                                 g.const("s_axis", [2], np.int64)), g.const("sq_axis", [2], np.int64))
    end = g.op("Squeeze", g.op("Slice", logits, g.const("e1", [1], np.int64), g.const("e2", [2], np.int64),
                               g.const("e_axis", [2], np.int64)), g.const("sq_axis_e", [2], np.int64))
    return start, end


def build_model(weights: dict[str, np.ndarray], config: dict, precision: str = "int8",
                keep_fp32: tuple[str, ...] = (), head: str = "sentence"):
    """The encoder as an ``onnx.ModelProto`` (see the module docstring). ``head="span"`` gives the span reader:
    outputs ``start_logits`` and ``end_logits`` ([batch, seq]) instead of ``sentence_embedding``."""
    from onnx import TensorProto, helper

    if precision not in ("fp32", "int8"):
        raise ValueError(f"unknown precision {precision!r}")
    w = _strip_prefix(weights)
    g = _Graph()
    g.keep_fp32 = tuple(keep_fp32)  # names of dense layers (suffixes) left in float32 in an int8 graph
    x = _embeddings(g, w, float(config.get("layer_norm_eps", 1e-12)))
    mask_f = g.op("Cast", "attention_mask", to=TensorProto.FLOAT)
    inverted = g.op("Sub", g.const("one_mask", 1.0), mask_f)
    mask_bias = g.op("Mul", g.op("Unsqueeze", inverted, g.const("axes12", [1, 2], np.int64)),
                     g.const("mask_min", _MASK_MIN))
    for i in range(int(config["num_hidden_layers"])):
        x = _block(g, x, w, i, config, mask_bias, precision)
    dims = ["batch", "seq"]
    if head == "span":
        start, end = _span_logits(g, x, w)
        g.nodes.append(helper.make_node("Identity", [start], ["start_logits"]))
        g.nodes.append(helper.make_node("Identity", [end], ["end_logits"]))
        outputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, dims) for n in ("start_logits", "end_logits")]
    elif head == "sentence":
        out = _pool_and_normalize(g, x, mask_f)
        g.nodes.append(helper.make_node("Identity", [out], ["sentence_embedding"]))
        outputs = [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT,
                                                 ["batch", int(config["hidden_size"])])]
    else:
        raise ValueError(f"unknown head {head!r}")
    graph = helper.make_graph(
        g.nodes, "sentence_encoder" if head == "sentence" else "span_reader",
        [helper.make_tensor_value_info(n, TensorProto.INT64, dims) for n in ("input_ids", "attention_mask")],
        outputs,
        initializer=g.inits,
    )
    opsets = [helper.make_opsetid("", OPSET), helper.make_opsetid(MS_DOMAIN, 1)]
    model = helper.make_model(graph, opset_imports=opsets, producer_name="articleqa")
    model.ir_version = 8
    return model
