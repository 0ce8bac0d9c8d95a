"""The keyword index on disk, next to the store's other files: ``<index>/keyword-<store version>/``.

A folder holds one commit's BM25 corpus as ``.npy`` arrays (memory-mapped on load) and small JSON files:
``meta.json`` (format, store version, tokenising options), ``ids.npy`` (chunk ids in the store's order),
``chunk_article.npy``, per field (``body``, ``title``) ``<field>.vocab.json`` + ``.data/.indices/.indptr.npy``,
and the body tokens of every chunk (``doc_tokens.npy``, ``doc_ptr.npy``) with a hash of the text they came from
(``doc_hash.npy``). The folder is written atomically; folders of older commits are removed after a save.

``load_or_build`` loads the folder of the store's current version. When there is none (the store changed, or it
was never saved), it builds the corpus, re-tokenising only chunks whose text the newest saved folder lacks, and
saves it. Loading and a fresh build give the same scores: the same tokens produce the same bm25s matrices.
Stores without a local folder (``store.index_dir``) get an in-memory build each time the version changes.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

import numpy as np

from qa.retrieval.keyword import BM25Corpus, BM25Field, CorpusOptions, opts_tokens

log = logging.getLogger(__name__)

PREFIX = "keyword-"
FORMAT = 1


def folder_for(store, version: str) -> Path | None:
    """Where the keyword index of ``version`` lives, or None for a store without a local folder."""
    base = getattr(store, "index_dir", None)
    if base is None or not Path(base).is_dir():
        return None
    return Path(base) / f"{PREFIX}{version}"


def _doc_hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def _meta(folder: Path) -> dict | None:
    try:
        return json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# ------------------------------------------------------------------------------------------------- saving
def _save_field(folder: Path, name: str, field: BM25Field | None) -> None:
    if field is None:
        return
    (folder / f"{name}.vocab.json").write_text(json.dumps(field.vocab, ensure_ascii=False), encoding="utf-8")
    for part in ("data", "indices", "indptr"):
        np.save(folder / f"{name}.{part}.npy", np.ascontiguousarray(getattr(field, part)))


def save(corpus: BM25Corpus, folder: Path, version: str, docs: list[list[str]], hashes: list[int]) -> None:
    """Write ``corpus`` (with its chunk tokens and their text hashes) atomically as ``folder``."""
    from articleqa.models.files import atomic_dir

    vocab = corpus.body.vocab if corpus.body is not None else {}
    flat = np.fromiter((vocab[t] for doc in docs for t in doc), dtype=np.int32)
    ptr = np.cumsum([0] + [len(d) for d in docs], dtype=np.int64)
    with atomic_dir(folder) as tmp:
        np.save(tmp / "ids.npy", np.array(corpus.ids, dtype=str) if corpus.ids else np.zeros(0, dtype="<U1"))
        np.save(tmp / "chunk_article.npy", corpus.chunk_article)
        np.save(tmp / "doc_tokens.npy", flat)
        np.save(tmp / "doc_ptr.npy", ptr)
        np.save(tmp / "doc_hash.npy", np.asarray(hashes, dtype=np.uint64))
        _save_field(tmp, "body", corpus.body)
        _save_field(tmp, "title", corpus.title)
        meta = {"format": FORMAT, "version": version, "options": corpus.options.key(), "n": len(corpus.ids),
                "fields": {f: getattr(corpus, f).num_docs for f in ("body", "title") if getattr(corpus, f)}}
        (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        os.chmod(tmp, 0o755)
    for old in folder.parent.glob(f"{PREFIX}*"):
        if old.name != folder.name and old.is_dir():
            import shutil

            shutil.rmtree(old, ignore_errors=True)


# ------------------------------------------------------------------------------------------------ loading
def _load_field(folder: Path, name: str, num_docs: int | None) -> BM25Field | None:
    if num_docs is None:
        return None
    vocab = json.loads((folder / f"{name}.vocab.json").read_text(encoding="utf-8"))
    arrays = {p: np.load(folder / f"{name}.{p}.npy", mmap_mode="r") for p in ("data", "indices", "indptr")}
    if len(arrays["indptr"]) not in (len(vocab), len(vocab) + 1):  # bm25s' "" token may have no column
        raise ValueError(f"{name}: {len(vocab)} tokens but {len(arrays['indptr'])} column pointers")
    return BM25Field(vocab, arrays["data"], arrays["indices"], arrays["indptr"], int(num_docs))


def load(folder: Path, version: str, opts: CorpusOptions) -> BM25Corpus | None:
    """The corpus saved in ``folder`` for ``version`` under ``opts``; None when it is missing or unusable."""
    meta = _meta(folder)
    if not meta or meta.get("format") != FORMAT or meta.get("version") != version or \
            meta.get("options") != opts.key():
        return None
    try:
        corpus = BM25Corpus.__new__(BM25Corpus)
        corpus.options = opts
        corpus.stopwords, corpus.stemming = opts.stopwords, opts.stemming
        corpus.title_mode, corpus.title_weight = opts.title_mode, opts.title_weight
        corpus.ids = np.load(folder / "ids.npy", mmap_mode="r")
        corpus.chunk_article = np.load(folder / "chunk_article.npy", mmap_mode="r")
        fields = meta.get("fields", {})
        corpus.body = _load_field(folder, "body", fields.get("body"))
        corpus.title = _load_field(folder, "title", fields.get("title"))
        if len(corpus.ids) != meta.get("n") or len(corpus.chunk_article) != len(corpus.ids):
            return None
        corpus._set_vocab()
        return corpus
    except (OSError, ValueError, KeyError) as e:  # truncated or foreign files: rebuild
        log.debug("keyword index %s unusable: %s", folder, e)
        return None


def _previous_tokens(base: Path, opts: CorpusOptions) -> dict[str, tuple[int, list[str]]]:
    """chunk id -> (text hash, tokens) from the newest saved folder with the same options (for re-use)."""
    folders = sorted((f for f in base.glob(f"{PREFIX}*") if f.is_dir()), key=lambda f: f.stat().st_mtime)
    for folder in reversed(folders):
        meta = _meta(folder)
        if not meta or meta.get("format") != FORMAT or meta.get("options") != opts.key():
            continue
        try:
            vocab = json.loads((folder / "body.vocab.json").read_text(encoding="utf-8")) \
                if "body" in meta.get("fields", {}) else {}
            words = [""] * len(vocab)
            for word, i in vocab.items():
                words[i] = word
            ids, flat = np.load(folder / "ids.npy"), np.load(folder / "doc_tokens.npy")
            ptr, hashes = np.load(folder / "doc_ptr.npy"), np.load(folder / "doc_hash.npy")
            return {str(cid): (int(h), [words[t] for t in flat[ptr[i]:ptr[i + 1]]])
                    for i, (cid, h) in enumerate(zip(ids, hashes))}
        except (OSError, ValueError, IndexError):
            continue
    return {}


# ------------------------------------------------------------------------------------------------ building
def build(store, opts: CorpusOptions, previous: dict[str, tuple[int, list[str]]] | None = None):
    """(corpus, docs, hashes) for every chunk of ``store``; chunks whose text hash matches ``previous`` reuse
    its tokens instead of being tokenised again."""
    from qa.retrieval.keyword import document_text

    previous = previous or {}
    titles = {a["id"]: a.get("title", "") for a in store.list_articles()}
    ids, article_ids, docs, hashes = [], [], [], []
    for chunk in store.iter_chunks():
        title = titles.get(chunk.article_id, "") if opts.title_mode == "concat" else ""
        h = _doc_hash(document_text(chunk, title))
        old = previous.get(chunk.id)
        docs.append(old[1] if old is not None and old[0] == h else opts_tokens(opts, chunk, titles))
        ids.append(chunk.id)
        article_ids.append(chunk.article_id)
        hashes.append(h)
    return BM25Corpus.from_tokens(opts, ids, article_ids, docs, titles), docs, hashes


def load_or_build(store, version: str, opts: CorpusOptions) -> BM25Corpus:
    """The keyword corpus of ``store`` at ``version``: loaded when saved, else built (incrementally) and saved."""
    folder = folder_for(store, version)
    if folder is not None:
        corpus = load(folder, version, opts)
        if corpus is not None:
            return corpus
    previous = _previous_tokens(folder.parent, opts) if folder is not None else {}
    corpus, docs, hashes = build(store, opts, previous)
    if folder is not None and os.access(folder.parent, os.W_OK) and store.version == version:
        try:
            save(corpus, folder, version, docs, hashes)
        except OSError as e:  # a cache: the next start builds it again
            log.debug("cannot save the keyword index in %s: %s", folder, e)
    return corpus
