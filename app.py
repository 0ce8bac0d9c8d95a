"""articleqa web chat: `python app.py` serves it on http://127.0.0.1:7860 (settings.server.host/port).

On first start with an empty index it builds one from the bundled sample articles (articleqa/samples/), showing progress.
The UI lives in interfaces/webui/; everything goes through `qa.Assistant`.
"""
from __future__ import annotations

import os
import sys

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from articleqa.settings import Settings, SettingsError, load_settings  # noqa: E402


def build_app(settings: Settings | None = None):
    """The web chat as a `gr.Blocks`; launch it with `interfaces.webui.server.launch_app(demo, settings)`."""
    from interfaces.webui.ui import build_app as _build

    return _build(settings or load_settings())


def main(argv: list[str] | None = None) -> int:
    from interfaces.webui.server import serve

    if argv is None:
        argv = sys.argv[1:]
    if argv:
        # The same flags as `articleqa serve`.
        from interfaces.cli import main as cli_main

        return cli_main(["serve", *argv])
    try:
        settings = load_settings()
    except SettingsError as e:  # a typo in articleqa.toml or an ARTICLEQA_ variable: one line, no traceback
        print(f"error: {e}", file=sys.stderr)
        return 2
    serve(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
