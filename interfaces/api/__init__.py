"""The HTTP API: OpenAI-compatible chat completions and a small REST API over `qa.Assistant` (FastAPI).

`create_api(settings)` builds the app; `articleqa serve` mounts the Gradio web chat on it and serves both.
"""
from __future__ import annotations

__all__ = ["create_api", "ApiService"]


def __getattr__(name: str):
    # Lazy: `import interfaces.api` must not import FastAPI.
    if name == "create_api":
        from interfaces.api.app import create_api

        return create_api
    if name == "ApiService":
        from interfaces.api.service import ApiService

        return ApiService
    raise AttributeError(name)
