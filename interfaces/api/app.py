"""`create_api`: the FastAPI app (OpenAI-compatible /v1, REST /api, docs at /docs), with key checks, request size
limits and JSON errors. `articleqa serve` mounts the Gradio web chat on the same app (interfaces.webui.server)."""
from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI, Request

from articleqa.settings import Settings
from interfaces.api.errors import ApiError, error_response, install_handlers
from interfaces.api.keys import KeyFileError
from interfaces.api.service import ApiService

API_PREFIXES = ("/v1/", "/api/")
UPLOAD_OVERHEAD = 64 * 1024  # multipart boundaries and headers


def create_api(settings: Settings, assistant=None, service: ApiService | None = None):
    """The API over ``assistant`` (or the index at ``settings.index_dir``); ``app.state.service`` holds its state."""
    from interfaces.api import openai_routes, rest

    service = service or ApiService(settings, assistant)
    app = FastAPI(title="articleqa API", version="1", docs_url="/docs", redoc_url=None,
                  description="Cited answers from your articles: OpenAI-compatible chat completions and REST. "
                              "Bound to a non-loopback address, every /v1 and /api call needs "
                              "`Authorization: Bearer <key>` (`articleqa keys add`).")
    app.state.service = service

    async def check_key(request: Request) -> None:
        if not service.require_key:
            return
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "this server needs an API key: send 'Authorization: Bearer <key>' "
                                "(an admin creates one with `articleqa keys add`)", {"WWW-Authenticate": "Bearer"})
        try:
            known = service.keys.verify(token.strip())
        except KeyFileError as e:
            raise ApiError(500, str(e)) from e
        if known is None:
            raise ApiError(401, "invalid or revoked API key", {"WWW-Authenticate": "Bearer"})

    auth = Depends(check_key)
    app.include_router(openai_routes.build_router(service, auth))
    app.include_router(rest.health_router(service))
    app.include_router(rest.build_router(service, auth))
    _add_not_found(app)
    install_handlers(app)
    app.add_middleware(BodyLimit, limit_for=lambda path, method: body_limit(settings, path, method))
    app.router.add_event_handler("shutdown", service.close)
    return app


def _add_not_found(app) -> None:
    """Unknown /v1 and /api paths get a JSON 404 here, before a Gradio app mounted at / could answer them."""
    async def not_found(request: Request):
        return error_response(404, f"{request.method} {request.url.path}: no such endpoint")

    for prefix in ("/v1", "/api"):
        app.add_api_route(prefix + "/{rest:path}", not_found, methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                          include_in_schema=False)


def body_limit(settings: Settings, path: str, method: str) -> int | None:
    """Largest request body in bytes for this route (None: not ours, e.g. Gradio's, which checks its own)."""
    if not path.startswith(API_PREFIXES):
        return None
    if path.rstrip("/") == "/api/articles" and method == "POST":
        return int(settings.server.upload_max_mb * 1024 * 1024) + UPLOAD_OVERHEAD
    return settings.server.request_max_kb * 1024


class BodyLimit:
    """ASGI middleware: a body over the route's limit gets 413 before the endpoint reads it. A body without
    Content-Length (chunked) is read here up to the limit and replayed to the endpoint."""

    def __init__(self, app, limit_for) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope, receive, send) -> None:
        limit = self.limit_for(scope["path"], scope["method"]) if scope["type"] == "http" else None
        if limit is None:
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None:
            if not length.isdigit():
                return await error_response(400, "Content-Length is not a number")(scope, receive, send)
            if int(length) > limit:
                return await _too_large(int(length), limit)(scope, receive, send)
            return await self.app(scope, receive, send)
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > limit:
                return await _too_large(len(body), limit)(scope, receive, send)
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)


def _too_large(size: int, limit: int):
    return error_response(413, f"request body of {size} bytes is over this endpoint's limit of {limit} bytes "
                               "(settings: server.request_max_kb, server.upload_max_mb)")
