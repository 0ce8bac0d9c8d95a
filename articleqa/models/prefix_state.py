"""llama.cpp's state after the fixed prompt prefix, saved in the model cache so that a new process loads it instead
of evaluating the prefix again (the system message and five worked examples: about 16 CPU s on 2 cores).

``warm_prefix(client, messages, evaluate, directory, model_id)`` looks for ``<directory>/<key>.bin``; when it is
there and whole, the KV cache and the evaluated tokens are restored into the ``llama_cpp.Llama`` ``client``;
otherwise ``evaluate()`` runs (the caller's warm-up call) and the state it leaves is written, atomically. The next
call shares the prefix, so ``Llama.generate`` keeps those tokens and evaluates only the rest, exactly as after a
fresh warm-up: the restored KV cache is byte for byte the one the warm-up left.

The key hashes everything the state depends on: the model (``model_id``), the prefix messages, n_ctx, n_batch,
n_threads, the KV cache types, weight repacking and llama-cpp-python's version; a changed prefix or model gets a
new file. File: MAGIC, an 8-byte header length, the header (JSON: key, n_tokens, state_size, sha256 of the rest),
the tokens (int32), the ``llama_state_get_data`` bytes. Python's scores array is not saved (it is only kept with ``logits_all``).
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Callable, Sequence

from articleqa.models.files import atomic_path

MAGIC = b"ARTICLEQA-PREFIX-STATE-1\n"


def state_key(client: Any, messages: Sequence[dict], model_id: str) -> str:
    import llama_cpp

    p = client.context_params
    parts = {"model": model_id, "messages": list(messages), "n_ctx": client.n_ctx(), "n_batch": client.n_batch,
             "n_threads": client.n_threads, "type_k": int(p.type_k), "type_v": int(p.type_v),
             "logits_all": bool(getattr(client, "_logits_all", False)), "llama_cpp": llama_cpp.__version__,
             # repacked weights (CPU_REPACK buffers) use other kernels: their KV values may differ in the last bits
             "extra_bufts": bool(getattr(client.model_params, "use_extra_bufts", True))}
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def model_identity(path: str | os.PathLike[str], pinned_sha256: str | None = None) -> str:
    """The model's pinned sha256 when known (the bundled GGUF); else its path, size and mtime (hashing 1 GB at
    every start would cost more than the prefix)."""
    if pinned_sha256:
        return f"sha256:{pinned_sha256}"
    st = Path(path).stat()
    return f"file:{Path(path).resolve()}:{st.st_size}:{st.st_mtime_ns}"


def save_state(client: Any, path: Path, key: str) -> None:
    import ctypes

    import llama_cpp
    import numpy as np

    size = llama_cpp.llama_state_get_size(client.ctx)
    buf = (ctypes.c_uint8 * int(size))()
    n = int(llama_cpp.llama_state_get_data(client.ctx, buf, size))
    if n <= 0 or n > int(size):
        raise RuntimeError(f"llama_state_get_data wrote {n} of {size} bytes")
    tokens = np.asarray(client.input_ids[: client.n_tokens], dtype=np.int32).tobytes()
    body = tokens + ctypes.string_at(buf, n)
    header = json.dumps({"key": key, "n_tokens": int(client.n_tokens), "state_size": n,
                         "sha256": hashlib.sha256(body).hexdigest()}).encode()
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(MAGIC + len(header).to_bytes(8, "little") + header)
            fh.write(body)


def _read(path: Path, key: str) -> tuple[dict, bytes] | None:
    """Header and body of a whole file for ``key``, else None."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if not data.startswith(MAGIC):
        return None
    at = len(MAGIC) + 8
    n = int.from_bytes(data[len(MAGIC) : at], "little")
    try:
        header = json.loads(data[at : at + n])
    except ValueError:
        return None
    body = data[at + n :]
    if (header.get("key") != key or len(body) != 4 * header.get("n_tokens", -1) + header.get("state_size", -1)
            or hashlib.sha256(body).hexdigest() != header.get("sha256")):
        return None
    return header, body


def load_state(client: Any, path: Path, key: str) -> bool:
    """Restore the saved prefix into ``client``; False (client untouched) when the file is missing or not whole."""
    import ctypes

    import llama_cpp
    import numpy as np

    found = _read(path, key)
    if found is None:
        return False
    header, body = found
    n_tokens, size = header["n_tokens"], header["state_size"]
    if n_tokens <= 0 or n_tokens > client.n_ctx():
        return False
    state = (ctypes.c_uint8 * size).from_buffer_copy(body, 4 * n_tokens)
    if int(llama_cpp.llama_state_set_data(client.ctx, state, size)) != size:
        client.reset()
        return False
    client.input_ids[:n_tokens] = np.frombuffer(body[: 4 * n_tokens], dtype=np.int32)
    client.n_tokens = n_tokens
    client._requires_eval = True  # the logits are not the last decode's: Llama.generate decodes before sampling
    return True


def _prune(directory: Path, keep: int) -> None:
    """Keep the ``keep`` newest state files (another prefix or model may come back)."""
    files = sorted(directory.glob("*.bin"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[max(keep, 1):]:
        old.unlink(missing_ok=True)


def warm_prefix(client: Any, messages: Sequence[dict], evaluate: Callable[[], None], directory: Path,
                model_id: str, keep: int = 4) -> str:
    """Restore the prefix state from ``directory`` ("loaded"), or ``evaluate()`` and save it ("saved"; "evaluated"
    when the file could not be written). Hold the model's lock around this."""
    key = state_key(client, messages, model_id)
    path = Path(directory) / f"{key[:40]}.bin"
    if load_state(client, path, key):
        os.utime(path)  # newest first when pruning
        return "loaded"
    evaluate()
    try:
        save_state(client, path, key)
        _prune(path.parent, keep)
    except (OSError, RuntimeError):
        return "evaluated"
    return "saved"


__all__ = ["warm_prefix", "load_state", "save_state", "state_key", "model_identity", "MAGIC"]
