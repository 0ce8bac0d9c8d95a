"""Helpers for tests of the web app: a sample index built once per test session, a server on a free port."""
from __future__ import annotations

import shutil
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from interfaces.ports import free_port

XSS_ARTICLE = {
    "id": "xss-zorblax",
    "title": "Zorblax festival <script>window.__xss_title=1</script>",
    "source": "XSS test <img src=x onerror=\"window.__xss_source=1\">",
    "url": "javascript:window.__xss_url=1",
    "lang": "en",
    "text": (
        "The Zorblax lantern festival is held every year in the town of Quillmere. "
        "<script>window.__xss=1</script> The festival was founded in 1911 by the glassblower Odalys Vantreck.\n\n"
        "Visitors float paper lanterns on the Quill river. <img src=x onerror=\"window.__xss=2\"> "
        "Each lantern carries a wish written in blue ink. <a href=\"javascript:window.__xss=3\">click me</a> "
        "[more](javascript:window.__xss=4) <svg onload=\"window.__xss=5\"></svg>"
    ),
}
XSS_QUESTION = "Who founded the Zorblax lantern festival?"


def build_sample_index(index_dir: Path, settings) -> Path:
    """An index of the bundled samples at ``index_dir`` (built if absent)."""
    from qa import Assistant

    from interfaces.library import ingest_into
    from interfaces.webui.samples import sample_paths

    if (index_dir / ".complete").exists():
        return index_dir
    if index_dir.exists():
        shutil.rmtree(index_dir)
    s = settings.with_overrides({"index_dir": str(index_dir)})
    a = Assistant.open(index_dir, s, create=True)
    try:
        report = ingest_into(a, sample_paths())
        if report.failed:
            raise RuntimeError(f"sample ingest failed: {report.failed}")
    finally:
        a.close()
    (index_dir / ".complete").write_text("ok")
    return index_dir


def copy_index(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".complete", "feedback.sqlite*"))
    return dst


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


@contextmanager
def running_app(settings, **launch_overrides: Any) -> Iterator[tuple[str, Any]]:
    """Build the app on ``settings.index_dir`` and serve it in this process on a free port: yields (url, demo)."""
    from interfaces.webui.server import launch_app
    from interfaces.webui.ui import build_app

    port = free_port()
    settings = settings.with_overrides({"server.port": port, "server.host": "127.0.0.1"})
    demo = build_app(settings, seed_samples=False)
    launch_app(demo, settings, prevent_thread_lock=True, quiet=True, **launch_overrides)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_http(url)
        yield url, demo
    finally:
        demo.close()
        demo.articleqa.base.close()


@contextmanager
def sample_server(tmp_path_factory, name: str, **overrides: Any) -> Iterator[tuple[str, Any]]:
    """A launched app over a private copy of the sample index (built once per test session); settings overridden
    with dotted keys, e.g. ``sample_server(f, "api", **{"answer.mode": "extractive"})``."""
    from articleqa.settings import load_settings

    settings = load_settings()
    shared = build_sample_index(tmp_path_factory.getbasetemp() / "aq-sample-index", settings)
    index = copy_index(shared, tmp_path_factory.mktemp(name) / "index")
    settings = settings.with_overrides({"index_dir": str(index), **overrides})
    with running_app(settings) as (url, demo):
        yield url, demo
