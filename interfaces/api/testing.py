"""Helpers for tests and benches: the API (optionally with the web chat) served by uvicorn in a thread on a free
port, and a subprocess running `articleqa serve`."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator


def wait_ready(url: str, timeout: float = 240.0, proc: subprocess.Popen | None = None) -> None:
    import httpx

    deadline = time.time() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode} before answering {url}")
        try:
            if httpx.get(url, timeout=5).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        if time.time() > deadline:
            raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")
        time.sleep(0.3)


@contextmanager
def api_in_thread(settings, assistant=None, app=None) -> Iterator[tuple[str, Any]]:
    """Serve ``create_api(settings, assistant)`` (or ``app``) on a free local port: yields (base url, app)."""
    import uvicorn

    from interfaces.api.app import create_api
    from interfaces.webui.testing import free_port

    port = free_port()
    app = app or create_api(settings, assistant)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           timeout_keep_alive=30))
    thread = threading.Thread(target=server.run, name="articleqa-api-test", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base + "/api/health", timeout=60)
        yield base, app
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextmanager
def serve_subprocess(index: Path, port: int, host: str = "127.0.0.1", env: dict[str, str] | None = None,
                     log: Path | None = None) -> Iterator[subprocess.Popen]:
    """`python -m interfaces.cli serve` on ``index``; stopped (SIGTERM, then SIGKILL) on exit."""
    cmd = [sys.executable, "-m", "interfaces.cli", "serve", "--host", host, "--port", str(port), "--index", str(index)]
    out = open(log, "wb") if log else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, env={**os.environ, **(env or {})}, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_ready(f"http://127.0.0.1:{port}/api/health", proc=proc)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log:
            out.close()
