"""The embedder on ONNX Runtime, without torch: ``settings.models.embed_backend = "onnx-int8"`` or ``"onnx-fp32"``.

``prepare_onnx(settings)`` writes ``<cache>/models/<folder>-onnx-<precision>/model.onnx`` from the prepared
sentence-transformers folder (``embedder.prepare_embedder``): the graph is written directly from the safetensors
weights by ``onnx_graph.build_model`` (numpy + onnx; no torch export, no optimizer pass, no quantization tool),
which takes seconds instead of the minutes ``torch.onnx.export`` + ``quantize_dynamic`` took. The folder is
written atomically with a manifest (converter version, the source weights' sha256, the file's size and sha256);
a folder made from other weights, by another converter version, truncated or edited is rebuilt. A stamp of the
verified file's size and mtime spares re-hashing on every start.

``OnnxEmbedder`` is what ``load_embedder`` returns for these backends: ``tokenizers`` (Rust) for the tokenizer
from the folder's ``tokenizer.json``, an ONNX Runtime session, and ``encode()`` / ``prompts`` /
``get_embedding_dimension()`` shaped like sentence-transformers', so ``embed_passages`` and ``embed_query`` treat
both alike. Neither this module nor the session imports torch, transformers or sentence-transformers.

Only BERT-architecture models with mean pooling (the default e5 model and its kin) can take this path; others
get a ``ModelError`` that says to use ``embed_backend = "torch"``.
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from articleqa.models.files import ModelError, atomic_dir, read_manifest, sha256_file
from articleqa.settings import Settings

ONNX_FILE = "model.onnx"
DATA_FILE = "model.onnx.data"  # the weights, beside the graph: ONNX Runtime memory-maps them (0.2 s, not 2 s)
MANIFEST = "articleqa-onnx-manifest.json"
STAMP = ".articleqa-verified.json"
CONVERTER_VERSION = 3  # 3: weights in model.onnx.data; 2: graph written from the weights; 1: torch.onnx.export
PRECISIONS = {"onnx-int8": "int8", "onnx-fp32": "fp32"}
E5_PROMPTS = {"query": "query: ", "passage": "passage: "}

_lock = threading.Lock()


def _require() -> None:
    """Both packages installed? Found without importing them: onnx (0.1 CPU s with protobuf) is only needed to
    build the graph, and ONNX Runtime is imported by the loader thread."""
    import importlib.util

    for name in ("onnxruntime", "onnx"):
        if importlib.util.find_spec(name) is None:
            raise ModelError(
                f"embed_backend 'onnx-int8' / 'onnx-fp32' need the packages onnxruntime and onnx ({name} is missing): "
                "pip install onnxruntime onnx  (or set models.embed_backend = \"torch\")")


def _precision(settings: Settings) -> str:
    backend = settings.models.embed_backend
    if backend not in PRECISIONS:
        raise ModelError(f"embed_backend {backend!r} is not an ONNX backend ({', '.join(PRECISIONS)})")
    return PRECISIONS[backend]


def onnx_dir(settings: Settings, source: Path) -> Path:
    """Where the ONNX graph of the configured backend, built from the converted folder ``source``, lives."""
    return settings.cache_dir / "models" / f"{source.name}-onnx-{_precision(settings)}"


def _source_identity(folder: Path) -> str:
    """sha256 of the source weights: from the converter's manifest when there is one, else hashed."""
    manifest = folder / "articleqa-manifest.json"
    if manifest.exists():
        try:
            return json.loads(manifest.read_text(encoding="utf-8"))["files"]["model.safetensors"]["sha256"]
        except (KeyError, ValueError):
            pass
    if (folder / "model.safetensors").exists():
        return sha256_file(folder / "model.safetensors")
    raise ModelError(f"{folder}: no model.safetensors to build the ONNX graph from (use embed_backend \"torch\")")


def _check(out: Path, source_sha: str, full: bool = True) -> str | None:
    """None when ``out`` holds a complete graph built from ``source_sha``; otherwise what is wrong."""
    m, problem = read_manifest(out / MANIFEST)
    if m is None:
        return problem
    if m.get("converter") != CONVERTER_VERSION:
        return f"made by converter {m.get('converter')}, this is {CONVERTER_VERSION}"
    if m.get("source_sha256") != source_sha:
        return "made from other weights"
    files = m.get("files") or {}
    stats = {}
    for name in (ONNX_FILE, DATA_FILE):
        try:
            stats[name] = (out / name).stat()
        except OSError:
            return f"{name} is missing"
        if stats[name].st_size != files.get(name, {}).get("size"):
            return f"{name} is truncated ({stats[name].st_size} of {files.get(name, {}).get('size')} bytes)"
    if not full:
        return None
    stamp = {name: [st.st_size, st.st_mtime_ns] for name, st in stats.items()}
    try:
        if json.loads((out / STAMP).read_text()) == stamp:
            return None
    except (OSError, ValueError):
        pass
    for name in stats:
        if sha256_file(out / name) != files[name].get("sha256"):
            return f"{name} does not match its sha256"
    try:
        (out / STAMP).write_text(json.dumps(stamp))
    except OSError:
        pass  # a read-only cache: verified all the same
    return None


def _read_source(src: Path) -> tuple[dict, dict]:
    """(weights, config) of a BERT sentence-transformers folder, refusing what the graph cannot express."""
    from safetensors.numpy import load_file

    try:
        config = json.loads((src / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ModelError(f"{src / 'config.json'}: cannot read ({e})") from e
    if config.get("model_type") != "bert":
        raise ModelError(f"{src}: model type {config.get('model_type')!r}; the ONNX backends support BERT models "
                         "only (set models.embed_backend = \"torch\")")
    pooling = src / "1_Pooling" / "config.json"
    if pooling.exists() and not json.loads(pooling.read_text(encoding="utf-8")).get("pooling_mode_mean_tokens"):
        raise ModelError(f"{pooling}: only mean pooling is supported by the ONNX backends (use \"torch\")")
    return load_file(str(src / "model.safetensors")), config


def prepare_onnx(settings: Settings, src: Path, progress=None) -> Path:
    """Path of the ONNX graph of the configured backend built from ``src`` (the prepared sentence-transformers
    folder, from `articleqa.models.embedder.prepare_embedder`), building it first if needed (seconds).

    Offline, idempotent and atomic: the folder appears whole or not at all."""
    from articleqa.progress import notify

    precision = _precision(settings)
    _require()
    out = onnx_dir(settings, src)
    source_sha = _source_identity(src)
    with _lock:
        if _check(out, source_sha) is None:
            return out / ONNX_FILE
        label = f"embedder onnx-{precision}"
        notify(progress, label, 0, 2, unit="step")
        _build(src, out, source_sha, precision)
        notify(progress, label, 2, 2, unit="step")
        problem = _check(out, source_sha)
        if problem is not None:  # pragma: no cover - would be a converter bug
            raise ModelError(f"{out}: fresh ONNX graph fails its own manifest: {problem}")
    return out / ONNX_FILE


def _build(src: Path, out: Path, source_sha: str, precision: str) -> None:
    import onnx

    from articleqa.models.onnx_graph import build_model

    weights, config = _read_source(src)
    model = build_model(weights, config, precision)
    del weights
    with atomic_dir(out) as tmp:
        onnx.save_model(model, str(tmp / ONNX_FILE), save_as_external_data=True, all_tensors_to_one_file=True,
                        location=DATA_FILE, size_threshold=1024)
        del model
        files = {}
        for name in (ONNX_FILE, DATA_FILE):
            os.chmod(tmp / name, 0o644)
            files[name] = {"size": (tmp / name).stat().st_size, "sha256": sha256_file(tmp / name)}
        manifest = {"converter": CONVERTER_VERSION, "source": str(src), "source_sha256": source_sha,
                    "precision": precision, "files": files, "onnx": onnx.__version__}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        stamp = {name: [(tmp / name).stat().st_size, (tmp / name).stat().st_mtime_ns] for name in files}
        (tmp / STAMP).write_text(json.dumps(stamp))
        os.chmod(tmp, 0o755)


# ------------------------------------------------------------------------------------------------- runtime
def _folder_json(src: Path, name: str) -> dict:
    try:
        return json.loads((src / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


class OnnxEmbedder:
    """A sentence encoder on an ONNX Runtime session, shaped like the parts of ``SentenceTransformer`` we use."""

    def __init__(self, onnx_path: Path, source: Path, threads: int, backend: str) -> None:
        self.backend = backend
        self.onnx_path = str(onnx_path)
        config = _folder_json(source, "config.json")
        self.dim = int(config.get("hidden_size", 0))
        self.pad_id = int(config.get("pad_token_id") or 0)
        self.max_seq_length = int(_folder_json(source, "sentence_bert_config.json").get("max_seq_length") or 512)
        prompts = _folder_json(source, "config_sentence_transformers.json").get("prompts") or {}
        self.prompts = dict(prompts) or (dict(E5_PROMPTS) if "e5" in source.name.lower() else {})
        # The tokenizer (250k pieces: a second or more) and the session load in the background, so that a CLI
        # start goes on with the index and the rest while they do; the first encode() waits for them.
        self._parts: dict[str, Any] = {}
        self._loader = threading.Thread(target=self._load, args=(source, threads), name="articleqa-onnx-load",
                                        daemon=True)
        self._loader.start()

    def _load(self, source: Path, threads: int) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(source / "tokenizer.json"))
            tokenizer.no_padding()
            tokenizer.enable_truncation(self.max_seq_length)
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = max(1, int(threads))
            opts.inter_op_num_threads = 1
            opts.log_severity_level = 3  # errors only: ORT's shape-merge warnings are noise on every start
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            # Idle worker threads sleep instead of spinning: spinning steals a small shared CPU from other jobs.
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
            session = ort.InferenceSession(self.onnx_path, sess_options=opts, providers=["CPUExecutionProvider"])
            self._parts.update(tokenizer=tokenizer, session=session)
        except BaseException as e:  # noqa: BLE001 - raised again where the model is used
            self._parts["error"] = e

    def _part(self, name: str) -> Any:
        self._loader.join()
        if "error" in self._parts:
            raise ModelError(f"{self.onnx_path}: cannot load ({self._parts['error']})") from self._parts["error"]
        return self._parts[name]

    @property
    def tokenizer(self):
        return self._part("tokenizer")

    @property
    def session(self):
        return self._part("session")

    def get_embedding_dimension(self) -> int:
        return self.dim

    def token_counts(self, texts: Sequence[str], prompt: str = "") -> list[int]:
        """Tokens per text as the model will see it (prompt, special tokens, truncation)."""
        return [len(e.ids) for e in self.tokenizer.encode_batch([prompt + t for t in texts])]

    def encode(self, sentences: str | Sequence[str], batch_size: int = 32, normalize_embeddings: bool = True,
               convert_to_numpy: bool = True, show_progress_bar: bool = False, prompt_name: str | None = None,
               prompt: str | None = None, **_: Any) -> np.ndarray:
        """L2-normalised float32 vectors, [n, dim] (or [dim] for one string), in the input order."""
        if isinstance(sentences, str):
            return self.encode([sentences], batch_size, prompt_name=prompt_name, prompt=prompt)[0]
        prefix = prompt if prompt is not None else self.prompts.get(prompt_name or "", "")
        encodings = self.tokenizer.encode_batch([prefix + str(s) for s in sentences])
        out = np.zeros((len(encodings), self.dim), dtype=np.float32)
        order = sorted(range(len(encodings)), key=lambda i: -len(encodings[i].ids))
        step = max(1, int(batch_size))
        for lo in range(0, len(order), step):
            idx = order[lo : lo + step]
            width = max(len(encodings[i].ids) for i in idx)
            ids = np.full((len(idx), width), self.pad_id, dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            (vecs,) = self.session.run(["sentence_embedding"], {"input_ids": ids, "attention_mask": mask})
            out[idx] = vecs
        return out


_models: dict[str, OnnxEmbedder] = {}


def load_onnx_embedder(settings: Settings, src: Path) -> OnnxEmbedder:
    """The configured embedder on ONNX Runtime (graph built from the prepared folder ``src`` on first use), loaded
    once per process."""
    path = prepare_onnx(settings, src)
    threads = settings.models.embed_threads or (os.cpu_count() or 1)
    key = f"{path}|{threads}"
    with _lock:
        model = _models.get(key)
        if model is None:
            model = _models[key] = OnnxEmbedder(path, src, threads,
                                                settings.models.embed_backend)
        return model


__all__ = ["OnnxEmbedder", "prepare_onnx", "load_onnx_embedder", "onnx_dir", "ONNX_FILE"]
