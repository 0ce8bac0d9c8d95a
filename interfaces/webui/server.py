"""Launching the web chat: bind address, optional login, upload limit, queue."""
from __future__ import annotations

import os
import sys
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from articleqa.settings import Settings  # noqa: E402

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def launch_kwargs(settings: Settings) -> dict[str, Any]:
    """Arguments for `gr.Blocks.launch` from ``settings.server`` (never share=True: nothing leaves this machine)."""
    from interfaces.webui.ui import CSS

    s = settings.server
    kwargs: dict[str, Any] = {
        "server_name": s.host,
        "server_port": s.port,
        "share": False,
        "max_file_size": f"{s.upload_max_mb:g}mb",
        "css": CSS,
        "footer_links": ["api"],
        "show_error": True,
        "ssr_mode": False,
        "mcp_server": False,
        "run_history": False,
    }
    if s.user and s.password:
        kwargs["auth"] = (s.user, s.password)
        kwargs["auth_message"] = "articleqa: sign in with the user and password from server.user / server.password."
    elif s.host not in LOCAL_HOSTS:
        print(f"articleqa: warning: serving on {s.host} without a login; set server.user and server.password "
              "(ARTICLEQA_SERVER__USER / ARTICLEQA_SERVER__PASSWORD) to require one", file=sys.stderr)
    return kwargs


def launch_app(demo, settings: Settings, **overrides: Any):
    """Queue the app (``server.concurrency`` answers at a time; the rest wait their turn) and launch it."""
    demo.queue(default_concurrency_limit=max(1, settings.server.concurrency), max_size=None)
    kwargs = launch_kwargs(settings)
    kwargs.update(overrides)
    return demo.launch(**kwargs)


def mount_kwargs(settings: Settings) -> dict[str, Any]:
    """`gr.mount_gradio_app` arguments: the launch settings that apply to a mounted app."""
    kwargs = launch_kwargs(settings)
    for name in ("server_name", "server_port", "share"):
        kwargs.pop(name, None)
    return kwargs


def build_server(settings: Settings, demo=None):
    """One FastAPI app serving the HTTP API (/v1, /api, /docs) and the web chat (/), sharing one Assistant."""
    import gradio as gr

    from interfaces.api.app import create_api
    from interfaces.webui.ui import build_app

    demo = demo if demo is not None else build_app(settings)
    app = create_api(settings, assistant=demo.articleqa.base)
    demo.queue(default_concurrency_limit=max(1, settings.server.concurrency), max_size=None)
    app = gr.mount_gradio_app(app, demo, path="/", server_name=settings.server.host,
                              server_port=settings.server.port, **mount_kwargs(settings))
    app.state.demo = demo
    return app


def serve(settings: Settings) -> None:
    """Build the app (seeding an empty index from the samples) and serve chat and API until interrupted."""
    import uvicorn

    from interfaces.api.keys import needs_key

    app = build_server(settings)
    host = settings.server.host
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    base = f"http://{shown}:{settings.server.port}"
    print(f"articleqa: web chat at {base}/ ; API at {base}/v1 and {base}/api (docs: {base}/docs)", file=sys.stderr)
    if needs_key(host):
        print("articleqa: API requests need a key (`articleqa keys add`)", file=sys.stderr)
    uvicorn.run(app, host=host, port=settings.server.port, log_level="warning", timeout_graceful_shutdown=5)
