"""jieba with its dictionary loaded by first character, on demand.

``jieba.initialize()`` unmarshals the whole prefix dictionary (about 500k entries, 0.6 CPU s) at every process
start, although a question touches a few hundred of them. `sharded_tokenizer()` gives a ``jieba.Tokenizer`` whose
``FREQ`` is a `ShardedFreq`: the same entries, split by first character into marshalled shards in one file next to
jieba's own cache, each shard unmarshalled the first time a word starting with that character is looked up. jieba
only reads ``FREQ`` with ``in``, ``[]`` and ``get``, so segmentation is exactly that of the whole dictionary
(tests/test_jieba_dict.py compares them). The file is built once from jieba's own loaded dictionary, atomically,
and named by a hash of jieba's version and dictionary file, so an upgrade builds a new one.
"""
from __future__ import annotations

import hashlib
import logging
import marshal
import os
import tempfile
from pathlib import Path
from typing import Any

MAGIC = b"ARTICLEQA-JIEBA-SHARDS-1\n"


class ShardedFreq(dict):
    """jieba's FREQ, filled one first character at a time from marshalled shards. (Read-only use: a word added
    with ``add_word`` before its shard loads would be overwritten by the dictionary's entry.)"""

    def __init__(self, data: bytes, index: dict[str, tuple[int, int]], base: int) -> None:
        super().__init__()
        self._data, self._index, self._base = data, index, base
        self._loaded: set[str] = set()

    def _load(self, ch: str) -> None:
        span = self._index.get(ch)
        if span is not None:
            start = self._base + span[0]
            dict.update(self, marshal.loads(self._data[start : start + span[1]]))
        self._loaded.add(ch)  # after the update: another thread never sees a half-loaded shard as loaded

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str) and key and key[0] not in self._loaded:
            self._load(key[0])
        return dict.__contains__(self, key)

    def __getitem__(self, key: str) -> int:
        if key and key[0] not in self._loaded:
            self._load(key[0])
        return dict.__getitem__(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        if key and key[0] not in self._loaded:
            self._load(key[0])
        return dict.get(self, key, default)


def shard_path(jieba: Any) -> Path:
    dict_file = Path(jieba.__file__).with_name(jieba.DEFAULT_DICT_NAME)
    st = dict_file.stat()
    ident = f"{jieba.__version__}|{dict_file}|{st.st_size}|{st.st_mtime_ns}"
    folder = Path(jieba.dt.tmp_dir or tempfile.gettempdir())
    return folder / f"articleqa-jieba-{hashlib.sha256(ident.encode()).hexdigest()[:16]}.shards"


def write_shards(freq: dict[str, int], total: int, path: Path) -> None:
    """Write ``freq`` split by first character, with ``total``, to ``path`` atomically."""
    groups: dict[str, dict[str, int]] = {}
    for word, n in freq.items():
        if word:
            groups.setdefault(word[0], {})[word] = n
    blobs, index, at = [], {}, 0
    for ch, group in groups.items():
        blob = marshal.dumps(group)
        index[ch] = (at, len(blob))
        blobs.append(blob)
        at += len(blob)
    head = marshal.dumps((index, int(total), at))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(MAGIC + len(head).to_bytes(8, "little") + head + b"".join(blobs))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_shards(path: Path) -> tuple[ShardedFreq, int] | None:
    try:
        data = path.read_bytes()
        if not data.startswith(MAGIC):
            return None
        at = len(MAGIC) + 8
        n = int.from_bytes(data[len(MAGIC) : at], "little")
        index, total, size = marshal.loads(data[at : at + n])
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if len(data) != at + n + size:  # cut short (or grown): rebuild rather than fail on a later lookup
        return None
    return ShardedFreq(data, index, at + n), total


def sharded_tokenizer(path: Path | None = None) -> Any:
    """A ready ``jieba.Tokenizer`` on the sharded dictionary at ``path`` (default `shard_path`; built from jieba's
    whole dictionary on first use). Falls back to jieba's own tokenizer when the file cannot be written."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    path = path or shard_path(jieba)
    found = read_shards(path)
    if found is None:
        jieba.dt.initialize()
        try:
            write_shards(jieba.dt.FREQ, jieba.dt.total, path)
        except OSError:
            return jieba.dt
        found = read_shards(path)
        if found is None:
            return jieba.dt
    tk = jieba.Tokenizer()
    tk.FREQ, tk.total = found
    tk.initialized = True
    return tk


__all__ = ["ShardedFreq", "sharded_tokenizer", "read_shards", "write_shards", "shard_path"]
