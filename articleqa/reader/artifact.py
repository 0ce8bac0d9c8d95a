"""The shipped reader weights: what training changed, stored small, and put back over the bundled base.

The trained model is the e5 base plus a start/end head. Training leaves the embeddings as they are, so the
artifact holds only the encoder layers and the head, each 2-D matrix as an int8 *delta* over the base with one
float16 scale per row (the error is a fraction of the change, not of the weight), each 1-D tensor (biases, layer
norms, the head) in float32: 16.2 MB for the 9 trained layers of the shipped reader (21 MB if all 12 train);
``READER_SHA256`` pins the file the repository ships.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from articleqa.models.files import ModelError, sha256_file

WEIGHTS_DIR = Path(__file__).parent / "weights"
WEIGHTS_FILE = WEIGHTS_DIR / "reader-e5-small.safetensors"
# Pinned: written by `python -m articleqa.reader.train --ship` (README, "The span reader").
READER_SHA256 = "b1c22a744f9621ae07a5433ba232c297622e4e0ccb3de90ff418b51eb5e56567"
FROZEN_PREFIXES = ("embeddings.",)


def _plain(name: str) -> str:
    """``bert.encoder.layer.0...`` / ``encoder.layer.0...`` -> ``encoder.layer.0...`` (head names kept)."""
    for prefix in ("bert.", "roberta.", "model."):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def freeze_for_training(model, freeze_layers: int = 0) -> None:
    """Freeze the embeddings (and the bottom ``freeze_layers`` encoder layers): the artifact does not store them."""
    for name, param in model.named_parameters():
        plain = _plain(name)
        frozen = plain.startswith(FROZEN_PREFIXES) or plain.startswith("pooler.")
        for i in range(freeze_layers):
            frozen |= plain.startswith(f"encoder.layer.{i}.")
        param.requires_grad = not frozen


def _base_weights(base: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return {_plain(k): v for k, v in load_file(str(base / "model.safetensors")).items()}


def write(state_dict, base: Path, meta: dict, path: Path = WEIGHTS_FILE) -> Path:
    """Store the trained tensors that differ from ``base`` (see the module docstring)."""
    from safetensors.numpy import save_file

    ref = _base_weights(base)
    out: dict[str, np.ndarray] = {}
    for name, tensor in state_dict.items():
        plain = _plain(name)
        value = tensor.detach().cpu().float().numpy()
        if plain.startswith(FROZEN_PREFIXES) or plain.startswith("pooler."):
            continue
        if plain in ref and value.ndim == 2:
            delta = value - ref[plain]
            if not np.any(delta):
                continue
            scale = np.abs(delta).max(axis=1) / 127.0
            scale[scale == 0] = 1.0
            out[plain + ".dq"] = np.round(delta / scale[:, None]).astype(np.int8)
            out[plain + ".ds"] = scale.astype(np.float16)
        elif plain not in ref or not np.array_equal(value, ref[plain]):
            out[plain] = value.astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(out, str(path), metadata={"training": json.dumps(meta, ensure_ascii=False)})
    return path


def training_meta(path: Path = WEIGHTS_FILE) -> dict:
    from safetensors import safe_open

    with safe_open(str(path), "np") as fh:
        return json.loads((fh.metadata() or {}).get("training", "{}"))


def check(path: Path = WEIGHTS_FILE, expected: str = READER_SHA256) -> str:
    """The file's sha256; a clear error when the shipped file is missing or is not the pinned one."""
    if not path.is_file():
        raise ModelError(f"{path}: reader weights not found (retrain: python -m articleqa.reader.train --ship)")
    got = sha256_file(path)
    if expected and got != expected:
        raise ModelError(f"{path}: sha256 {got[:12]}..., expected {expected[:12]}... (a changed or truncated "
                         "file; restore it from git or retrain)")
    return got


def trained_weights(base: Path, path: Path = WEIGHTS_FILE, expected: str = READER_SHA256) -> dict[str, np.ndarray]:
    """The reader's full weights (plain names, float32): the base with the stored deltas and tensors applied."""
    from safetensors.numpy import load_file

    check(path, expected)
    weights = _base_weights(base)
    stored = load_file(str(path))
    for name, value in stored.items():
        if name.endswith(".dq"):
            plain = name[:-3]
            scale = stored[plain + ".ds"].astype(np.float32)
            weights[plain] = weights[plain] + value.astype(np.float32) * scale[:, None]
        elif not name.endswith(".ds"):
            weights[name] = value
    if "qa_outputs.weight" not in weights:
        raise ModelError(f"{path}: no span head (qa_outputs) in the reader weights")
    return weights
