"""A small client of the REST API (`articleqa ask --server URL`): one question -> an `Answer`."""
from __future__ import annotations

from typing import Any

from articleqa.types import Answer, Chunk, Citation, Passage


class ServerError(RuntimeError):
    """The server could not be reached or answered with an error (the message says which)."""


def answer_from_dict(d: dict[str, Any]) -> Answer:
    """The inverse of `Answer.to_dict`."""
    passages = []
    for p in d.get("passages", []):
        p = dict(p)
        chunk = Chunk(**p.pop("chunk"))
        passages.append(Passage(chunk=chunk, **p))
    fields = {k: v for k, v in d.items() if k not in ("citations", "passages")}
    return Answer(**fields, citations=[Citation(**c) for c in d.get("citations", [])], passages=passages)


def ask_server(url: str, question: str, mode: str | None = None, top_k: int | None = None,
               api_key: str | None = None, timeout: float = 600.0, as_of: str | None = None) -> Answer:
    import httpx

    endpoint = url.rstrip("/") + "/api/ask"
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    body = {"question": question, "mode": mode, "top_k": top_k, "as_of": as_of}
    try:
        r = httpx.post(endpoint, json={k: v for k, v in body.items() if v is not None}, headers=headers,
                       timeout=timeout)
    except httpx.HTTPError as e:
        raise ServerError(f"{url}: cannot reach the server ({type(e).__name__}); is `articleqa serve` running?") from e
    try:
        data = r.json()
    except ValueError as e:
        raise ServerError(f"{endpoint}: HTTP {r.status_code}, not a JSON answer (is this an articleqa server?)") from e
    if r.status_code != 200:
        message = (data.get("error") or {}).get("message", r.text[:200]) if isinstance(data, dict) else r.text[:200]
        raise ServerError(f"{endpoint}: HTTP {r.status_code}: {message}")
    return answer_from_dict(data)
