"""``ingest_paths``: files -> articles -> chunks -> vectors -> the store, incrementally and atomically.

One run is one store transaction: either everything it read is committed at the end, or (on a crash, an
interrupt or an unexpected error) nothing is, and the previous index stays as it was.

Incremental: the store's manifest maps each source file (absolute path) to its content hash and the articles it
yielded. A file whose hash is unchanged is not even read. A changed file is read again; each of its articles is
compared with the stored one (cleaned-text hash and title) and only new or changed articles are chunked and
embedded; articles the file no longer yields are deleted (unless another file still yields them). Articles whose
cleaned text is already stored (under another id, from any file) are stored once: the manifest just links the
file to the existing article.

Bad input: a file that cannot be read or parsed is reported as ``(path, one-line message)`` and skipped; what was
stored from it before stays. A file with some bad records (jsonl) contributes its good records and is
re-examined on the next run (its manifest entry is marked incomplete).

An index made with another embedding model/dimension or other chunking settings is refused (``IndexMismatch``)
with a message suggesting ``--rebuild``; ``rebuild=True`` clears it in the same transaction, so a rebuild that
dies half-way leaves the old index.

Known limit: when a file's article changes and another file was linked to it as an exact duplicate, the other
file now refers to the new text (duplicates share one stored article).
"""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from articleqa.types import Article, Chunk
from ingest.chunk import CHUNKER_VERSION, chunk_article, embedding_text
from ingest.errors import IngestError
from ingest.report import IngestReport

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]


class IndexMismatch(RuntimeError):
    """The index was built with another embedder or other chunking settings."""


def index_identity(settings) -> dict[str, Any]:
    """The meta entries that must match between an index and the settings that add to it."""
    c = settings.chunking
    return {
        "embedder": settings.models.embedder,
        "chunking": {"size": int(c.size), "overlap": int(c.overlap), "encoding": c.encoding,
                     "chunker": CHUNKER_VERSION},
    }


def check_compatible(meta: dict[str, Any], settings, dim: int | None = None) -> None:
    """Raise IndexMismatch when ``meta`` (an existing index's) disagrees with ``settings`` (or ``dim``)."""
    want = index_identity(settings)
    problems = []
    if meta.get("embedder") not in (None, want["embedder"]):
        problems.append(f"it was built with embedder {meta['embedder']!r}, the settings name {want['embedder']!r}")
    if dim is not None and meta.get("dim") not in (None, dim):
        problems.append(f"its vectors have dimension {meta['dim']}, the embedder gives {dim}")
    have_chunking = meta.get("chunking")
    if have_chunking is not None and have_chunking != want["chunking"]:
        diff = ", ".join(f"{k} {have_chunking.get(k)!r} -> {v!r}" for k, v in want["chunking"].items()
                         if have_chunking.get(k) != v)
        problems.append(f"its chunking settings differ ({diff})")
    if problems:
        raise IndexMismatch(
            "the index cannot take these articles: " + "; ".join(problems)
            + ". Re-ingest everything into a fresh index with `articleqa ingest --rebuild PATH...` "
              "(or use another --index directory)."
        )


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


@dataclass
class _Pending:
    article: Article
    chunks: list[Chunk]
    texts: list[str]
    replaces: bool  # an article with this id was stored before


@dataclass
class _FilePlan:
    key: str
    digest: str
    complete: bool
    article_ids: list[str] = field(default_factory=list)
    pending: list[_Pending] = field(default_factory=list)
    reuse: list[tuple[Article, str]] = field(default_factory=list)  # metadata-only change: (article, old id)


def _notify(progress: Progress | None, done: int, total: int, message: str) -> None:
    if progress is not None:
        try:
            progress(done, total, message)
        except Exception:  # a broken progress callback must not lose an ingest
            log.exception("progress callback failed")


def _expand(paths: Iterable[str | Path], report: IngestReport) -> list[Path]:
    from ingest.loaders import expand_paths

    files: list[Path] = []
    for p in paths:
        try:
            files.extend(expand_paths([p]))
        except IngestError as e:
            report.failed.append((e.path, str(e)))
        except OSError as e:
            report.failed.append((str(p), f"{p}: {e.strerror or e}"))
    seen: set[Path] = set()
    out = []
    for f in files:
        r = Path(f).resolve()
        if r not in seen:
            seen.add(r)
            out.append(r)
    return out


def _in_collection(store, src: dict[str, Any], collection: str) -> bool:
    """Whether every stored article of a manifest entry is in ``collection`` already."""
    arts = (store.get_article(a) for a in src["article_ids"])
    return all(a is None or a.collection == collection for a in arts)


def ingest_paths(
    paths: Sequence[str | Path] | str | Path,
    index_dir: str | Path | None = None,
    settings=None,
    progress: Progress | None = None,
    prune: bool = False,
    rebuild: bool = False,
    collection: str | None = None,
) -> IngestReport:
    """Ingest files/directories into the index at ``index_dir`` (default ``settings.index_dir``).

    Raises IndexMismatch (index built with another embedder/chunking; nothing changed) and StoreError (the index
    cannot be opened or is being written by another process). Bad input files do not raise: they are listed in
    ``report.failed``. Articles go into ``collection`` (default ``settings.store.collection``); an unchanged file
    ingested into another collection moves its articles there (no re-embedding)."""
    from articleqa.models.tokenizer import get_encoding
    from articleqa.settings import load_settings
    from articleqa.store import open_store
    from ingest.loaders import load_path

    settings = settings or load_settings()
    if isinstance(paths, (str, Path)):
        paths = [paths]
    index_dir = Path(index_dir if index_dir is not None else settings.index_dir).expanduser()
    t0 = time.monotonic()
    report = IngestReport(index_dir=str(index_dir))
    files = _expand(paths, report)
    report.files = len(files)
    encoding = get_encoding(settings)
    collection = collection or settings.store.collection

    with open_store(index_dir, settings, create=True) as store:
        store.begin()  # take the writer role now: a concurrent ingest fails before any work
        changed = False
        if rebuild:
            store.clear()
            changed = True
        else:
            check_compatible(store.meta, settings)

        # ---- 1. read, compare with the manifest, chunk what is new
        plans: list[_FilePlan] = []
        seen_hash: dict[str, str] = {}  # content hash -> article id, for every article met in this run
        claimed: dict[str, str] = {}  # article id -> content hash it holds after this run
        for n, path in enumerate(files):
            key = str(path)
            _notify(progress, n, len(files), f"reading {path.name}")
            try:
                digest = file_hash(path)
            except OSError as e:
                report.failed.append((key, f"{key}: cannot read ({e.strerror or e})"))
                continue
            src = store.get_source(key)
            if src and src["complete"] and src["file_hash"] == digest and _in_collection(store, src, collection):
                report.unchanged += len(src["article_ids"])
                continue
            complete = True
            bad_lines: list[IngestError] = []
            try:
                articles = load_path(path, settings, errors=bad_lines)
            except IngestError as e:
                report.failed.append((key, str(e)))
                articles, complete = list(e.partial or []), False
            except Exception as e:  # a loader bug must not sink the other files
                log.debug("loader crashed on %s", key, exc_info=True)
                report.failed.append((key, f"{key}: cannot load ({type(e).__name__}: {' '.join(str(e).split())})"))
                continue
            for e in bad_lines:  # jsonl lines that could not be read: the good lines still go in
                report.failed.append((key, str(e)))
                complete = False
            if not articles:
                if complete:
                    report.failed.append((key, f"{key}: no articles found"))
                continue
            plan = _FilePlan(key=key, digest=digest, complete=complete)
            for art in articles:
                art.path, art.collection = key, collection
                h = art.content_hash = text_hash(art.text)
                if h in seen_hash:  # the same text already came from an earlier file or line of this run
                    report.duplicates += 1
                    plan.article_ids.append(seen_hash[h])
                    continue
                if art.id in claimed:  # another text under the same id in this run: keep both
                    art.id = f"{art.id}~{h[:8]}"
                old = store.get_article(art.id)
                if old is not None and old.content_hash == h and old.title == art.title:
                    if (old.source, old.url, old.date, old.author, old.lang, old.collection) != \
                            (art.source, art.url, art.date, art.author, art.lang, art.collection):
                        plan.reuse.append((art, art.id))  # metadata only: keep the stored chunks and vectors
                    elif src is None or art.id not in src["article_ids"]:
                        report.duplicates += 1  # stored already, from another file
                    else:
                        report.unchanged += 1
                    seen_hash[h], claimed[art.id] = art.id, h
                    plan.article_ids.append(art.id)
                    continue
                stored = store.find_by_content_hash(h)
                if stored is not None and stored != art.id and stored not in claimed:
                    report.duplicates += 1  # stored once, under the id it already has
                    seen_hash[h] = stored
                    plan.article_ids.append(stored)
                    continue
                chunks = chunk_article(art, settings, encoding, art.headings or None)
                if not chunks:
                    report.failed.append((key, f"{key}: article {art.id!r} has no text after cleaning"))
                    plan.complete = False
                    continue
                texts = [embedding_text(art, c) for c in chunks]
                plan.pending.append(_Pending(art, chunks, texts, replaces=old is not None))
                plan.article_ids.append(art.id)
                seen_hash[h], claimed[art.id] = art.id, h
            plans.append(plan)
        _notify(progress, len(files), len(files), f"read {len(files)} files")

        # ---- 2. embed everything new in one length-sorted pass
        all_texts = [t for p in plans for a in p.pending for t in a.texts]
        vectors = None
        if all_texts:
            from articleqa.models.embedder import load_embedder
            from ingest.embed import embed_texts, embedding_dim

            _notify(progress, 0, len(all_texts), "loading the embedder")
            model = load_embedder(settings)
            dim = int(embedding_dim(model))
            if not rebuild:
                check_compatible(store.meta, settings, dim=dim)
            t_embed = time.monotonic()
            vectors = embed_texts(model, all_texts, settings.models.embed_batch_size, progress=progress)
            report.embed_seconds = time.monotonic() - t_embed

        # ---- 3. write (inside the store transaction)
        _notify(progress, 0, 1, "writing the index")
        offset = 0
        for plan in plans:
            src = store.get_source(plan.key)
            for pend in plan.pending:
                n = len(pend.chunks)
                store.add(pend.article, pend.chunks, vectors[offset : offset + n])
                offset += n
                report.chunks += n
                if pend.replaces:
                    report.updated += 1
                else:
                    report.added += 1
                changed = True
            for art, old_id in plan.reuse:
                chunks = store.chunks_of(old_id)
                store.add(art, chunks, store.get_vectors([c.id for c in chunks]))
                report.updated += 1
                changed = True
            before = list(src["article_ids"]) if src else []
            store.set_source(plan.key, plan.digest if plan.complete else "", plan.article_ids, complete=plan.complete)
            changed = True
            gone = store.delete_orphans([a for a in before if a not in set(plan.article_ids)])
            # Ids of page/text articles are hashes of their text, so an edited file yields a new id: from the
            # file's point of view that is its article updated, not one added and one deleted.
            added_here = sum(1 for pend in plan.pending if not pend.replaces)
            paired = min(added_here, len(gone))
            report.added -= paired
            report.updated += paired
            report.deleted += len(gone) - paired

        if prune:
            for src in store.list_sources():
                if not Path(src["path"]).exists():
                    store.delete_source(src["path"])
                    report.deleted += len(store.delete_orphans(src["article_ids"]))
                    changed = True

        if changed:
            meta = dict(index_identity(settings))
            store.set_meta(meta)
            store.commit()
        else:
            store.rollback()
        m = store.meta
        report.total_articles = int(m.get("n_articles", 0))
        report.total_chunks = int(m.get("n_chunks", 0))
    report.seconds = time.monotonic() - t0
    _notify(progress, 1, 1, f"done: {report.summary()}")
    return report
