"""The HTTP API against its own OpenAPI schema, on both store backends: schemathesis generates requests for every
route and parameter the schema documents (valid ones, and ones that break the schema), sends them to the real
server (uvicorn on loopback), and every response must be below 500 and every error must have the documented shape
``{"error": {"message", "type", "code"}}``. Bounded: a fixed number of examples per route and mode.

Also the defects found by using the documented calls: /api/search with ``filters`` (a 500 before), and an upload
through the API building the keyword index with its commit (before, the first question after it did)."""
from __future__ import annotations

import time

import httpx
import pytest
from hypothesis import HealthCheck, given, settings as hsettings
from hypothesis.errors import Unsatisfiable

from interfaces.api.testing import api_in_thread
from tests.contract_helpers import BACKENDS, sample_store_settings

EXAMPLES = 25  # per route and generation mode; about 0.1-1 s each (an /api/ask in extractive mode is the slowest)


@pytest.fixture(scope="module", params=BACKENDS)
def served(request, tmp_path_factory):
    pg = request.getfixturevalue("pg_server") if request.param == "postgres" else None
    settings = sample_store_settings(request.param, tmp_path_factory, pg, **{
        "server.request_max_kb": 64, "server.upload_max_mb": 1, "server.max_pending_jobs": 1})
    with api_in_thread(settings) as (base, app):
        yield request.param, base, app


def error_shape_problem(response, status: int) -> str | None:
    """Why an error response is not the documented JSON error, or None."""
    ctype = response.headers.get("content-type") or ""
    ctype = ctype[0] if isinstance(ctype, list) else ctype  # schemathesis keeps a list per header
    if not ctype.startswith("application/json"):
        return f"content-type {ctype!r}"
    try:
        err = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return f"body {response.text[:200]!r}"
    if not (isinstance(err, dict) and isinstance(err.get("message"), str) and err["message"].strip()
            and isinstance(err.get("type"), str) and err.get("code") == status):
        return f"error {err!r}"
    if "Traceback" in response.text or 'File "' in response.text:
        return "a stack trace in the body"
    return None


def fuzz_operation(operation, mode, base: str, failures: list[str]) -> int:
    """Send ``EXAMPLES`` generated requests for one operation; failures are appended; returns the cases sent."""
    sent = [0]

    @hsettings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
               suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        sent[0] += 1
        try:
            response = case.call(base_url=base, timeout=60)
        except Exception as e:  # noqa: BLE001 - a request the client cannot even send is not the server's fault
            if "Invalid" in type(e).__name__ or "Header" in str(e):
                return
            raise
        status = response.status_code
        if status >= 500:
            failures.append(f"{operation.label} [{mode}]: {status} {response.text[:300]} <- {case.body!r:.300}")
        elif status >= 400:
            problem = error_shape_problem(response, status)
            if problem:
                failures.append(f"{operation.label} [{mode}]: {status} {problem}")

    try:
        run()
    except Unsatisfiable:  # a mode with nothing to generate for this operation (e.g. negative for no inputs)
        pass
    return sent[0]


def test_every_documented_route_survives_the_fuzzer(served):
    import schemathesis
    from schemathesis import GenerationMode

    backend, base, app = served
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    operations = [r.ok() for r in schema.get_all_operations()]
    documented = {(op.method.upper(), op.path) for op in operations}
    assert {("POST", "/v1/chat/completions"), ("GET", "/v1/models"), ("POST", "/api/ask"),
            ("POST", "/api/search"), ("GET", "/api/articles"), ("POST", "/api/articles"),
            ("GET", "/api/articles/{article_id}"), ("DELETE", "/api/articles/{article_id}"),
            ("GET", "/api/jobs/{job_id}"), ("GET", "/api/health")} <= documented
    failures: list[str] = []
    counts = {}
    t0 = time.monotonic()
    for op in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            counts[f"{op.label} {mode}"] = fuzz_operation(op, mode, base, failures)
    print(f"\n{backend}: {sum(counts.values())} generated requests over {len(operations)} routes in "
          f"{time.monotonic() - t0:.0f} s: {counts}")
    assert sum(counts.values()) >= len(operations) * EXAMPLES  # the fuzzer really ran
    assert not failures, "\n".join(failures[:20])
    assert httpx.get(f"{base}/api/health").json()["status"] == "ok"  # and the server is still up


def test_search_with_documented_filters(served):
    """README: ``POST /api/search {"query", "k", "collection", "filters"}``; a 500 on main (the dict reached the
    retriever). Filters are applied inside the search; a bad value is a 400 naming the field."""
    _, base, _ = served
    q = {"query": "Where did the black death originate?", "k": 5}
    everything = httpx.post(f"{base}/api/search", json=q).json()["passages"]
    black_death = everything[0]["chunk"]["article_id"]
    r = httpx.post(f"{base}/api/search", json={**q, "filters": {"article_ids": [black_death]}})
    assert r.status_code == 200, r.text
    assert r.json()["passages"] and {p["chunk"]["article_id"] for p in r.json()["passages"]} == {black_death}
    other = httpx.post(f"{base}/api/search", json={**q, "filters": {"collections": ["no-such-collection"]}})
    assert other.status_code == 200 and other.json()["passages"] == []
    dated = httpx.post(f"{base}/api/search", json={**q, "filters": {"date_from": "1900-01-01", "sources": ["x"]}})
    assert dated.status_code == 200, dated.text
    bad = httpx.post(f"{base}/api/search", json={**q, "filters": {"date_from": "yesterday"}})
    assert bad.status_code == 400 and "filters.date_from" in bad.json()["error"]["message"], bad.text
    typo = httpx.post(f"{base}/api/search", json={**q, "filters": {"sourcez": ["x"]}})
    assert typo.status_code == 400 and "sourcez" in typo.json()["error"]["message"], typo.text


def test_upload_of_every_loader_type_builds_the_keyword_index(served, tmp_path):
    """A file type the loaders read is accepted by the REST upload (a .markdown file was refused on main: the API
    kept its own list), and after the job the keyword index of the new commit is already saved (local store), so
    the first question does not build it."""
    from qa.retrieval.keyword_files import folder_for

    backend, base, app = served
    body = ("# The Quillmere ferry\n\nThe Quillmere ferry crosses the Vantreck sound twice a day. It was built in "
            "1931 by Odalys Marrow.\n").encode()
    r = httpx.post(f"{base}/api/articles", files=[("files", ("quillmere-ferry.markdown", body, "text/markdown"))])
    assert r.status_code == 202, r.text
    deadline = time.time() + 300
    while (job := httpx.get(f"{base}/api/jobs/{r.json()['id']}").json())["state"] not in ("done", "failed"):
        assert time.time() < deadline
        time.sleep(0.2)
    assert job["state"] == "done", job
    store = app.state.service.assistant(None).store
    if backend == "faiss":
        folder = folder_for(store, store.version)
        assert folder is not None and (folder / "meta.json").exists(), sorted(p.name for p in folder.parent.iterdir())
    hits = httpx.post(f"{base}/api/search", json={"query": "Who built the Quillmere ferry?", "k": 1}).json()
    assert hits["passages"][0]["title"] == "The Quillmere ferry"
