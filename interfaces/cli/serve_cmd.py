"""`articleqa serve`: the web chat (the same as `python app.py`)."""
from __future__ import annotations

import argparse

from interfaces.cli.options import add_collection_options, add_index_option, settings_from_args


def register(subparsers) -> None:
    p = subparsers.add_parser("serve", help="open the web chat (http://127.0.0.1:7860 by default)",
                              description="Serve the web chat. An empty index is first built from the bundled "
                                          "sample articles.")
    p.add_argument("--host", default=None, help="address to bind (default: settings.server.host, 127.0.0.1); "
                                                "set server.user/password when binding elsewhere")
    p.add_argument("--port", type=int, default=None, help="port (default: settings.server.port, 7860)")
    add_index_option(p)
    add_collection_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from interfaces.webui.server import serve

    settings = settings_from_args(args, host="server.host", port="server.port")
    serve(settings)
    return 0
