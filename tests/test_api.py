"""The HTTP API in this process (uvicorn on a free port) over a private copy of the sample index, driven with plain
HTTP (httpx): REST endpoints, ingest jobs, OpenAI-shaped chat completions and every JSON error. Extractive mode:
these tests are about the API, not the LLM (tests/test_api_concurrency.py drives the LLM)."""
from __future__ import annotations

import json
import threading
import time

import httpx
import pytest

from articleqa.settings import load_settings
from interfaces.api.testing import api_in_thread
from interfaces.webui.testing import build_sample_index, copy_index

SEED_Q = "京東金融在哪一年實現單季盈利?"
SEED_TITLE = "京東金融實現單季盈利 千億級科技公司如何煉成?"


def sample_settings(tmp_path_factory, name: str, **overrides):
    settings = load_settings()
    shared = build_sample_index(tmp_path_factory.getbasetemp() / "aq-sample-index", settings)
    index = copy_index(shared, tmp_path_factory.mktemp(name) / "index")
    return settings.with_overrides({"index_dir": str(index), "answer.mode": "extractive", **overrides})


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    settings = sample_settings(tmp_path_factory, "api-rest", **{"server.request_max_kb": 64,
                                                                "server.upload_max_mb": 1,
                                                                "server.max_pending_jobs": 1})
    with api_in_thread(settings) as (base, app):
        yield base, app


def assert_error(r: httpx.Response, status: int, words: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json"), r.headers
    err = r.json()["error"]
    assert err["code"] == status and err["type"] and words.lower() in err["message"].lower(), err
    assert "Traceback" not in r.text and 'File "' not in r.text
    return err


def wait_job(base: str, job_id: str, timeout: float = 300) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        job = httpx.get(f"{base}/api/jobs/{job_id}").json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise TimeoutError(job_id)


def test_health_models_and_docs(api):
    base, _ = api
    h = httpx.get(f"{base}/api/health").json()
    assert h["status"] == "ok" and h["articles"] == 8 and h["keys_required"] is False
    ids = [m["id"] for m in httpx.get(f"{base}/v1/models").json()["data"]]
    assert "articleqa" in ids and "articleqa:extractive" in ids
    assert httpx.get(f"{base}/docs").status_code == 200
    paths = httpx.get(f"{base}/openapi.json").json()["paths"]
    assert {"/v1/chat/completions", "/v1/models", "/api/ask", "/api/search", "/api/articles", "/api/health",
            "/api/jobs/{job_id}"} <= set(paths)


def test_ask_returns_the_answer_as_json(api):
    base, app = api
    a = httpx.post(f"{base}/api/ask", json={"question": SEED_Q}, timeout=120).json()
    assert a["question"] == SEED_Q and not a["refused"] and a["mode"] == "extractive"
    assert "2017" in a["text"] and a["citations"]
    assistant = app.state.service.assistant(None)
    for c in a["citations"]:
        assert f"[{c['n']}]" in a["text"]
        article = assistant.article(c["article_id"])
        assert article.title == c["title"] and article.text[c["start"]:c["end"]].strip() == c["quote"].strip()
    follow = httpx.post(f"{base}/api/ask", json={"question": "它的CEO是誰?", "history": [[SEED_Q, a["text"]]]},
                        timeout=120).json()
    assert any(c["title"] == SEED_TITLE for c in follow["citations"]), follow


def test_search_returns_passages(api):
    base, _ = api
    r = httpx.post(f"{base}/api/search", json={"query": "Where did the black death originate?", "k": 3}).json()
    assert len(r["passages"]) == 3
    assert r["passages"][0]["title"] == "Black Death" and "Central Asia" in r["passages"][0]["chunk"]["text"]
    assert r["passages"][0]["score"] >= r["passages"][1]["score"]


def test_chat_completion_plain_http_with_footnotes_and_refusal(api):
    base, _ = api
    body = {"model": "articleqa", "messages": [{"role": "system", "content": "be brief"},
                                               {"role": "user", "content": SEED_Q}]}
    r = httpx.post(f"{base}/v1/chat/completions", json=body, timeout=120).json()
    content = r["choices"][0]["message"]["content"]
    extra = r["articleqa"]
    assert r["object"] == "chat.completion" and r["choices"][0]["finish_reason"] == "stop"
    assert extra["citations"] and not extra["refused"] and extra["question"] == SEED_Q
    for c in extra["citations"]:
        assert f"[{c['n']}]" in extra["text"] and f"\n[{c['n']}] {c['title']}: “" in content
    assert content.startswith(extra["text"]) and "\n\n來源:\n[1]" in content
    refused = httpx.post(f"{base}/v1/chat/completions", timeout=120, json={
        "model": "articleqa", "messages": [{"role": "user", "content": "What is the boiling point of mercury?"}]})
    extra = refused.json()["articleqa"]
    assert refused.status_code == 200 and extra["refused"] is True and not extra["citations"]


def test_chat_history_drives_the_follow_up(api):
    base, _ = api
    first = httpx.post(f"{base}/v1/chat/completions", timeout=120, json={
        "messages": [{"role": "user", "content": SEED_Q}]}).json()
    follow = httpx.post(f"{base}/v1/chat/completions", timeout=120, json={"messages": [
        {"role": "user", "content": SEED_Q}, first["choices"][0]["message"],
        {"role": "user", "content": "它的CEO是誰?"}]}).json()["articleqa"]
    assert SEED_Q.rstrip("?") in follow["standalone_question"] and "來源" not in follow["standalone_question"]
    assert any(c["title"] == SEED_TITLE for c in follow["citations"]), follow


def test_streaming_sse_plain_http(api):
    base, _ = api
    events = []
    with httpx.stream("POST", f"{base}/v1/chat/completions", timeout=120, json={
            "model": "articleqa:extractive", "stream": True, "stream_options": {"include_usage": True},
            "messages": [{"role": "user", "content": "Where did the black death originate?"}]}) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        events = [line[6:] for line in r.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    last = chunks[-1]
    assert last["choices"][0]["finish_reason"] == "stop" and "usage" in last
    assert "Central Asia" in text and "\n\nSources:\n[1] Black Death: “" in text
    assert last["articleqa"]["citations"] and last["articleqa"]["stream_replaced"] is False
    assert text.startswith(last["articleqa"]["text"])


@pytest.mark.slow  # asked in the default llm mode: the span reader alone cites a distractor here (README, Limitations)
def test_upload_poll_ask_delete(api, tmp_path):
    base, _ = api
    art = tmp_path / "pelican-bay.md"
    art.write_text("# The Pelican Bay Lighthouse\n\nThe Pelican Bay Lighthouse stands on a granite spit. It was "
                   "designed by the engineer Margaret Ellery and first lit in 1893.\n", encoding="utf-8")
    with open(art, "rb") as fh:
        r = httpx.post(f"{base}/api/articles", files=[("files", (art.name, fh, "text/markdown"))])
    assert r.status_code == 202, r.text
    job = wait_job(base, r.json()["id"])
    assert job["state"] == "done" and job["report"]["added"] == 1, job
    assert job["progress"]["total"] >= 1 and job["progress"]["done"] == job["progress"]["total"]
    a = httpx.post(f"{base}/api/ask", json={"question": "Who designed the Pelican Bay Lighthouse?", "mode": "llm"},
                   timeout=300)
    cited = a.json()["citations"]
    assert cited and "Pelican Bay" in cited[0]["title"]
    assert "Ellery" in a.json()["passages"][0]["chunk"]["text"]  # the new article is retrieved first
    article_id = cited[0]["article_id"]
    assert httpx.get(f"{base}/api/articles/{article_id}").json()["title"] == "The Pelican Bay Lighthouse"
    assert article_id in [x["id"] for x in httpx.get(f"{base}/api/articles").json()["articles"]]
    assert httpx.delete(f"{base}/api/articles/{article_id}").json() == {"deleted": article_id}
    assert_error(httpx.get(f"{base}/api/articles/{article_id}"), 404, article_id)
    assert_error(httpx.delete(f"{base}/api/articles/{article_id}"), 404, "does not exist")


def test_json_upload_and_too_many_jobs(api):
    from ingest.report import IngestReport
    from interfaces.api.jobs import upload_folder

    base, app = api
    articles = [{"title": f"Harbour report {i}", "text": " ".join(
        f"In week {w} the harbour of Port Quillan {i} handled {w * 37 + i} ships and {w * 11} ferries."
        for w in range(1, 30))} for i in range(4)]
    gate = threading.Event()
    # the one ingest slot (max_pending_jobs = 1) is taken by a job that waits for the gate
    held = app.state.service.jobs.submit("articleqa", upload_folder(), [],
                                         lambda paths, progress: gate.wait(120) and IngestReport())
    try:
        assert_error(httpx.post(f"{base}/api/articles", json={"articles": articles}), 429, "ingest jobs")
    finally:
        gate.set()
    assert wait_job(base, held.id)["state"] == "done"
    first = httpx.post(f"{base}/api/articles", json={"articles": articles})
    assert first.status_code == 202, first.text
    job = wait_job(base, first.json()["id"])
    assert job["state"] == "done" and job["report"]["added"] == 4, job
    assert_error(httpx.get(f"{base}/api/jobs/nope"), 404, "nope")


def test_bad_requests_get_clear_json_errors(api, tmp_path):
    base, _ = api
    chat = f"{base}/v1/chat/completions"
    assert_error(httpx.post(chat, json={"messages": []}), 400, "messages")
    assert_error(httpx.post(chat, json={"messages": [{"role": "assistant", "content": "hi"}]}), 400, "role 'user'")
    assert_error(httpx.post(chat, json={"messages": [{"role": "user", "content": "  "}]}), 400, "empty")
    assert_error(httpx.post(chat, json={"messages": [{"role": "wizard", "content": "x"}]}), 400, "messages.0.role")
    assert_error(httpx.post(chat, content=b"{not json", headers={"content-type": "application/json"}), 400,
                 "not valid JSON")
    assert_error(httpx.post(chat, json={"model": "nope", "messages": [{"role": "user", "content": "x"}]}), 404,
                 "GET /v1/models")
    assert_error(httpx.post(chat, json={"model": "articleqa:fast", "messages": [{"role": "user", "content": "x"}]}),
                 404, "mode")
    assert_error(httpx.post(f"{base}/api/ask", json={"question": ""}), 400, "question")
    assert_error(httpx.post(f"{base}/api/ask", json={"question": "x", "collection": "other"}), 404, "collection")
    assert_error(httpx.post(f"{base}/api/search", json={"query": "x", "k": 0}), 400, "k")
    assert_error(httpx.get(f"{base}/api/nothing-here"), 404, "no such endpoint")
    assert_error(httpx.get(f"{base}/v1/embeddings"), 404, "no such endpoint")
    assert_error(httpx.post(f"{base}/api/ask", json={"question": "x" * 70_000}), 413, "limit")

    def chunked():  # no Content-Length: counted while read
        for _ in range(20):
            yield b"x" * 8192

    assert_error(httpx.post(f"{base}/api/ask", content=chunked()), 413, "limit")
    bad = tmp_path / "tool.exe"
    bad.write_bytes(b"MZ\x00")
    with open(bad, "rb") as fh:
        assert_error(httpx.post(f"{base}/api/articles", files=[("files", (bad.name, fh))]), 400, "tool.exe")
    big = tmp_path / "big.txt"
    big.write_bytes(b"lighthouse " * 110_000)  # 1.2 MB > upload_max_mb = 1
    with open(big, "rb") as fh:
        assert_error(httpx.post(f"{base}/api/articles", files=[("files", (big.name, fh))]), 413, "limit")
    assert_error(httpx.post(f"{base}/api/articles", json={"articles": [{"title": "t"}]}), 400, "text")


def test_local_model_queue_full_gets_503(tmp_path_factory):
    from articleqa.models.generator import model_queue

    settings = sample_settings(tmp_path_factory, "api-busy", **{"server.queue_limit": 0, "answer.mode": "llm"})
    with api_in_thread(settings) as (base, _):
        queue = model_queue()
        with queue.ticket():  # another request is being answered by the local model; none may wait
            r = httpx.post(f"{base}/api/ask", json={"question": SEED_Q})
            assert_error(r, 503, "busy")
            assert r.headers["retry-after"]
            body = {"messages": [{"role": "user", "content": SEED_Q}]}
            assert_error(httpx.post(f"{base}/v1/chat/completions", json={**body, "stream": True}), 503, "busy")
            ok = httpx.post(f"{base}/api/ask", json={"question": SEED_Q, "mode": "extractive"}, timeout=120)
            assert ok.status_code == 200 and ok.json()["citations"]  # extractive answers do not queue
        assert queue.tickets == 0
    queue.configure(None, None)


def test_collections_are_models(tmp_path_factory, tmp_path):
    other = tmp_path / "other-index"
    settings = sample_settings(tmp_path_factory, "api-collections", **{"server.collections": {"harbours": str(other)}})
    with api_in_thread(settings) as (base, app):
        ids = [m["id"] for m in httpx.get(f"{base}/v1/models").json()["data"]]
        assert {"articleqa", "harbours", "harbours:extractive"} <= set(ids)
        r = httpx.post(f"{base}/api/articles", json={"collection": "harbours", "articles": [
            {"title": "Port Quillan", "text": "Port Quillan harbour was dredged in 1874 by the engineer Tomas Brevik."}]})
        assert wait_job(base, r.json()["id"])["state"] == "done"
        listed = httpx.get(f"{base}/api/articles", params={"collection": "harbours"}).json()["articles"]
        assert [a["title"] for a in listed] == ["Port Quillan"]
        body = {"model": "harbours", "messages": [{"role": "user", "content": "Who dredged Port Quillan harbour?"}]}
        extra = httpx.post(f"{base}/v1/chat/completions", json=body, timeout=120).json()["articleqa"]
        assert [c["title"] for c in extra["citations"]] == ["Port Quillan"]
        default = httpx.get(f"{base}/api/articles").json()["articles"]
        assert "Port Quillan" not in [a["title"] for a in default] and len(default) == 8


def test_streamed_text_the_checks_changed_is_replaced():
    from articleqa.types import Answer, Citation
    from interfaces.api.chat import REPLACED_SEPARATOR, closing_text, footnotes

    cite = Citation(n=1, article_id="a", title="京東白條", chunk_id="a:3", quote="2014年2月,京東金融推出了白條。",
                    start=0, end=18)
    ans = Answer(question="京東白條是什麼時候推出的?", text="2014年2月[1]", citations=[cite], lang="zh-Hant")
    notes = footnotes(ans)
    assert notes == "\n\n來源:\n[1] 京東白條: “2014年2月,京東金融推出了白條。”"
    assert closing_text("2014年2月", ans) == ("[1]" + notes, False)  # the rest of the text, then the footnotes
    assert closing_text("2014年2月 [1]", ans) == (notes, False)  # spacing only
    assert closing_text("2014年2月[2]", ans) == (REPLACED_SEPARATOR + ans.text + notes, True)  # a citation moved
    assert closing_text("2015年[1]", ans) == (REPLACED_SEPARATOR + ans.text + notes, True)
