"""The REST endpoints: /api/ask, /api/search, /api/articles (list, read, upload as a job, delete), /api/jobs,
/api/health."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from ingest.formats import SUPPORTED_EXTENSIONS as UPLOAD_SUFFIXES  # the loaders' own list
from interfaces.api.errors import ApiError
from interfaces.api.jobs import upload_folder
from interfaces.api.schemas import ArticlesIn, AskRequest, SearchRequest
from interfaces.api.service import ApiService
from interfaces.library import ingest_into

_SAFE_NAME = re.compile(r"[^\w.\-]+", re.UNICODE)

UPLOAD_DOC = {"requestBody": {"content": {
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
        "collection": {"type": "string"}}, "required": ["files"]}},
    "application/json": {"schema": ArticlesIn.model_json_schema(ref_template="#/components/schemas/{model}")},
}}}


def build_router(service: ApiService, auth) -> APIRouter:
    r = APIRouter(prefix="/api", dependencies=[auth], tags=["REST"])

    @r.post("/ask", summary="Answer a question: the Answer as JSON")
    async def ask(req: AskRequest) -> dict[str, Any]:
        answer = await run_in_threadpool(service.ask, req.collection, req.question, list(req.history), req.mode,
                                         req.top_k, req.as_of)
        return answer.to_dict()

    @r.post("/search", summary="Passages only, best first")
    async def search(req: SearchRequest) -> dict[str, Any]:
        passages = await run_in_threadpool(service.search, req.collection, req.query, req.k, req.filters)
        return {"query": req.query, "passages": [p.to_dict() for p in passages]}

    @r.get("/articles", summary="The articles of a collection")
    async def list_articles(collection: str | None = None) -> dict[str, Any]:
        rows = await run_in_threadpool(lambda: service.assistant(collection).list_articles())
        return {"articles": rows}

    @r.get("/articles/{article_id}", summary="One article with its cleaned text")
    async def get_article(article_id: str, collection: str | None = None) -> dict[str, Any]:
        article = await run_in_threadpool(lambda: service.assistant(collection).article(article_id))
        if article is None:
            raise ApiError(404, f"article {article_id!r} does not exist")
        return article.to_dict()

    @r.delete("/articles/{article_id}", summary="Delete an article")
    async def delete_article(article_id: str, collection: str | None = None) -> dict[str, Any]:
        assistant = service.assistant(collection)
        if await run_in_threadpool(assistant.article, article_id) is None:
            raise ApiError(404, f"article {article_id!r} does not exist")
        await run_in_threadpool(assistant.delete_article, article_id)
        return {"deleted": article_id}

    @r.post("/articles", status_code=202, openapi_extra=UPLOAD_DOC,
            summary="Add articles (files as multipart, or JSON): an ingest job to poll at /api/jobs/{id}")
    async def upload(request: Request) -> dict[str, Any]:
        folder = upload_folder()
        try:
            if request.headers.get("content-type", "").startswith("multipart/form-data"):
                names, collection = await _save_files(request, folder, service.settings.server.upload_max_mb)
            else:
                names, collection = await _save_json(request, folder)
            assistant = service.assistant(collection)
            job = service.jobs.submit(collection or "articleqa", folder, names,
                                      lambda paths, progress: ingest_into(assistant, paths, progress=progress))
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        if job is None:
            shutil.rmtree(folder, ignore_errors=True)
            raise ApiError(429, f"{service.jobs.max_pending} ingest jobs are already queued or running; "
                                "poll them and try again")
        return job.to_dict()

    @r.get("/jobs/{job_id}", summary="An ingest job: state, progress, report")
    async def job(job_id: str) -> dict[str, Any]:
        found = service.jobs.get(job_id)
        if found is None:
            raise ApiError(404, f"job {job_id!r} does not exist")
        return found.to_dict()

    return r


def health_router(service: ApiService) -> APIRouter:
    r = APIRouter(prefix="/api", tags=["REST"])

    @r.get("/health", summary="Liveness, article count, the local model's queue (no key needed)")
    async def health() -> dict[str, Any]:
        a = service.assistant(None)
        n = await run_in_threadpool(lambda: len(a.list_articles()))
        q = service.queue
        return {"status": "ok", "articles": n, "collections": sorted(service.collections()),
                "generator": service.settings.models.generator, "mode": service.settings.answer.mode,
                "model_queue": {"in_flight": q.tickets, "queue_limit": q.max_waiting},
                "jobs_pending": service.jobs.pending(), "keys_required": service.require_key}

    return r


async def _save_files(request: Request, folder: Path, max_mb: float) -> tuple[list[str], str | None]:
    try:
        form = await request.form()
    except Exception as e:  # noqa: BLE001 - a malformed multipart body
        raise ApiError(400, f"could not read the multipart body: {e}") from e
    files = [f for f in form.getlist("files") if hasattr(f, "filename")]
    if not files:
        raise ApiError(400, "files: send one or more files in the multipart field 'files'")
    names = []
    for f in files:
        name = _SAFE_NAME.sub("_", Path(f.filename or "upload").name).lstrip(".") or "upload"
        if Path(name).suffix.lower() not in UPLOAD_SUFFIXES:
            raise ApiError(400, f"{f.filename}: not a supported type (use {' '.join(UPLOAD_SUFFIXES)})")
        data = await f.read()
        if len(data) > max_mb * 1024 * 1024:
            raise ApiError(413, f"{f.filename}: {len(data) / 1048576:.1f} MB is over the {max_mb:g} MB limit")
        (folder / name).write_bytes(data)
        names.append(name)
    collection = form.get("collection")
    return names, collection if isinstance(collection, str) and collection else None


async def _save_json(request: Request, folder: Path) -> tuple[list[str], str | None]:
    try:
        body = ArticlesIn.model_validate(json.loads(await request.body()))
    except ValueError as e:
        first = str(e).splitlines()[0]
        raise ApiError(400, f"expected JSON {{'articles': [{{'title', 'text', ...}}]}} or multipart files: "
                            f"{first}") from e
    lines = [json.dumps(a.model_dump(exclude_none=True), ensure_ascii=False) for a in body.articles]
    (folder / "articles.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ["articles.jsonl"], body.collection
