"""`articleqa serve`: the web chat and the HTTP API in one process (the same as `python app.py`)."""
from __future__ import annotations

import argparse

from interfaces.cli.options import add_collection_options, add_index_option, settings_from_args


def register(subparsers) -> None:
    p = subparsers.add_parser("serve", help="serve the web chat and the HTTP API (http://127.0.0.1:7860 by default)",
                              description="Serve the web chat at / and the HTTP API at /v1 (OpenAI-compatible) and "
                                          "/api (docs at /docs). An empty index is first built from the bundled "
                                          "sample articles.")
    p.add_argument("--host", default=None, help="address to bind (default: settings.server.host, 127.0.0.1); "
                                                "elsewhere the API needs keys (`articleqa keys add`) and the chat "
                                                "should get server.user/password")
    p.add_argument("--port", type=int, default=None, help="port (default: settings.server.port, 7860)")
    add_index_option(p)
    add_collection_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from interfaces.webui.server import serve

    settings = settings_from_args(args, host="server.host", port="server.port")
    serve(settings)
    return 0
