"""OpenAI-compatible endpoints: POST /v1/chat/completions (streaming and not) and GET /v1/models."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from interfaces.api.chat import completion, split_messages, stream_completion
from interfaces.api.schemas import ChatRequest
from interfaces.api.service import ApiService, checked_as_of


def build_router(service: ApiService, auth) -> APIRouter:
    r = APIRouter(prefix="/v1", dependencies=[auth], tags=["OpenAI-compatible"])

    @r.get("/models", summary="The collections, as models (with ':llm' / ':extractive' variants)")
    async def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": m, "object": "model", "created": 0, "owned_by": "articleqa"}
                                           for m in service.model_ids()]}

    @r.post("/chat/completions", summary="A cited answer to the last user message (history drives follow-ups)")
    async def chat_completions(req: ChatRequest):
        collection, model_mode = service.resolve_model(req.model)
        mode = req.mode or model_mode
        question, history = split_messages(req.messages)
        if not req.stream:
            answer = await run_in_threadpool(service.ask, collection, question, history, mode, req.top_k,
                                             req.as_of)
            return completion(answer, req.model)
        service.assistant(collection)  # 404 before the stream starts
        as_of = checked_as_of(req.as_of)  # 400 before the stream starts
        ticket = service.ticket(mode)  # 503 before the stream starts
        events = service.stream(collection, question, history, mode, req.top_k, ticket, as_of)
        include_usage = bool((req.stream_options or {}).get("include_usage"))
        return StreamingResponse(stream_completion(events, req.model, include_usage), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
                                 background=BackgroundTask(ticket.close))  # if the stream never ran

    return r
