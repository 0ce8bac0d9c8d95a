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

Three phases: *plan* (read each file, compare with the manifest, clean and chunk what is new) runs in a
background thread and hands each new article to *embed* (`ingest.embed.EmbedStage`, in the calling thread, which
loads the model only once there is something to embed); *write* then stores everything inside the transaction.
``workers`` (``ingest --workers N``) is the number of cores the embedder uses (0: all); 1 also turns the overlap
off (plan, then embed, in one thread).

Known limit: when a file's article changes and another file was linked to it as an exact duplicate, the other
file now refers to the new text (duplicates share one stored article).
"""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
import threading
from typing import Any, Callable, Iterable, Sequence

from articleqa.progress import Progress, notify
from articleqa.types import Article, Chunk
from ingest.chunk import CHUNKER_VERSION, chunk_article, embedding_text
from ingest.errors import IngestError
from ingest.report import IngestReport

log = logging.getLogger(__name__)


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
    vectors: Any = None  # set by the embed phase


@dataclass
class _FilePlan:
    key: str
    digest: str
    complete: bool
    article_ids: list[str] = field(default_factory=list)
    pending: list[_Pending] = field(default_factory=list)
    reuse: list[tuple[Article, str]] = field(default_factory=list)  # metadata-only change: (article, old id)


@dataclass
class _Run:
    """What the phases of one run share."""

    store: Any
    settings: Any
    report: IngestReport
    progress: Progress | None
    encoding: Any
    collection: str
    seen_hash: dict[str, str] = field(default_factory=dict)  # content hash -> article id met in this run
    claimed: dict[str, str] = field(default_factory=dict)  # article id -> content hash it holds after this run


def _in_collection(store, src: dict[str, Any], collection: str) -> bool:
    """Whether every stored article of a manifest entry is in ``collection`` already."""
    arts = (store.get_article(a) for a in src["article_ids"])
    return all(a is None or a.collection == collection for a in arts)


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


# ---------------------------------------------------------------------------------------------------- plan
def _load_file(run: _Run, path: Path) -> tuple[str, list[Article], bool, dict | None] | None:
    """(digest, articles, complete, manifest entry) of a file that needs looking at; None if unchanged or bad."""
    from ingest.loaders import load_path

    key, report = str(path), run.report
    try:
        digest = file_hash(path)
    except OSError as e:
        report.failed.append((key, f"{key}: cannot read ({e.strerror or e})"))
        return None
    src = run.store.get_source(key)
    if src and src["complete"] and src["file_hash"] == digest and _in_collection(run.store, src, run.collection):
        report.unchanged += len(src["article_ids"])
        return None
    complete = True
    bad_lines: list[IngestError] = []
    try:
        articles = load_path(path, run.settings, errors=bad_lines)
    except IngestError as e:
        report.failed.append((key, str(e)))
        articles, complete = list(e.partial or []), False
    except Exception as e:  # a loader bug must not sink the other files
        log.debug("loader crashed on %s", key, exc_info=True)
        report.failed.append((key, f"{key}: cannot load ({type(e).__name__}: {' '.join(str(e).split())})"))
        return None
    for e in bad_lines:  # jsonl lines that could not be read: the good lines still go in
        report.failed.append((key, str(e)))
        complete = False
    if not articles:
        if complete:
            report.failed.append((key, f"{key}: no articles found"))
        return None
    return digest, articles, complete, src


def _plan_article(run: _Run, plan: _FilePlan, art: Article, src: dict | None, emit: Callable) -> None:
    """Decide what one article needs (nothing, a manifest link, a metadata update, or chunks to embed)."""
    report, store = run.report, run.store
    art.path, art.collection = plan.key, run.collection
    h = art.content_hash = text_hash(art.text)
    if h in run.seen_hash:  # the same text already came from an earlier file or line of this run
        report.duplicates += 1
        plan.article_ids.append(run.seen_hash[h])
        return
    if art.id in run.claimed:  # another text under the same id in this run: keep both
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
        run.seen_hash[h], run.claimed[art.id] = art.id, h
        plan.article_ids.append(art.id)
        return
    stored = store.find_by_content_hash(h)
    if stored is not None and stored != art.id and stored not in run.claimed:
        report.duplicates += 1  # stored once, under the id it already has
        run.seen_hash[h] = stored
        plan.article_ids.append(stored)
        return
    chunks = chunk_article(art, run.settings, run.encoding, art.headings or None)
    if not chunks:
        report.failed.append((plan.key, f"{plan.key}: article {art.id!r} has no text after cleaning"))
        plan.complete = False
        return
    pend = _Pending(art, chunks, [embedding_text(art, c) for c in chunks], replaces=old is not None)
    plan.pending.append(pend)
    emit(pend)
    plan.article_ids.append(art.id)
    run.seen_hash[h], run.claimed[art.id] = art.id, h


def _plan(run: _Run, files: list[Path], emit: Callable, stop: threading.Event | None = None) -> list[_FilePlan]:
    """Read every file and plan it; each article that needs embedding goes to ``emit`` as soon as it is chunked."""
    plans: list[_FilePlan] = []
    for n, path in enumerate(files):
        if stop is not None and stop.is_set():
            break
        notify(run.progress, "read", n, len(files), unit="file", message=f"reading {path.name}")
        loaded = _load_file(run, path)
        if loaded is None:
            continue
        digest, articles, complete, src = loaded
        plan = _FilePlan(key=str(path), digest=digest, complete=complete)
        for art in articles:
            _plan_article(run, plan, art, src, emit)
        plans.append(plan)
    notify(run.progress, "read", len(files), len(files), unit="file", message=f"read {len(files)} files")
    return plans


# --------------------------------------------------------------------------------------------------- embed
def _load_model(run: _Run, rebuild: bool):
    from articleqa.models.embedder import load_embedder
    from ingest.embed import embedding_dim

    notify(run.progress, "load-model", 0, 1, message="loading the embedder")
    model = load_embedder(run.settings)
    if not rebuild:
        check_compatible(run.store.meta, run.settings, dim=int(embedding_dim(model)))
    notify(run.progress, "load-model", 1, 1, message="embedder loaded")
    return model


def _plan_and_embed(run: _Run, files: list[Path], rebuild: bool, overlap: bool) -> list[_FilePlan]:
    """The plan phase in a background thread (or first, without ``overlap``) feeding the embed phase here."""
    from articleqa.models.device import plan_device
    from ingest.embed import EmbedStage

    dev = plan_device(run.settings)
    budget = run.settings.models.embed_batch_tokens if dev.device == "cpu" else None
    stage = EmbedStage(dev.batch_size, budget, run.progress)
    result: dict[str, Any] = {}
    stop = threading.Event()

    def produce() -> None:
        try:
            result["plans"] = _plan(run, files, stage.put, stop)
        except BaseException as e:  # noqa: BLE001 - re-raised in the calling thread
            result["error"] = e
        finally:
            stage.close()

    worker = threading.Thread(target=produce, name="articleqa-ingest-plan", daemon=True)
    try:
        if overlap:
            worker.start()
        else:
            produce()
        stage.run(lambda: _load_model(run, rebuild), stop)
    finally:
        stop.set()
        if overlap:
            worker.join()
        stage.finish()
    if "error" in result:
        raise result["error"]
    run.report.embed_seconds = stage.seconds
    return result.get("plans", [])


# --------------------------------------------------------------------------------------------------- write
def _write(run: _Run, plans: list[_FilePlan]) -> bool:
    """Store every planned article and manifest entry (inside the run's transaction); True if anything changed."""
    store, report = run.store, run.report
    notify(run.progress, "write", 0, len(plans), unit="file", message="writing the index")
    changed = False
    for plan in plans:
        src = store.get_source(plan.key)
        for pend in plan.pending:
            store.add(pend.article, pend.chunks, pend.vectors)
            report.chunks += len(pend.chunks)
            report.updated += pend.replaces
            report.added += not pend.replaces
        for art, old_id in plan.reuse:
            chunks = store.chunks_of(old_id)
            store.add(art, chunks, store.get_vectors([c.id for c in chunks]))
            report.updated += 1
        before = list(src["article_ids"]) if src else []
        store.set_source(plan.key, plan.digest if plan.complete else "", plan.article_ids, complete=plan.complete)
        changed = True
        gone = store.delete_orphans([a for a in before if a not in set(plan.article_ids)])
        # Ids of page/text articles are hashes of their text, so an edited file yields a new id: from the
        # file's point of view that is its article updated, not one added and one deleted.
        paired = min(sum(1 for pend in plan.pending if not pend.replaces), len(gone))
        report.added -= paired
        report.updated += paired
        report.deleted += len(gone) - paired
    return changed


def _prune(run: _Run) -> bool:
    changed = False
    for src in run.store.list_sources():
        if not Path(src["path"]).exists():
            run.store.delete_source(src["path"])
            run.report.deleted += len(run.store.delete_orphans(src["article_ids"]))
            changed = True
    return changed


# ----------------------------------------------------------------------------------------------------- run
def ingest_paths(
    paths: Sequence[str | Path] | str | Path,
    index_dir: str | Path | None = None,
    settings=None,
    progress: Progress | None = None,
    prune: bool = False,
    rebuild: bool = False,
    workers: int | None = None,
    on_commit: Callable[[Any], None] | None = None,
    collection: str | None = None,
) -> IngestReport:
    """Ingest files/directories into the index at ``index_dir`` (default ``settings.index_dir``).

    ``workers``: cores for the embedder (None: ``models.embed_threads``; 0: all; 1 also plans and embeds in turn).
    ``on_commit(store)`` runs after a commit that changed the index, with the store still open (the CLI builds
    the keyword index there). Raises IndexMismatch (index built with another embedder/chunking; nothing changed)
    and StoreError (the index cannot be opened or is being written by another process). Bad input files do not
    raise: they are listed in ``report.failed``. Articles go into ``collection`` (default
    ``settings.store.collection``); an unchanged file ingested into another collection moves its articles there
    (no re-embedding)."""
    from articleqa.models.tokenizer import get_encoding
    from articleqa.settings import load_settings
    from articleqa.store import open_store

    settings = settings or load_settings()
    if workers is not None:
        settings = settings.with_overrides({"models.embed_threads": int(workers)})
    if isinstance(paths, (str, Path)):
        paths = [paths]
    index_dir = Path(index_dir if index_dir is not None else settings.index_dir).expanduser()
    t0 = time.monotonic()
    report = IngestReport(index_dir=str(index_dir))
    files = _expand(paths, report)
    report.files = len(files)
    with open_store(index_dir, settings, create=True) as store:
        store.begin()  # take the writer role now: a concurrent ingest fails before any work
        if rebuild:
            store.clear()
        else:
            check_compatible(store.meta, settings)
        run = _Run(store, settings, report, progress, get_encoding(settings),
                   collection or settings.store.collection)
        plans = _plan_and_embed(run, files, rebuild, overlap=settings.models.embed_threads != 1)
        changed = _write(run, plans) | (_prune(run) if prune else False) | rebuild
        if changed:
            store.set_meta(dict(index_identity(settings)))
            store.commit()
            if on_commit is not None:
                try:
                    on_commit(store)
                except Exception as e:  # the ingest is committed; a failed extra (a cache) must not undo that
                    log.warning("after the commit: %s: %s", type(e).__name__, e)
        else:
            store.rollback()
        m = store.meta
        report.total_articles = int(m.get("n_articles", 0))
        report.total_chunks = int(m.get("n_chunks", 0))
    report.seconds = time.monotonic() - t0
    notify(progress, "done", 1, 1, message=f"done: {report.summary()}")
    return report
