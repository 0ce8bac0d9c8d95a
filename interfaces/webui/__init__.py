"""The Gradio web chat (``app.py`` and ``articleqa serve``): UI, safe rendering, feedback, sample seeding."""
from __future__ import annotations

__all__ = ["build_app", "build_server", "launch_app", "serve"]


def __getattr__(name: str):
    # Lazy: importing the package must not import gradio.
    if name == "build_app":
        from interfaces.webui.ui import build_app

        return build_app
    if name in ("launch_app", "serve", "build_server"):
        from interfaces.webui import server

        return getattr(server, name)
    raise AttributeError(name)
